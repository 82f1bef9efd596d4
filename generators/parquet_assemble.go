package generators

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/parquet-go/parquet-go"
)

// assembler rebuilds a record's JSON from a parquet row: the inverse of
// shredder, byte for byte what the png format's samples.jsonl holds. It
// keeps its buffers, so it is not safe for concurrent use.
type assembler struct {
	l    *pqLayout
	cols [][]parquet.Value
	pos  []int
	// blobs receives the files the row holds, by path.
	blobs map[string][]byte
}

func newAssembler(l *pqLayout) *assembler {
	return &assembler{l: l, cols: make([][]parquet.Value, l.ncols), pos: make([]int, l.ncols)}
}

var errPQCorrupt = errors.New("the row's levels do not fit the dataset's layout")

// record returns the JSON of row; the files it holds go into blobs (copied).
func (a *assembler) record(row parquet.Row, blobs map[string][]byte) ([]byte, error) {
	for k := range a.cols {
		a.cols[k], a.pos[k] = a.cols[k][:0], 0
	}
	for _, v := range row {
		k := v.Column()
		if k < 0 || k >= len(a.cols) {
			return nil, fmt.Errorf("generators: parquet: value of column %d; the layout has %d", k, len(a.cols))
		}
		a.cols[k] = append(a.cols[k], v)
	}
	a.blobs = blobs
	js, err := a.value(nil, a.l.root)
	if err != nil {
		return nil, err
	}
	for k := range a.cols {
		if a.pos[k] != len(a.cols[k]) {
			return nil, fmt.Errorf("generators: parquet: column %d: %w", k, errPQCorrupt)
		}
	}
	return js, nil
}

// peek returns the current value of c's first leaf column.
func (a *assembler) peek(c *pqCol) (parquet.Value, error) {
	k := c.first
	if k >= c.last || a.pos[k] >= len(a.cols[k]) {
		return parquet.Value{}, fmt.Errorf("generators: parquet: column %d ends early: %w", k, errPQCorrupt)
	}
	return a.cols[k][a.pos[k]], nil
}

// skip consumes the one (null) value each leaf under c holds for it.
func (a *assembler) skip(c *pqCol) error {
	for k := c.first; k < c.last; k++ {
		if a.pos[k] >= len(a.cols[k]) {
			return fmt.Errorf("generators: parquet: column %d ends early: %w", k, errPQCorrupt)
		}
		a.pos[k]++
	}
	return nil
}

// null reports whether c's value is null; empty, whether it is an empty list.
func (a *assembler) state(c *pqCol) (null, empty bool, err error) {
	v, err := a.peek(c)
	if err != nil {
		return false, false, err
	}
	d := v.DefinitionLevel()
	if c.isLeaf || c.n.Type != "list" && c.n.Type != "tree" {
		return d < c.def, false, nil
	}
	return d < c.def, d == c.def, nil
}

// value appends the JSON of c's current value to dst.
func (a *assembler) value(dst []byte, c *pqCol) ([]byte, error) {
	null, empty, err := a.state(c)
	if err != nil {
		return nil, err
	}
	if null {
		return append(dst, "null"...), a.skip(c)
	}
	n := c.n
	if c.isLeaf {
		v := a.cols[c.leaf][a.pos[c.leaf]]
		a.pos[c.leaf]++
		return appendLeaf(dst, n.Type, v)
	}
	switch n.Type {
	case "image", "blob":
		b, p := c.fields[0], c.fields[1]
		bv, err := a.peek(b)
		if err != nil {
			return nil, err
		}
		pv, err := a.peek(p)
		if err != nil {
			return nil, err
		}
		a.pos[b.leaf]++
		a.pos[p.leaf]++
		if bv.IsNull() || pv.IsNull() || bv.Kind() != parquet.ByteArray || pv.Kind() != parquet.ByteArray {
			return nil, fmt.Errorf("generators: parquet: file field %q lacks its bytes or path", n.Name)
		}
		path := string(pv.ByteArray())
		if a.blobs != nil {
			a.blobs[path] = append([]byte(nil), bv.ByteArray()...)
		}
		return AppendJSONString(dst, path), nil
	case "struct":
		return a.object(dst, c, nil)
	case "list":
		if empty {
			return append(dst, "[]"...), a.skip(c)
		}
		dst = append(dst, '[')
		for i := 0; ; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = a.value(dst, c.elem); err != nil {
				return nil, err
			}
			if !a.more(c) {
				break
			}
		}
		return append(dst, ']'), nil
	case "tree":
		if empty {
			return nil, fmt.Errorf("generators: parquet: tree %q has no root: %w", n.Name, errPQCorrupt)
		}
		var nodes []treeNode
		for {
			var tn treeNode
			if _, err := a.object(nil, c.elem, &tn); err != nil {
				return nil, err
			}
			if tn.parent < -1 || tn.parent >= len(nodes) || (tn.parent == -1) != (len(nodes) == 0) {
				return nil, fmt.Errorf("generators: parquet: tree %q node %d has parent %d: %w", n.Name, len(nodes), tn.parent, errPQCorrupt)
			}
			nodes = append(nodes, tn)
			if !a.more(c) {
				break
			}
		}
		kids := make([][]int, len(nodes))
		for i, tn := range nodes[1:] {
			kids[tn.parent] = append(kids[tn.parent], i+1)
		}
		return appendTree(dst, c.elem.n, nodes, kids, 0), nil
	}
	return nil, fmt.Errorf("generators: parquet: field %q: unknown type %q", n.Name, n.Type)
}

// more reports whether list c has another element in this row.
func (a *assembler) more(c *pqCol) bool {
	k := c.first
	return a.pos[k] < len(a.cols[k]) && a.cols[k][a.pos[k]].RepetitionLevel() == c.rep
}

// treeNode is one node of a tree read back: its fields' JSON (nil where
// omitted) in JSON order, and its parent's index.
type treeNode struct {
	fields [][]byte
	parent int
}

// object appends struct c's JSON to dst; for a tree node it fills tn
// instead.
func (a *assembler) object(dst []byte, c *pqCol, tn *treeNode) ([]byte, error) {
	if tn == nil {
		dst = append(dst, '{')
	} else {
		tn.fields = make([][]byte, len(c.n.Fields))
	}
	first := true
	for i, f := range c.n.Fields {
		if f.Type == "children" {
			continue
		}
		fc := c.fields[c.order[i]]
		null, empty, err := a.state(fc)
		if err != nil {
			return nil, err
		}
		if f.OmitEmpty && (null || empty) {
			if err := a.skip(fc); err != nil {
				return nil, err
			}
			continue
		}
		if tn != nil {
			if tn.fields[i], err = a.value(nil, fc); err != nil {
				return nil, err
			}
			continue
		}
		dst = appendKey(dst, &first, f.Name)
		if dst, err = a.value(dst, fc); err != nil {
			return nil, err
		}
	}
	if tn != nil {
		p := c.fields[c.parent]
		v, err := a.peek(p)
		if err != nil {
			return nil, err
		}
		a.pos[p.leaf]++
		if v.IsNull() || v.Kind() != parquet.Int64 {
			return nil, fmt.Errorf("generators: parquet: a tree node has no parent index: %w", errPQCorrupt)
		}
		tn.parent = int(v.Int64())
		return nil, nil
	}
	return append(dst, '}'), nil
}

func appendTree(dst []byte, n *ParquetNode, nodes []treeNode, kids [][]int, i int) []byte {
	dst = append(dst, '{')
	first := true
	for k, f := range n.Fields {
		var js []byte
		if f.Type == "children" {
			if len(kids[i]) == 0 && f.OmitEmpty {
				continue
			}
			dst = appendKey(dst, &first, f.Name)
			if len(kids[i]) == 0 {
				dst = append(dst, "null"...)
				continue
			}
			dst = append(dst, '[')
			for j, kid := range kids[i] {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = appendTree(dst, n, nodes, kids, kid)
			}
			dst = append(dst, ']')
			continue
		}
		if js = nodes[i].fields[k]; js == nil {
			continue
		}
		dst = appendKey(dst, &first, f.Name)
		dst = append(dst, js...)
	}
	return append(dst, '}')
}

func appendLeaf(dst []byte, typ string, v parquet.Value) ([]byte, error) {
	bad := func() ([]byte, error) {
		return nil, fmt.Errorf("generators: parquet: a %s column holds a %s value: %w", typ, v.Kind(), errPQCorrupt)
	}
	switch typ {
	case "string":
		if v.Kind() != parquet.ByteArray {
			return bad()
		}
		return AppendJSONString(dst, string(v.ByteArray())), nil
	case "json":
		if v.Kind() != parquet.ByteArray || !json.Valid(v.ByteArray()) {
			return bad()
		}
		return append(dst, v.ByteArray()...), nil
	case "int":
		if v.Kind() != parquet.Int64 {
			return bad()
		}
		return strconv.AppendInt(dst, v.Int64(), 10), nil
	case "float":
		if v.Kind() != parquet.Double {
			return bad()
		}
		return AppendJSONFloat(dst, v.Double())
	case "bool":
		if v.Kind() != parquet.Boolean {
			return bad()
		}
		return strconv.AppendBool(dst, v.Boolean()), nil
	}
	return bad()
}

// appendKey appends an object member's key and colon to dst, after a
// comma unless it is the object's first member.
func appendKey(dst []byte, first *bool, name string) []byte {
	if !*first {
		dst = append(dst, ',')
	}
	*first = false
	dst = AppendJSONString(dst, name)
	return append(dst, ':')
}

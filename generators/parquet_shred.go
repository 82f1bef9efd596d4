package generators

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/parquet-go/parquet-go"
)

// shredder turns records into parquet rows (Dremel's repetition and
// definition levels), one column slice at a time. It keeps its buffers, so
// it is not safe for concurrent use.
type shredder struct {
	l    *pqLayout
	cols [][]parquet.Value
	// files maps a sample's file paths to their bytes.
	files map[string][]byte
}

func newShredder(l *pqLayout) *shredder {
	return &shredder{l: l, cols: make([][]parquet.Value, l.ncols), files: map[string][]byte{}}
}

// row shreds a record's JSON into a parquet row; files holds the bytes of
// the sample's files by path.
func (s *shredder) row(record []byte, files map[string][]byte) (parquet.Row, error) {
	dec := json.NewDecoder(bytes.NewReader(record))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("generators: parquet: record: %w", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("generators: parquet: record is not a JSON object")
	}
	for i := range s.cols {
		s.cols[i] = s.cols[i][:0]
	}
	s.files = files
	if err := s.shred(s.l.root, v, 0, 0); err != nil {
		return nil, err
	}
	n := 0
	for _, c := range s.cols {
		n += len(c)
	}
	row := make(parquet.Row, 0, n)
	for _, c := range s.cols {
		row = append(row, c...)
	}
	return row, nil
}

// nulls writes a null at (rep, def) into every leaf under c.
func (s *shredder) nulls(c *pqCol, rep, def int) {
	for k := c.first; k < c.last; k++ {
		s.cols[k] = append(s.cols[k], parquet.NullValue().Level(rep, def, k))
	}
}

// shred writes value v of node c; rep and def are the levels of c's parent.
func (s *shredder) shred(c *pqCol, v any, rep, def int) error {
	if v == nil {
		s.nulls(c, rep, def)
		return nil
	}
	n := c.n
	if c.isLeaf {
		val, err := leafValue(n.Type, v)
		if err != nil {
			return fmt.Errorf("generators: parquet: field %q: %w", n.Name, err)
		}
		s.cols[c.leaf] = append(s.cols[c.leaf], val.Level(rep, c.def, c.leaf))
		return nil
	}
	switch n.Type {
	case "image", "blob":
		path, ok := v.(string)
		if !ok {
			return fmt.Errorf("generators: parquet: field %q holds %T, want a file path", n.Name, v)
		}
		data, ok := s.files[path]
		if !ok {
			return fmt.Errorf("generators: parquet: field %q names %q, which is none of the sample's files", n.Name, path)
		}
		b, p := c.fields[0], c.fields[1]
		s.cols[b.leaf] = append(s.cols[b.leaf], parquet.ByteArrayValue(data).Level(rep, b.def, b.leaf))
		s.cols[p.leaf] = append(s.cols[p.leaf], parquet.ByteArrayValue([]byte(path)).Level(rep, p.def, p.leaf))
		return nil
	case "struct":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("generators: parquet: field %q holds %T, want an object", n.Name, v)
		}
		return s.object(c, m, rep, c.def, -1)
	case "list":
		list, ok := v.([]any)
		if !ok {
			return fmt.Errorf("generators: parquet: field %q holds %T, want a list", n.Name, v)
		}
		if len(list) == 0 {
			s.nulls(c, rep, c.def)
			return nil
		}
		for i, e := range list {
			r := rep
			if i > 0 {
				r = c.rep
			}
			if err := s.shred(c.elem, e, r, c.def+1); err != nil {
				return err
			}
		}
		return nil
	case "tree":
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("generators: parquet: field %q holds %T, want an object", n.Name, v)
		}
		first := true
		var walk func(m map[string]any, parent int) error
		count := 0
		walk = func(m map[string]any, parent int) error {
			r := rep
			if !first {
				r = c.rep
			}
			first = false
			self := count
			count++
			if err := s.object(c.elem, m, r, c.elem.def, parent); err != nil {
				return err
			}
			var kids []any
			for _, f := range c.n.Fields {
				if f.Type == "children" && m[f.Name] != nil {
					if kids, ok = m[f.Name].([]any); !ok {
						return fmt.Errorf("generators: parquet: tree field %q holds %T, want a list", f.Name, m[f.Name])
					}
				}
			}
			for _, k := range kids {
				km, ok := k.(map[string]any)
				if !ok {
					return fmt.Errorf("generators: parquet: a node of tree %q holds %T, want an object", n.Name, k)
				}
				if err := walk(km, self); err != nil {
					return err
				}
			}
			return nil
		}
		return walk(m, -1)
	}
	return fmt.Errorf("generators: parquet: field %q: unknown type %q", n.Name, n.Type)
}

// object writes the fields of m under struct c, present at level def;
// parent >= -1 is a tree node's parent index (tree nodes only).
func (s *shredder) object(c *pqCol, m map[string]any, rep, def, parent int) error {
	used := 0
	for i, f := range c.n.Fields {
		if f.Type == "children" {
			if _, ok := m[f.Name]; ok {
				used++
			}
			continue
		}
		v, ok := m[f.Name]
		if ok {
			used++
		}
		if err := s.shred(c.fields[c.order[i]], v, rep, def); err != nil {
			return err
		}
	}
	if c.treeNode {
		p := c.fields[c.parent]
		s.cols[p.leaf] = append(s.cols[p.leaf], parquet.Int64Value(int64(parent)).Level(rep, p.def, p.leaf))
	}
	if used != len(m) {
		for k := range m {
			if !hasField(c.n, k) {
				return fmt.Errorf("generators: parquet: record field %q is not in the parquet layout (a record of another type?)", k)
			}
		}
	}
	return nil
}

func hasField(n *ParquetNode, name string) bool {
	for _, f := range n.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// leafValue converts a decoded JSON value to a leaf's parquet value.
func leafValue(typ string, v any) (parquet.Value, error) {
	switch typ {
	case "string":
		s, ok := v.(string)
		if !ok {
			return parquet.Value{}, fmt.Errorf("holds %T, want a string", v)
		}
		return parquet.ByteArrayValue([]byte(s)), nil
	case "json":
		b, err := json.Marshal(v)
		if err != nil {
			return parquet.Value{}, err
		}
		return parquet.ByteArrayValue(b), nil
	case "int":
		num, ok := v.(json.Number)
		if !ok {
			return parquet.Value{}, fmt.Errorf("holds %T, want an integer", v)
		}
		i, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil {
			return parquet.Value{}, fmt.Errorf("%s is not a 64-bit integer", num)
		}
		return parquet.Int64Value(i), nil
	case "float":
		num, ok := v.(json.Number)
		if !ok {
			return parquet.Value{}, fmt.Errorf("holds %T, want a number", v)
		}
		f, err := strconv.ParseFloat(string(num), 64)
		if err != nil || math.IsInf(f, 0) {
			return parquet.Value{}, fmt.Errorf("%s is not a float64", num)
		}
		return parquet.DoubleValue(f), nil
	case "bool":
		b, ok := v.(bool)
		if !ok {
			return parquet.Value{}, fmt.Errorf("holds %T, want a bool", v)
		}
		return parquet.BooleanValue(b), nil
	}
	return parquet.Value{}, fmt.Errorf("unknown leaf type %q", typ)
}

package generators

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// ParquetNode is one column of a parquet dataset's layout: the record's
// JSON shape, as the manifest of a parquet dataset records it, so that the
// reader, merge and the dataset card need no dataset code. Type is one of:
//
//   - "string", "int" (int64), "float" (float64), "bool": a value;
//   - "json": any other value, stored as its JSON text in a string column;
//   - "image": a struct {bytes: PNG, path: string}, Hugging Face's Image
//     encoding, standing for the record's path string;
//   - "blob": the same struct for a file that is not an image (a page's HTML);
//   - "list": a list of Elem;
//   - "struct": Fields, in the record's JSON order;
//   - "tree": a recursive struct, stored depth first as a list of its
//     nodes, each with a "parent" column (the node's index in the list, −1
//     for the root) in place of the field the tree recurses through, which
//     Fields holds as a node of type "children" at its JSON position.
//
// Every column is optional: a null is a JSON null, or no key at all where
// OmitEmpty (the Go field's omitempty) is set.
type ParquetNode struct {
	Name      string `json:"name,omitempty"`
	Type      string `json:"type"`
	OmitEmpty bool   `json:"omitempty,omitempty"`
	// Len is a fixed-size list's length (a Go array's), 0 for any other.
	Len    int            `json:"len,omitempty"`
	Elem   *ParquetNode   `json:"elem,omitempty"`
	Fields []*ParquetNode `json:"fields,omitempty"`
}

// parquetParent is the column a tree's nodes hold their parent's index in.
const parquetParent = "parent"

// parquetSchemaOf derives the parquet layout of records of type t (a struct
// or a pointer to one). files names the record fields that hold the paths
// of a sample's files, true for images, false for other files.
func parquetSchemaOf(t reflect.Type, files map[string]bool) (*ParquetNode, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("generators: parquet: a record is a %s, want a struct", t)
	}
	root, err := structNode(t, nil, files)
	if err != nil {
		return nil, err
	}
	for name := range files {
		if !slices.ContainsFunc(root.Fields, func(f *ParquetNode) bool { return f.Name == name }) {
			return nil, fmt.Errorf("generators: parquet: the sample's files name field %q, which the record lacks", name)
		}
	}
	return root, nil
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || reflect.PointerTo(t).Implements(iface)
}

// jsonField returns a struct field's JSON name and omitempty, and false
// for a field encoding/json leaves out.
func jsonField(f reflect.StructField) (string, bool, bool) {
	if !f.IsExported() && !f.Anonymous {
		return "", false, false
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return "", false, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	if name == "" {
		name = f.Name
	}
	omit := false
	for _, o := range strings.Split(opts, ",") {
		omit = omit || o == "omitempty" || o == "omitzero"
	}
	return name, omit, true
}

// structNode is the node of struct type t; files (top level only) marks
// path fields.
func structNode(t reflect.Type, stack []reflect.Type, files map[string]bool) (*ParquetNode, error) {
	n := &ParquetNode{Type: "struct"}
	stack = append(stack, t)
	for i := range t.NumField() {
		f := t.Field(i)
		name, omit, ok := jsonField(f)
		if !ok {
			continue
		}
		if f.Anonymous && f.Tag.Get("json") == "" {
			return nil, fmt.Errorf("generators: parquet: %s embeds %s, which the parquet layout does not support", t, f.Type)
		}
		if isImage, ok := files[name]; ok {
			fn, err := fileNode(f.Type, isImage)
			if err != nil {
				return nil, fmt.Errorf("generators: parquet: %s.%s: %w", t, f.Name, err)
			}
			fn.Name, fn.OmitEmpty = name, omit
			n.Fields = append(n.Fields, fn)
			continue
		}
		if recursesTo(f.Type, t) {
			if n.Type == "tree" {
				return nil, fmt.Errorf("generators: parquet: %s recurses through two fields; the parquet layout stores one", t)
			}
			n.Type = "tree"
			n.Fields = append(n.Fields, &ParquetNode{Name: name, Type: "children", OmitEmpty: omit})
			continue
		}
		c, err := typeNode(f.Type, stack)
		if err != nil {
			return nil, fmt.Errorf("generators: parquet: %s.%s: %w", t, f.Name, err)
		}
		c.Name, c.OmitEmpty = name, omit
		if name == parquetParent && n.Type == "tree" {
			return nil, fmt.Errorf("generators: parquet: %s has a field %q, the name a tree's parent column takes", t, name)
		}
		n.Fields = append(n.Fields, c)
	}
	if n.Type == "tree" && slices.ContainsFunc(n.Fields, func(f *ParquetNode) bool { return f.Name == parquetParent }) {
		return nil, fmt.Errorf("generators: parquet: %s has a field %q, the name a tree's parent column takes", t, parquetParent)
	}
	return n, nil
}

// recursesTo reports whether ft is t, *t, or a slice or array of them.
func recursesTo(ft, t reflect.Type) bool {
	if ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array {
		ft = ft.Elem()
	}
	for ft.Kind() == reflect.Pointer {
		ft = ft.Elem()
	}
	return ft == t
}

func fileNode(t reflect.Type, isImage bool) (*ParquetNode, error) {
	typ := "blob"
	if isImage {
		typ = "image"
	}
	switch {
	case t.Kind() == reflect.String:
		return &ParquetNode{Type: typ}, nil
	case (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) && t.Elem().Kind() == reflect.String:
		return &ParquetNode{Type: "list", Elem: &ParquetNode{Type: typ}}, nil
	}
	return nil, fmt.Errorf("a file field is a %s, want a string or a list of strings", t)
}

func typeNode(t reflect.Type, stack []reflect.Type) (*ParquetNode, error) {
	if implements(t, jsonMarshaler) {
		return &ParquetNode{Type: "json"}, nil
	}
	if implements(t, textMarshaler) {
		return &ParquetNode{Type: "string"}, nil
	}
	switch t.Kind() {
	case reflect.String:
		return &ParquetNode{Type: "string"}, nil
	case reflect.Bool:
		return &ParquetNode{Type: "bool"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return &ParquetNode{Type: "int"}, nil
	case reflect.Float32, reflect.Float64:
		return &ParquetNode{Type: "float"}, nil
	case reflect.Pointer:
		return typeNode(t.Elem(), stack)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !implements(t.Elem(), jsonMarshaler) && !implements(t.Elem(), textMarshaler) {
			return &ParquetNode{Type: "string"}, nil // encoding/json writes []byte as base64
		}
		fallthrough
	case reflect.Array:
		e, err := typeNode(t.Elem(), stack)
		if err != nil {
			return nil, err
		}
		n := &ParquetNode{Type: "list", Elem: e}
		if t.Kind() == reflect.Array {
			n.Len = t.Len()
		}
		return n, nil
	case reflect.Struct:
		if slices.Contains(stack, t) {
			return nil, fmt.Errorf("%s recurses through another type; the parquet layout stores only a type that holds itself", t)
		}
		return structNode(t, stack, nil)
	case reflect.Map, reflect.Interface:
		return &ParquetNode{Type: "json"}, nil
	}
	return nil, fmt.Errorf("%s has no parquet form", t)
}

// pqCol is a ParquetNode placed in the parquet schema: its levels and
// columns.
type pqCol struct {
	n *ParquetNode
	// def is the definition level of a present value of this node; rep the
	// repetition level of a list's elements.
	def, rep int
	// leaf is the column index of a leaf; first and last bound the leaf
	// columns under the node.
	leaf, first, last int
	// fields are a struct's children in the parquet order (by name); order
	// maps JSON order to them (−1 for a tree's children field).
	fields []*pqCol
	order  []int
	elem   *pqCol
	// tree: the index of the parent column in fields.
	parent   int
	treeNode bool
	isLeaf   bool
}

// pqLayout is a record layout placed in a parquet schema.
type pqLayout struct {
	root   *pqCol
	schema *parquet.Schema
	ncols  int
}

func newPQLayout(root *ParquetNode) (*pqLayout, error) {
	if root == nil || root.Type != "struct" {
		return nil, errors.New("generators: parquet: the manifest's layout has no root struct")
	}
	l := &pqLayout{}
	node, col, err := l.place(root, 0, 0, true)
	if err != nil {
		return nil, err
	}
	l.root = col
	l.schema = parquet.NewSchema("hiddendim", node)
	// The parquet order of leaves is what place assumed: check it.
	if got := len(l.schema.Columns()); got != l.ncols {
		return nil, fmt.Errorf("generators: parquet: schema has %d columns, layout %d", got, l.ncols)
	}
	return l, nil
}

func leafNode(typ string) (parquet.Node, bool) {
	switch typ {
	case "string", "json":
		return parquet.String(), true
	case "int":
		return parquet.Int(64), true
	case "float":
		return parquet.Leaf(parquet.DoubleType), true
	case "bool":
		return parquet.Leaf(parquet.BooleanType), true
	case "bytes":
		return parquet.Leaf(parquet.ByteArrayType), true
	}
	return nil, false
}

// place builds the parquet node of n, whose parent has definition level
// def and repetition level rep, numbering leaves from l.ncols.
func (l *pqLayout) place(n *ParquetNode, def, rep int, root bool) (parquet.Node, *pqCol, error) {
	c := &pqCol{n: n, def: def + 1, rep: rep, first: l.ncols}
	if root {
		c.def = def
	}
	wrap := func(p parquet.Node) parquet.Node {
		if root {
			return p
		}
		return parquet.Optional(p)
	}
	if p, ok := leafNode(n.Type); ok {
		c.isLeaf, c.leaf = true, l.ncols
		l.ncols++
		c.last = l.ncols
		return wrap(p), c, nil
	}
	switch n.Type {
	case "image", "blob":
		fields := []*ParquetNode{{Name: "bytes", Type: "bytes"}, {Name: "path", Type: "string"}}
		g, err := l.group(c, &ParquetNode{Type: "struct", Fields: fields}, fields)
		if err != nil {
			return nil, nil, err
		}
		c.last = l.ncols
		return wrap(g), c, nil
	case "struct":
		g, err := l.group(c, n, n.Fields)
		if err != nil {
			return nil, nil, err
		}
		c.last = l.ncols
		return wrap(g), c, nil
	case "list", "tree":
		elem := n.Elem
		if n.Type == "tree" {
			elem = &ParquetNode{Type: "struct", Fields: n.Fields}
		}
		if elem == nil {
			return nil, nil, fmt.Errorf("generators: parquet: list %q has no element type", n.Name)
		}
		// optional group (LIST) { repeated group list { optional element } }
		c.rep = rep + 1
		var en parquet.Node
		var ec *pqCol
		var err error
		if n.Type == "tree" {
			ec = &pqCol{n: elem, def: c.def + 2, rep: c.rep, first: l.ncols, treeNode: true}
			var g parquet.Node
			if g, err = l.group(ec, n, n.Fields); err == nil {
				ec.last = l.ncols
				en = parquet.Optional(g)
			}
		} else {
			en, ec, err = l.place(elem, c.def+1, c.rep, false)
		}
		if err != nil {
			return nil, nil, err
		}
		c.elem = ec
		c.last = l.ncols
		return wrap(parquet.List(en)), c, nil
	}
	return nil, nil, fmt.Errorf("generators: parquet: field %q has unknown type %q", n.Name, n.Type)
}

// group places the fields of a struct (or a tree node, which adds the
// parent column) under c, in name order as parquet.Group orders them.
func (l *pqLayout) group(c *pqCol, n *ParquetNode, fields []*ParquetNode) (parquet.Node, error) {
	type named struct {
		name string
		node *ParquetNode
		at   int // JSON position, −1 for the parent column
	}
	var all []named
	seen := map[string]bool{}
	for i, f := range fields {
		if f.Type == "children" {
			continue
		}
		if f.Name == "" || seen[f.Name] {
			return nil, fmt.Errorf("generators: parquet: field name %q empty or repeated", f.Name)
		}
		seen[f.Name] = true
		all = append(all, named{f.Name, f, i})
	}
	if n.Type == "tree" {
		if seen[parquetParent] {
			return nil, fmt.Errorf("generators: parquet: a tree has a field named %q", parquetParent)
		}
		all = append(all, named{parquetParent, &ParquetNode{Name: parquetParent, Type: "int"}, -1})
	}
	slices.SortFunc(all, func(a, b named) int { return strings.Compare(a.name, b.name) })
	g := parquet.Group{}
	c.order = make([]int, len(fields))
	for i := range c.order {
		c.order[i] = -1
	}
	for k, a := range all {
		p, fc, err := l.place(a.node, c.def, c.rep, false)
		if err != nil {
			return nil, err
		}
		g[a.name] = p
		c.fields = append(c.fields, fc)
		if a.at >= 0 {
			c.order[a.at] = k
		} else {
			c.parent = k
		}
	}
	return g, nil
}

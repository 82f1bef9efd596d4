package generators

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"unicode/utf8"
)

// NPZList is how an npz split stores a list feature (a scene's objects or
// relations): padded to the split's longest list, one array per element
// field, "<list>_<field>" of shape N×M×…, and "<list>_count", N int64
// counts of the real elements. The padding is 0, "" or a zero box.
//
// Writing is streamed, so the longest list and string are known only when
// the split ends: the records go to a spill file as they come, and the
// arrays are written from it then, in a second pass over the spill rather
// than over the renderers (which would draw every sample twice); a bound
// taken from the config (max_objects) would not cover the strings' widths.
type NPZList struct {
	Name string `json:"name"`
	// Fields are the element's fields, Arrays[i] holding Fields[i]; a list
	// of plain values has one field, "".
	Fields []string  `json:"fields"`
	Arrays []Feature `json:"arrays"`
}

// countFeature is the list's count array.
func (l NPZList) countFeature() Feature {
	return Feature{Name: l.Name + "_count", Kind: IntFeature, Doc: "how many of " + l.Name + " are real; the rest is padding"}
}

// features lists the list's arrays, count first.
func (l NPZList) features() []Feature { return append([]Feature{l.countFeature()}, l.Arrays...) }

// npzSplitFeatures lists every array of an npz split: the fixed features'
// and the lists'.
func npzSplitFeatures(m *Manifest, split string) []Feature {
	fs := npzFeatures(m.Features)
	for _, l := range m.NPZLists[split] {
		fs = append(fs, l.features()...)
	}
	return fs
}

// npzListsCover reports whether m's npz lists hold, in every split, each
// list feature of fs that npz stores.
func npzListsCover(m *Manifest, fs []Feature) bool {
	for _, split := range m.SplitOrder {
		for _, f := range fs {
			if isNPZList(f) && !slices.ContainsFunc(m.NPZLists[split], func(l NPZList) bool { return l.Name == f.Name }) {
				return false
			}
		}
	}
	return true
}

// isNPZList reports whether npz stores f as padded arrays.
func isNPZList(f Feature) bool { return f.Kind == ListFeature && f.NPZ != NotInNPZ }

// npzListPlan is a list feature's padded form before the split's sizes
// are known: its fields and their array kinds.
type npzListPlan struct {
	name   string
	fields []string
	kinds  []FeatureKind
	dims   [][]int // fixed dimensions after the list axis ([4] for a box)
	// found while writing: the longest list, each text field's longest string
	maxCount int
	maxLen   []int
}

// planNPZLists works out how npz stores the list features, or says why a
// dataset cannot be npz.
func planNPZLists(spec Spec, sampler Sampler, features []Feature) ([]*npzListPlan, error) {
	for _, f := range features {
		if f.NPZ != NotInNPZ && f.Kind == TextFeature && f.MaxLen <= 0 {
			return nil, fmt.Errorf("feature %q is text of no bounded length", f.Name)
		}
	}
	root, err := probeParquet(spec, sampler)
	if err != nil {
		return nil, err
	}
	var plans []*npzListPlan
	for _, f := range features {
		if !isNPZList(f) {
			continue
		}
		var n *ParquetNode
		for _, c := range root.Fields {
			if c.Name == f.Name {
				n = c
			}
		}
		if n == nil || n.Type != "list" {
			return nil, fmt.Errorf("list feature %q is not a list in the record", f.Name)
		}
		p := &npzListPlan{name: f.Name}
		e := n.Elem
		elems := []*ParquetNode{e}
		if e.Type == "struct" {
			elems = e.Fields
		}
		for _, c := range elems {
			kind, dims, err := npzKind(c)
			if err != nil {
				return nil, fmt.Errorf("list feature %q: %w", f.Name, err)
			}
			field := c.Name
			if e.Type != "struct" {
				field = ""
			}
			p.fields, p.kinds, p.dims = append(p.fields, field), append(p.kinds, kind), append(p.dims, dims)
		}
		p.maxLen = make([]int, len(p.fields))
		plans = append(plans, p)
	}
	return plans, nil
}

// npzKind is the array kind of a list element's field.
func npzKind(n *ParquetNode) (FeatureKind, []int, error) {
	switch n.Type {
	case "string":
		return TextFeature, nil, nil
	case "int":
		return IntFeature, nil, nil
	case "float":
		return FloatFeature, nil, nil
	case "list":
		if n.Len > 0 && (n.Elem.Type == "int" || n.Elem.Type == "float") {
			k := IntFeature
			if n.Elem.Type == "float" {
				k = FloatFeature
			}
			return k, []int{n.Len}, nil
		}
	case "image", "blob":
		return 0, nil, errors.New("its elements are files (images drawn apart), which npz does not store")
	}
	return 0, nil, fmt.Errorf("its field %q (%s) has no fixed-size array form", n.Name, n.Type)
}

// npzSpill holds a split's list features while it is written.
type npzSpill struct {
	plans []*npzListPlan
	path  string
	f     *os.File
	w     *bufio.Writer
	n     int
}

func newNPZSpill(dir string, plans []*npzListPlan) (*npzSpill, error) {
	s := &npzSpill{path: filepath.Join(dir, "lists.jsonl.tmp")}
	for _, p := range plans {
		c := *p
		c.maxLen = make([]int, len(p.fields))
		s.plans = append(s.plans, &c)
	}
	var err error
	if s.f, err = os.Create(s.path); err != nil {
		return nil, fmt.Errorf("generators: %w", err)
	}
	s.w = bufio.NewWriterSize(s.f, 1<<16)
	return s, nil
}

// listValues returns the list features of a record, by name.
func listValues(line []byte, plans []*npzListPlan) (map[string][]any, error) {
	var rec map[string]json.RawMessage
	if err := json.Unmarshal(line, &rec); err != nil {
		return nil, err
	}
	out := map[string][]any{}
	for _, p := range plans {
		var list []any
		if raw, ok := rec[p.name]; ok {
			if err := json.Unmarshal(raw, &list); err != nil {
				return nil, fmt.Errorf("list feature %q: %w", p.name, err)
			}
		}
		out[p.name] = list
	}
	return out, nil
}

// field returns field k of list element e.
func (p *npzListPlan) field(e any, k int) any {
	if p.fields[k] == "" {
		return e
	}
	m, _ := e.(map[string]any)
	return m[p.fields[k]]
}

// add spills one sample's record and notes its lengths.
func (s *npzSpill) add(line []byte) error {
	lists, err := listValues(line, s.plans)
	if err != nil {
		return fmt.Errorf("generators: npz: %w", err)
	}
	for _, p := range s.plans {
		list := lists[p.name]
		p.maxCount = max(p.maxCount, len(list))
		for k, kind := range p.kinds {
			if kind != TextFeature {
				continue
			}
			for _, e := range list {
				str, _ := p.field(e, k).(string)
				p.maxLen[k] = max(p.maxLen[k], utf8.RuneCountInString(str))
			}
		}
	}
	s.n++
	s.w.Write(line)
	return s.w.WriteByte('\n')
}

// lists returns the lists' arrays now that the split's lengths are known.
func (s *npzSpill) lists() []NPZList {
	var out []NPZList
	for _, p := range s.plans {
		m := max(p.maxCount, 1)
		l := NPZList{Name: p.name, Fields: p.fields}
		for k, field := range p.fields {
			name := p.name
			if field != "" {
				name += "_" + field
			}
			f := Feature{Name: name, Kind: p.kinds[k], Shape: append([]int{m}, p.dims[k]...),
				Doc: fmt.Sprintf("%s padded to %d", name, m)}
			if f.Kind == TextFeature {
				f.MaxLen = max(p.maxLen[k], 1)
			}
			l.Arrays = append(l.Arrays, f)
		}
		out = append(out, l)
	}
	return out
}

// encodeList returns the npy elements of one sample's list: its count,
// then each field padded to the array's shape.
func encodeList(l NPZList, list []any) ([][]byte, error) {
	out := [][]byte{encodeNumbers(Feature{Kind: IntFeature}, []float64{float64(len(list))})}
	for k, f := range l.Arrays {
		m := f.Shape[0]
		if len(list) > m {
			return nil, fmt.Errorf("%s: %d elements, more than the array's %d", l.Name, len(list), m)
		}
		vals := make([]any, m)
		for i := range vals {
			if i < len(list) {
				if l.Fields[k] == "" {
					vals[i] = list[i]
				} else {
					e, _ := list[i].(map[string]any)
					vals[i] = e[l.Fields[k]]
				}
				continue
			}
			vals[i] = zeroOf(f)
		}
		raw, err := json.Marshal(vals)
		if err != nil {
			return nil, err
		}
		b, err := encodeValue(f, raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// zeroOf is the padding of one element of f.
func zeroOf(f Feature) any {
	if f.Kind == TextFeature {
		return ""
	}
	if len(f.Shape) > 1 {
		z := make([]any, elements(Feature{Shape: f.Shape[1:]}))
		for i := range z {
			z[i] = 0
		}
		return nest(z, f.Shape[1:])
	}
	return 0
}

// decodeList is encodeList's inverse for sample i of the split's arrays.
func decodeList(l NPZList, arrays map[string]*npzArray, i int) ([]any, error) {
	cf := l.countFeature()
	b, err := arrays[cf.Name].element(i)
	if err != nil {
		return nil, err
	}
	v, err := decodeValue(cf, b)
	if err != nil {
		return nil, err
	}
	count, _ := v.(int64)
	if len(l.Arrays) == 0 || count < 0 || count > int64(l.Arrays[0].Shape[0]) {
		return nil, fmt.Errorf("%s: count %d outside 0…%d", l.Name, count, l.Arrays[0].Shape[0])
	}
	list := make([]any, count)
	objs := make([]map[string]any, count)
	for j := range objs {
		objs[j] = map[string]any{}
	}
	for k, f := range l.Arrays {
		b, err := arrays[f.Name].element(i)
		if err != nil {
			return nil, err
		}
		v, err := decodeValue(f, b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		vals, ok := v.([]any)
		if !ok || len(vals) < int(count) {
			return nil, fmt.Errorf("%s: not a list of %d", f.Name, count)
		}
		for j := range list {
			if l.Fields[k] == "" {
				list[j] = vals[j]
			} else {
				objs[j][l.Fields[k]] = vals[j]
			}
		}
	}
	if len(l.Fields) > 0 && l.Fields[0] != "" {
		for j := range list {
			list[j] = objs[j]
		}
	}
	return list, nil
}

// finish writes the lists' arrays into z from the spill, and removes it.
func (s *npzSpill) finish(z *npzWriter, dir string) ([]NPZList, error) {
	defer s.abort()
	if err := s.w.Flush(); err != nil {
		return nil, fmt.Errorf("generators: %w", err)
	}
	lists := s.lists()
	streams := map[string]*npyStream{}
	for _, l := range lists {
		for _, f := range l.features() {
			st, err := newNPYStream(filepath.Join(dir, f.Name+".npy.tmp"), f, s.n)
			if err != nil {
				return nil, err
			}
			z.temps = append(z.temps, st)
			streams[f.Name] = st
		}
	}
	in, err := os.Open(s.path)
	if err != nil {
		return nil, fmt.Errorf("generators: %w", err)
	}
	defer in.Close()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<16), 1<<26)
	for sc.Scan() {
		vals, err := listValues(sc.Bytes(), s.plans)
		if err != nil {
			return nil, fmt.Errorf("generators: npz: %w", err)
		}
		for _, l := range lists {
			elems, err := encodeList(l, vals[l.Name])
			if err != nil {
				return nil, fmt.Errorf("generators: npz: %w", err)
			}
			for k, f := range l.features() {
				streams[f.Name].w.Write(elems[k])
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("generators: %w", err)
	}
	return lists, nil
}

func (s *npzSpill) abort() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
		os.Remove(s.path)
	}
}

// mergeNPZLists pads each shard's lists to the longest over all shards,
// as one run would have, and appends their arrays to z.
func mergeNPZLists(z *npzWriter, dst string, srcs []string, shardLists [][]NPZList, total int) ([]NPZList, error) {
	if len(shardLists) == 0 || len(shardLists[0]) == 0 {
		return nil, nil
	}
	merged := make([]NPZList, len(shardLists[0]))
	for i, l := range shardLists[0] {
		merged[i] = NPZList{Name: l.Name, Fields: l.Fields, Arrays: append([]Feature(nil), l.Arrays...)}
		for k := range merged[i].Arrays {
			merged[i].Arrays[k].Shape = append([]int(nil), l.Arrays[k].Shape...)
		}
		for _, sl := range shardLists[1:] {
			if len(sl) != len(merged) || sl[i].Name != l.Name || len(sl[i].Arrays) != len(l.Arrays) {
				return nil, errors.New("generators: merge: the shards' npz lists differ")
			}
			for k, f := range sl[i].Arrays {
				a := &merged[i].Arrays[k]
				a.Shape[0] = max(a.Shape[0], f.Shape[0])
				a.MaxLen = max(a.MaxLen, f.MaxLen)
			}
		}
		for k := range merged[i].Arrays {
			a := &merged[i].Arrays[k]
			a.Doc = fmt.Sprintf("%s padded to %d", a.Name, a.Shape[0])
		}
	}
	streams := map[string]*npyStream{}
	for _, l := range merged {
		for _, f := range l.features() {
			st, err := newNPYStream(filepath.Join(dst, f.Name+".npy.tmp"), f, total)
			if err != nil {
				return nil, err
			}
			z.temps = append(z.temps, st)
			streams[f.Name] = st
		}
	}
	for s, src := range srcs {
		var fs []Feature
		for _, l := range shardLists[s] {
			fs = append(fs, l.features()...)
		}
		arrays, closeNPZ, err := openNPZ(filepath.Join(src, "data.npz"), fs)
		if err != nil {
			return nil, err
		}
		n := arrays[fs[0].Name].shape[0]
		for i := range n {
			for li, l := range shardLists[s] {
				list, err := decodeList(l, arrays, i)
				if err == nil {
					var elems [][]byte
					if elems, err = encodeList(merged[li], list); err == nil {
						for k, f := range merged[li].features() {
							streams[f.Name].w.Write(elems[k])
						}
					}
				}
				if err != nil {
					closeNPZ()
					return nil, fmt.Errorf("generators: merge: %s sample %d: %w", src, i, err)
				}
			}
		}
		closeNPZ()
	}
	return merged, nil
}

// compareNPZLists compares the lists of sample p with the re-rendered
// sample's.
func (s splitSamples) compareNPZLists(p int, lists []NPZList, smp Sample) []string {
	if len(lists) == 0 {
		return nil
	}
	line, err := marshalRecord(smp.Record, 0)
	if err != nil {
		return []string{fmt.Sprintf("re-rendering: %v", err)}
	}
	plans := make([]*npzListPlan, len(lists))
	for i, l := range lists {
		plans[i] = &npzListPlan{name: l.Name}
	}
	want, err := listValues(line, plans)
	if err != nil {
		return []string{fmt.Sprintf("re-rendering: %v", err)}
	}
	var out []string
	for _, l := range lists {
		got, err := decodeList(l, s.arrays, p)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: %v", l.Name, err))
			continue
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want[l.Name])
		var gv, wv any
		json.Unmarshal(g, &gv)
		json.Unmarshal(w, &wv)
		if wv == nil {
			wv = []any{}
		}
		if !reflect.DeepEqual(gv, wv) {
			out = append(out, fmt.Sprintf("%s: %s on disk, the spec renders %s", l.Name, short(string(g)), short(string(w))))
		}
	}
	return out
}

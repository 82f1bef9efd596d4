package generators

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// A tar sample's record (KEY.json) is its samples.jsonl line with one
// change: every number that a Go float holds is written with a fraction,
// 0 as 0.0 and 45 as 45.0. encoding/json writes a whole float as an
// integer, and readers that infer a schema from the first samples, as
// Hugging Face datasets does from its first five, then see a column that is
// int64 in one sample and double in the next (a circle's rotation is 0, a
// square's 12.5) and refuse to merge them. The values are the same; only
// the type a reader infers changes.

// floatJSON rewrites js, the JSON that json.Marshal (or the record's
// JSONAppender) wrote for rec, so that every number in a float-typed place
// has a fraction or an exponent. It keeps every other byte. Types with
// their own MarshalJSON or MarshalText, and interfaces, are copied as they
// are. types caches what floatJSON learns of types between calls; nil
// means none.
func floatJSON(rec any, js []byte, types *jsonTypes) ([]byte, error) {
	// An eighth more room, for the ".0"s, saves growing the copy.
	return appendFloatJSON(make([]byte, 0, len(js)+len(js)/8+16), rec, js, types)
}

// appendFloatJSON is floatJSON appending to dst, which must not overlap js.
func appendFloatJSON(dst []byte, rec any, js []byte, types *jsonTypes) ([]byte, error) {
	if types == nil {
		types = &jsonTypes{}
	}
	p := floatPatcher{in: js, out: dst, types: types}
	if err := p.value(reflect.TypeOf(rec)); err != nil {
		return nil, fmt.Errorf("generators: record JSON: %w", err)
	}
	if p.skipSpace(); p.pos != len(p.in) {
		return nil, fmt.Errorf("generators: record JSON: %d bytes after the value", len(p.in)-p.pos)
	}
	return p.out, nil
}

// jsonTypes caches, per Go type, the JSON names of a struct's fields,
// whether the type writes its own JSON, and whether a float can be found
// in its JSON. It is not safe for concurrent use.
type jsonTypes struct {
	fields map[reflect.Type]map[string]reflect.Type
	opaque map[reflect.Type]bool
	floats map[reflect.Type]bool
}

type floatPatcher struct {
	in    []byte
	pos   int
	out   []byte
	types *jsonTypes
}

// opaque reports whether t (or *t) writes its own JSON.
func (p *floatPatcher) opaque(t reflect.Type) bool {
	if o, ok := p.types.opaque[t]; ok {
		return o
	}
	jsonMarshaler, textMarshaler := reflect.TypeFor[json.Marshaler](), reflect.TypeFor[encoding.TextMarshaler]()
	pt := reflect.PointerTo(t)
	o := t.Implements(jsonMarshaler) || t.Implements(textMarshaler) || pt.Implements(jsonMarshaler) || pt.Implements(textMarshaler)
	if p.types.opaque == nil {
		p.types.opaque = map[reflect.Type]bool{}
	}
	p.types.opaque[t] = o
	return o
}

func (p *floatPatcher) value(t reflect.Type) error {
	for t != nil && t.Kind() == reflect.Pointer {
		if p.opaque(t) {
			return p.copyValue()
		}
		t = t.Elem()
	}
	p.skipSpace()
	if t == nil || p.opaque(t) || p.peek() == 'n' { // null, or a type we cannot see into
		return p.copyValue()
	}
	if !p.hasFloats(t) { // most of a record: copied without a look at its fields
		return p.copyValue()
	}
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		start := p.pos
		if err := p.copyValue(); err != nil {
			return err
		}
		if num := p.in[start:p.pos]; len(num) > 0 && (num[0] == '-' || num[0] >= '0' && num[0] <= '9') &&
			!bytes.ContainsAny(num, ".eE") {
			p.out = append(p.out, ".0"...)
		}
		return nil
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 && !p.opaque(t.Elem()) {
			return p.copyValue() // base64
		}
		return p.array(t.Elem())
	case reflect.Map:
		return p.object(t, nil)
	case reflect.Struct:
		return p.object(nil, p.structFields(t))
	}
	return p.copyValue()
}

// hasFloats reports whether t's JSON, as value walks it, can hold a
// float-typed number: whether a float type is reachable from t through
// pointers, slices, arrays, map values and struct fields, stopping at
// types that write their own JSON, at byte slices and at interfaces.
func (p *floatPatcher) hasFloats(t reflect.Type) bool {
	if f, ok := p.types.floats[t]; ok {
		return f
	}
	seen := map[reflect.Type]bool{}
	var reach func(t reflect.Type) bool
	reach = func(t reflect.Type) bool {
		for t.Kind() == reflect.Pointer {
			if p.opaque(t) {
				return false
			}
			t = t.Elem()
		}
		if seen[t] || p.opaque(t) {
			return false // a type already being searched is searched there
		}
		seen[t] = true
		switch t.Kind() {
		case reflect.Float32, reflect.Float64:
			return true
		case reflect.Slice, reflect.Array:
			if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 && !p.opaque(t.Elem()) {
				return false
			}
			return reach(t.Elem())
		case reflect.Map:
			return reach(t.Elem())
		case reflect.Struct:
			for _, ft := range p.structFields(t) {
				if reach(ft) {
					return true
				}
			}
		}
		return false
	}
	f := reach(t)
	if p.types.floats == nil {
		p.types.floats = map[reflect.Type]bool{}
	}
	p.types.floats[t] = f
	return f
}

func (p *floatPatcher) array(elem reflect.Type) error {
	if err := p.expect('['); err != nil {
		return err
	}
	if p.skipSpace(); p.peek() == ']' {
		p.take()
		return nil
	}
	for {
		if err := p.value(elem); err != nil {
			return err
		}
		p.skipSpace()
		switch p.take() {
		case ',':
		case ']':
			return nil
		default:
			return fmt.Errorf("want , or ] at byte %d", p.pos-1)
		}
	}
}

// object walks a JSON object: a map's, whose values are all of type elem,
// or a struct's, whose fields are typed by name.
func (p *floatPatcher) object(m reflect.Type, fields map[string]reflect.Type) error {
	if err := p.expect('{'); err != nil {
		return err
	}
	if p.skipSpace(); p.peek() == '}' {
		p.take()
		return nil
	}
	for {
		p.skipSpace()
		start := p.pos
		if err := p.copyValue(); err != nil {
			return err
		}
		var t reflect.Type
		switch key := p.in[start:p.pos]; {
		case len(key) < 2 || key[0] != '"':
			return fmt.Errorf("object key at byte %d is not a string", start)
		case m != nil:
			t = m.Elem()
		case bytes.IndexByte(key, '\\') < 0:
			t = fields[string(key[1:len(key)-1])]
		default:
			var k string
			if err := json.Unmarshal(key, &k); err != nil {
				return fmt.Errorf("object key at byte %d: %w", start, err)
			}
			t = fields[k]
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		if err := p.value(t); err != nil {
			return err
		}
		p.skipSpace()
		switch p.take() {
		case ',':
		case '}':
			return nil
		default:
			return fmt.Errorf("want , or } at byte %d", p.pos-1)
		}
	}
}

// structFields maps the JSON names of t's fields, those of embedded
// structs included, to their types.
func (p *floatPatcher) structFields(t reflect.Type) map[string]reflect.Type {
	if fs, ok := p.types.fields[t]; ok {
		return fs
	}
	fs := map[string]reflect.Type{}
	if p.types.fields == nil {
		p.types.fields = map[reflect.Type]map[string]reflect.Type{}
	}
	p.types.fields[t] = fs
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded = append(embedded, ft)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fs[name] = f.Type
	}
	for _, et := range embedded { // the outer fields win
		for k, v := range p.structFields(et) {
			if _, ok := fs[k]; !ok {
				fs[k] = v
			}
		}
	}
	return fs
}

func (p *floatPatcher) peek() byte {
	if p.pos < len(p.in) {
		return p.in[p.pos]
	}
	return 0
}

func (p *floatPatcher) take() byte {
	c := p.peek()
	if p.pos < len(p.in) {
		p.out = append(p.out, c)
		p.pos++
	}
	return c
}

func (p *floatPatcher) skipSpace() {
	for p.pos < len(p.in) {
		switch p.in[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.out = append(p.out, p.in[p.pos])
			p.pos++
		default:
			return
		}
	}
}

func (p *floatPatcher) expect(c byte) error {
	p.skipSpace()
	if p.peek() != c {
		return fmt.Errorf("want %q at byte %d", c, p.pos)
	}
	p.take()
	return nil
}

// copyValue copies one JSON value as it is.
func (p *floatPatcher) copyValue() error {
	p.skipSpace()
	start := p.pos
	depth := 0
	for p.pos < len(p.in) {
		c := p.in[p.pos]
		switch {
		case c == '"':
			p.pos++
			for {
				q := bytes.IndexByte(p.in[p.pos:], '"')
				if q < 0 {
					return fmt.Errorf("unterminated string at byte %d", start)
				}
				p.pos += q + 1
				// The quote ends the string unless an odd number of
				// backslashes escapes it.
				n := 0
				for k := p.pos - 2; k >= 0 && p.in[k] == '\\'; k-- {
					n++
				}
				if n%2 == 0 {
					break
				}
			}
		case c == '{' || c == '[':
			depth++
			p.pos++
		case c == '}' || c == ']':
			if depth == 0 {
				p.out = append(p.out, p.in[start:p.pos]...)
				return p.nonEmpty(start)
			}
			depth--
			p.pos++
		case depth == 0 && (c == ',' || c == ':' || c == ' ' || c == '\n' || c == '\t' || c == '\r'):
			p.out = append(p.out, p.in[start:p.pos]...)
			return p.nonEmpty(start)
		default:
			p.pos++
		}
		if depth == 0 && (c == '"' || c == '}' || c == ']') {
			p.out = append(p.out, p.in[start:p.pos]...)
			return nil
		}
	}
	if depth != 0 {
		return fmt.Errorf("unterminated value at byte %d", start)
	}
	p.out = append(p.out, p.in[start:p.pos]...)
	return p.nonEmpty(start)
}

func (p *floatPatcher) nonEmpty(start int) error {
	if p.pos == start {
		return fmt.Errorf("no value at byte %d", start)
	}
	return nil
}

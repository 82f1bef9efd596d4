package clevrlite

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Program is a node of a functional program: a function, its bracketed
// parameter (a color, shape or direction) if it takes one, and its inputs.
type Program struct {
	Fn     string     `json:"fn"`
	Param  string     `json:"param,omitempty"`
	Inputs []*Program `json:"inputs,omitempty"`
}

// kind is a value type of the language.
type kind int

const (
	kSet kind = iota // a set of objects
	kObj             // one object
	kBool
	kInt
	kShape
	kColor
	kAny // with_swap's input and result: any kind, the same
)

var kindNames = [...]string{"set", "object", "bool", "int", "shape", "color", "any"}

func (k kind) String() string { return kindNames[k] }

// signature is a function's parameter kind ("" for none), input kinds and
// result kind.
type signature struct {
	param  string // "", "color", "shape" or "direction"
	inputs []kind
	out    kind
}

// functions is the language: CLEVR's basic functions, the sort-of-CLEVR
// relations, and the ternary functions of the reference generator.
var functions = map[string]signature{
	"scene":        {"", nil, kSet},
	"filter_color": {"color", []kind{kSet}, kSet},
	"filter_shape": {"shape", []kind{kSet}, kSet},
	"unique":       {"", []kind{kSet}, kObj},
	"relate":       {"direction", []kind{kObj}, kSet},
	"closest":      {"", []kind{kObj}, kObj},
	"furthest":     {"", []kind{kObj}, kObj},
	"same_shape":   {"", []kind{kObj}, kSet},
	"same_color":   {"", []kind{kObj}, kSet},
	"count":        {"", []kind{kSet}, kInt},
	"exist":        {"", []kind{kSet}, kBool},
	"query_shape":  {"", []kind{kObj}, kShape},
	"query_color":  {"", []kind{kObj}, kColor},
	"is_left":      {"", []kind{kObj}, kBool},
	"is_top":       {"", []kind{kObj}, kBool},
	"equal_int":    {"", []kind{kInt, kInt}, kBool},
	"less_than":    {"", []kind{kInt, kInt}, kBool},
	"greater_than": {"", []kind{kInt, kInt}, kBool},
	"equal_shape":  {"", []kind{kShape, kShape}, kBool},
	"equal_color":  {"", []kind{kColor, kColor}, kBool},
	"union":        {"", []kind{kSet, kSet}, kSet},
	"intersect":    {"", []kind{kSet, kSet}, kSet},
	"between":      {"", []kind{kObj, kObj}, kSet},
	"on_line":      {"", []kind{kObj, kObj}, kSet},
	"obtuse":       {"", []kind{kObj, kObj}, kSet},
	"and":          {"", []kind{kBool, kBool}, kBool},
	"or":           {"", []kind{kBool, kBool}, kBool},
	"not":          {"", []kind{kBool}, kBool},
	// Sequences: objects ordered left to right (ties top to bottom), 1-based.
	"position":    {"position", []kind{kSet}, kObj},
	"position_of": {"", []kind{kObj}, kInt},
	// with_swap[i,j](X) is X evaluated in the scene where the objects at
	// positions i and j have traded places: an intervention.
	"with_swap": {"pair", []kind{kAny}, kAny},
}

// Directions are relate's parameters.
var directions = []string{"left", "right", "above", "below"}

// FunctionNames lists the language's functions, sorted.
func FunctionNames() []string {
	names := make([]string, 0, len(functions))
	for n := range functions {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// String prints the program's text form, which Parse reads back.
func (p *Program) String() string {
	var b strings.Builder
	p.write(&b)
	return b.String()
}

func (p *Program) write(b *strings.Builder) {
	b.WriteString(p.Fn)
	if p.Param != "" {
		b.WriteString("[" + p.Param + "]")
	}
	b.WriteByte('(')
	for i, in := range p.Inputs {
		if i > 0 {
			b.WriteString(", ")
		}
		in.write(b)
	}
	b.WriteByte(')')
}

// ProgramError says where a program's text stops making sense.
type ProgramError struct {
	Input string
	Pos   int // byte offset
	Msg   string
}

func (e *ProgramError) Error() string {
	return fmt.Sprintf("clevrlite: program %q: at byte %d: %s", e.Input, e.Pos, e.Msg)
}

// Parse reads a program's text form and type-checks it: every function
// known, with the parameter and inputs its signature wants.
func Parse(s string) (*Program, error) {
	p := &progParser{in: s}
	prog, _, err := p.node(0)
	if err != nil {
		return nil, err
	}
	if p.pos != len(s) {
		return nil, &ProgramError{s, p.pos, fmt.Sprintf("want the end, got %q", s[p.pos:])}
	}
	return prog, nil
}

type progParser struct {
	in  string
	pos int
}

func (p *progParser) errf(at int, format string, a ...any) error {
	return &ProgramError{p.in, at, fmt.Sprintf(format, a...)}
}

func (p *progParser) expect(c byte) error {
	if p.pos >= len(p.in) || p.in[p.pos] != c {
		got := "the end"
		if p.pos < len(p.in) {
			got = fmt.Sprintf("%q", p.in[p.pos])
		}
		return p.errf(p.pos, "want %q, got %s", c, got)
	}
	p.pos++
	return nil
}

func (p *progParser) ident() string {
	start := p.pos
	for p.pos < len(p.in) && (p.in[p.pos] >= 'a' && p.in[p.pos] <= 'z' || p.in[p.pos] == '_') {
		p.pos++
	}
	return p.in[start:p.pos]
}

func (p *progParser) paramToken() string {
	start := p.pos
	for p.pos < len(p.in) && (p.in[p.pos] >= 'a' && p.in[p.pos] <= 'z' || p.in[p.pos] >= '0' && p.in[p.pos] <= '9' || p.in[p.pos] == '_' || p.in[p.pos] == ',') {
		p.pos++
	}
	return p.in[start:p.pos]
}

// node parses one call; depth bounds nesting so that hostile input cannot
// exhaust the stack.
func (p *progParser) node(depth int) (*Program, kind, error) {
	if depth > 64 {
		return nil, 0, p.errf(p.pos, "programs nest at most 64 deep")
	}
	start := p.pos
	name := p.ident()
	sig, ok := functions[name]
	if !ok {
		return nil, 0, p.errf(start, "want a function (%s), got %q", strings.Join(FunctionNames(), ", "), name)
	}
	prog := &Program{Fn: name}
	if p.pos < len(p.in) && p.in[p.pos] == '[' {
		p.pos++
		at := p.pos
		prog.Param = p.paramToken()
		if err := p.expect(']'); err != nil {
			return nil, 0, err
		}
		if err := checkParam(sig.param, prog.Param); err != nil {
			return nil, 0, p.errf(at, "%s: %v", name, err)
		}
	} else if sig.param != "" {
		return nil, 0, p.errf(p.pos, "%s wants a [%s] parameter", name, sig.param)
	}
	if err := p.expect('('); err != nil {
		return nil, 0, err
	}
	for i := range sig.inputs {
		if i > 0 {
			if err := p.expect(','); err != nil {
				return nil, 0, err
			}
			if err := p.expect(' '); err != nil {
				return nil, 0, err
			}
		}
		at := p.pos
		in, k, err := p.node(depth + 1)
		if err != nil {
			return nil, 0, err
		}
		if sig.inputs[i] != kAny && k != sig.inputs[i] {
			return nil, 0, p.errf(at, "%s input %d wants a %s, %s gives a %s", name, i+1, sig.inputs[i], in.Fn, k)
		}
		prog.Inputs = append(prog.Inputs, in)
	}
	if err := p.expect(')'); err != nil {
		return nil, 0, err
	}
	out := sig.out
	if out == kAny {
		out = kindOf(prog.Inputs[0])
	}
	return prog, out, nil
}

// kindOf is the result kind of a type-checked program.
func kindOf(p *Program) kind {
	if out := functions[p.Fn].out; out != kAny {
		return out
	}
	return kindOf(p.Inputs[0])
}

func checkParam(want, got string) error {
	var known []string
	switch want {
	case "":
		return fmt.Errorf("takes no parameter")
	case "position":
		if n, err := strconv.Atoi(got); err != nil || n < 1 || n > 64 || strconv.Itoa(n) != got {
			return fmt.Errorf("want a position 1 to 64, got %q", got)
		}
		return nil
	case "pair":
		a, b, ok := strings.Cut(got, ",")
		i, err1 := strconv.Atoi(a)
		j, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || i < 1 || j <= i || j > 64 || fmt.Sprintf("%d,%d", i, j) != got {
			return fmt.Errorf("want two positions i,j with 1 <= i < j <= 64, got %q", got)
		}
		return nil
	case "color":
		known = allColorNames()
	case "shape":
		known = allShapeNames()
	case "direction":
		known = directions
	}
	if !slices.Contains(known, got) {
		return fmt.Errorf("want a %s (%s), got %q", want, strings.Join(known, ", "), got)
	}
	return nil
}

package clevrlite

import (
	"fmt"
	"strings"
)

// Program is a node of a functional program: a function, its bracketed
// parameter (a color, shape or direction) if it takes one, and its inputs.
type Program struct {
	Fn     string     `json:"fn"`
	Param  string     `json:"param,omitempty"`
	Inputs []*Program `json:"inputs,omitempty"`
}

// String prints the program's text form, which Parse reads back. A
// program Parse would not accept still prints: a nil node as <nil>, and
// nodes nested deeper than Parse allows (a cycle, say) as "...".
func (p *Program) String() string {
	var b strings.Builder
	p.write(&b, 0)
	return b.String()
}

func (p *Program) write(b *strings.Builder, depth int) {
	switch {
	case p == nil:
		b.WriteString("<nil>")
		return
	case depth > maxDepth:
		b.WriteString("...")
		return
	}
	b.WriteString(p.Fn)
	if p.Param != "" {
		b.WriteString("[" + p.Param + "]")
	}
	b.WriteByte('(')
	for i, in := range p.Inputs {
		if i > 0 {
			b.WriteString(", ")
		}
		in.write(b, depth+1)
	}
	b.WriteByte(')')
}

// ProgramError says where a program stops making sense: where its text
// does not parse or type-check (Parse), or, for a program built by hand,
// which node of its text form does not type-check (Execute).
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
	if depth > maxDepth {
		return nil, 0, p.errf(p.pos, "programs nest at most %d deep", maxDepth)
	}
	start := p.pos
	name := p.ident()
	fn, ok := lookup(name)
	if !ok {
		return nil, 0, p.errf(start, "want a function (%s), got %q", strings.Join(FunctionNames(), ", "), name)
	}
	sig := fn.sig
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
	first := kAny
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
		if i == 0 {
			first = k
		}
		if !sig.accepts(i, k) {
			return nil, 0, p.errf(at, "%s input %d wants a %s, %s gives a %s", name, i+1, sig.inputs[i], in.Fn, k)
		}
		prog.Inputs = append(prog.Inputs, in)
	}
	if err := p.expect(')'); err != nil {
		return nil, 0, err
	}
	return prog, sig.result(first), nil
}

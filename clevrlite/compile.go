package clevrlite

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// code is a program compiled for repeated execution: type-checked, with
// opcodes instead of names, numeric parameters parsed once, and one node
// per distinct subprogram of everything one compiler compiled.
type code struct {
	op    opcode
	fn    string // for messages
	param string // a color or shape name
	i, j  int    // relate: direction index; position: k; with_swap: i, j
	in    []*code
	slot  int  // the node's place in an env's memo
	out   kind // the kind of value it computes
	size  int  // the length of its text form
}

// compiler type-checks programs and compiles them. With share set it
// shares equal subprograms between the programs it compiles, so an env
// that remembers results computes each of them once per scene: the 126
// sort-of-CLEVR candidates share their unique(filter_color[…]) steps.
// One-off programs (Execute) compile without it.
type compiler struct {
	share  bool
	byText map[string]*code
	nodes  int
}

// compile type-checks p as Parse does and compiles it. A program that does
// not type-check returns a *ProgramError whose Pos is the byte, in p's
// text form, of the node at fault.
func (k *compiler) compile(p *Program) (*code, error) {
	c, err := k.node(p, 0, 0)
	if err != nil {
		err.(*ProgramError).Input = p.String()
		return nil, err
	}
	return c, nil
}

// node compiles p, which starts at byte at of the root's text form and
// nests depth deep. Its errors are *ProgramError without the Input, which
// compile fills in.
func (k *compiler) node(p *Program, depth, at int) (*code, error) {
	fail := func(format string, a ...any) (*code, error) {
		return nil, &ProgramError{Pos: at, Msg: fmt.Sprintf(format, a...)}
	}
	switch {
	case p == nil:
		return fail("want a function, got a nil node")
	case depth > maxDepth:
		return fail("programs nest at most %d deep", maxDepth)
	}
	var text string
	if k.share {
		text = p.String()
		if c, ok := k.byText[text]; ok {
			return c, nil
		}
	}
	fn, ok := lookup(p.Fn)
	if !ok {
		return fail("want a function (%s), got %q", strings.Join(FunctionNames(), ", "), p.Fn)
	}
	sig := fn.sig
	if p.Param != "" || sig.param != "" {
		if err := checkParam(sig.param, p.Param); err != nil {
			return fail("%s: %v", p.Fn, err)
		}
	}
	if len(p.Inputs) != len(sig.inputs) {
		return fail("%s wants %d inputs, got %d", p.Fn, len(sig.inputs), len(p.Inputs))
	}
	c := &code{op: fn.op, fn: p.Fn, param: p.Param}
	switch c.op {
	case opRelate:
		c.i = slices.Index(directions, p.Param)
	case opPosition:
		c.i, _ = strconv.Atoi(p.Param) // checkParam holds it a number
	case opWithSwap:
		a, b, _ := strings.Cut(p.Param, ",")
		c.i, _ = strconv.Atoi(a)
		c.j, _ = strconv.Atoi(b)
	}
	// The text form is fn[param](in1, in2): inputs start after the
	// opening parenthesis and each ", ".
	pos := at + len(p.Fn) + 1
	if p.Param != "" {
		pos += len(p.Param) + 2
	}
	first := kAny
	for i, in := range p.Inputs {
		if i > 0 {
			pos += 2
		}
		ci, err := k.node(in, depth+1, pos)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			first = ci.out
		}
		if !sig.accepts(i, ci.out) {
			return nil, &ProgramError{Pos: pos, Msg: fmt.Sprintf("%s input %d wants a %s, %s gives a %s", p.Fn, i+1, sig.inputs[i], in.Fn, ci.out)}
		}
		c.in = append(c.in, ci)
		pos += ci.size
	}
	c.out = sig.result(first)
	c.size = pos + 1 - at
	c.slot = k.nodes
	k.nodes++
	if k.share {
		if k.byText == nil {
			k.byText = map[string]*code{}
		}
		k.byText[text] = c
	}
	return c, nil
}

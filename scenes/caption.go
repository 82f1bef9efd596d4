package scenes

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/generators"
)

// Figure is a figure as captions name it: a color and a shape.
type Figure struct {
	Color string `json:"color"`
	Shape string `json:"shape"`
}

// String returns "<color> <shape>".
func (f Figure) String() string { return f.Color + " " + f.Shape }

// Relations lists every predicate, in their canonical order.
var relationNames = []string{"above", "below", "next_to", "left_of", "right_of"}

// RelationNames returns the predicates a relation caption may use.
func RelationNames() []string { return slices.Clone(relationNames) }

// inverse maps each predicate to the one that says the same with subject
// and object swapped.
var inverse = map[string]string{"above": "below", "below": "above", "next_to": "next_to", "left_of": "right_of", "right_of": "left_of"}

// Caption is a relation caption: one figure ("red square") or two in a
// relation ("red square above blue circle"). Rel and B are empty for one.
type Caption struct {
	A   Figure
	Rel string
	B   Figure
}

// Single reports whether the caption names one figure.
func (c Caption) Single() bool { return c.Rel == "" }

// String prints the caption in the grammar ParseCaption reads.
func (c Caption) String() string {
	if c.Single() {
		return c.A.String()
	}
	return c.A.String() + " " + c.Rel + " " + c.B.String()
}

// Canonical returns the caption's canonical form: "below" and "right_of"
// become "above" and "left_of" with the figures swapped, and a "next_to"
// names its figures in a fixed order (by color, then shape). Two captions
// say the same thing exactly when their canonical forms are equal.
func (c Caption) Canonical() Caption {
	switch c.Rel {
	case "below", "right_of":
		return Caption{A: c.B, Rel: inverse[c.Rel], B: c.A}
	case "next_to":
		if figureLess(c.B, c.A) {
			return Caption{A: c.B, Rel: c.Rel, B: c.A}
		}
	}
	return c
}

func figureLess(a, b Figure) bool {
	if a.Color != b.Color {
		return a.Color < b.Color
	}
	return a.Shape < b.Shape
}

// ParseError says where a caption stops making sense.
type ParseError struct {
	Input string
	// Pos is the byte offset of the offending word (len(Input) at the end).
	Pos int
	Msg string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("scenes: caption %q: at byte %d: %s", e.Input, e.Pos, e.Msg)
}

// word is a token with its byte offset.
type word struct {
	text string
	pos  int
}

// words splits s at single spaces, keeping offsets; any other white space,
// or two spaces in a row, is an error, so that printing what parses gives
// the same text back.
func words(s string) ([]word, error) {
	var out []word
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != ' ' {
			if s[i] == '\t' || s[i] == '\n' || s[i] == '\r' {
				return nil, &ParseError{s, i, "want words separated by single spaces"}
			}
			continue
		}
		if i == start {
			return nil, &ParseError{s, i, "want words separated by single spaces"}
		}
		out = append(out, word{s[start:i], start})
		start = i + 1
	}
	return out, nil
}

// parser reads figures and counts from a word list.
type parser struct {
	in  string
	ws  []word
	pos int
}

func (p *parser) more() bool { return p.pos < len(p.ws) }

func (p *parser) errf(format string, a ...any) error {
	at := len(p.in)
	if p.more() {
		at = p.ws[p.pos].pos
	}
	return &ParseError{p.in, at, fmt.Sprintf(format, a...)}
}

func (p *parser) next(what string, known []string) (string, error) {
	if !p.more() {
		return "", p.errf("want %s, got the end", what)
	}
	w := p.ws[p.pos].text
	if !slices.Contains(known, w) {
		return "", p.errf("want %s (%s), got %q", what, strings.Join(known, ", "), w)
	}
	p.pos++
	return w, nil
}

func (p *parser) figure() (Figure, error) {
	c, err := p.next("a color", generators.ColorNames())
	if err != nil {
		return Figure{}, err
	}
	s, err := p.next("a shape", generators.ShapeNames())
	if err != nil {
		return Figure{}, err
	}
	return Figure{c, s}, nil
}

// ParseCaption reads a relation caption: "<color> <shape>" or
// "<color> <shape> <relation> <color> <shape>", words separated by single
// spaces. A *ParseError gives the byte offset where it breaks.
func ParseCaption(s string) (Caption, error) {
	ws, err := words(s)
	if err != nil {
		return Caption{}, err
	}
	p := &parser{in: s, ws: ws}
	var c Caption
	if c.A, err = p.figure(); err != nil {
		return Caption{}, err
	}
	if !p.more() {
		return c, nil
	}
	if c.Rel, err = p.next("a relation", relationNames); err != nil {
		return Caption{}, err
	}
	if c.B, err = p.figure(); err != nil {
		return Caption{}, err
	}
	if p.more() {
		return Caption{}, p.errf("want the end of the caption, got %q", p.ws[p.pos].text)
	}
	return c, nil
}

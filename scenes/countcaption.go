package scenes

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hiddendim/hiddendim/generators"
)

// The caption families of the counting dataset.
const (
	// Counts: "3 circles, 1 square, 5 triangles".
	Counts = "counts"
	// Attributes: "3 large red squares, 2 small blue circles".
	Attributes = "attributes"
	// Stacking: "2 large red squares, 3 triangles on top", or "one square
	// on top of the other".
	Stacking = "stacking"
)

// Families lists the counting caption families.
func Families() []string { return []string{Counts, Attributes, Stacking} }

// Group is a counted group of figures: Size and Color are empty where the
// caption does not say them.
type Group struct {
	Count int    `json:"count"`
	Size  string `json:"size,omitempty"`
	Color string `json:"color,omitempty"`
	Shape string `json:"shape"`
}

// CountCaption is a counting caption. For Counts and Attributes, Groups
// are the groups named; for Stacking, Groups[0] is the base and Groups[1]
// what is stacked on top, and Pair marks the form "one <shape> on top of
// the other".
type CountCaption struct {
	Family string
	Groups []Group
	Pair   bool
}

var sizeNames = []string{"small", "large"}

func (g Group) words(withAttrs bool) string {
	noun := g.Shape
	if g.Count != 1 {
		noun += "s"
	}
	if withAttrs {
		return fmt.Sprintf("%d %s %s %s", g.Count, g.Size, g.Color, noun)
	}
	return fmt.Sprintf("%d %s", g.Count, noun)
}

// String prints the caption in the grammar ParseCountCaption reads.
func (c CountCaption) String() string {
	switch c.Family {
	case Stacking:
		if c.Pair {
			return "one " + c.Groups[0].Shape + " on top of the other"
		}
		return c.Groups[0].words(true) + ", " + c.Groups[1].words(false) + " on top"
	case Attributes:
		parts := make([]string, len(c.Groups))
		for i, g := range c.Groups {
			parts[i] = g.words(true)
		}
		return strings.Join(parts, ", ")
	}
	parts := make([]string, len(c.Groups))
	for i, g := range c.Groups {
		parts[i] = g.words(false)
	}
	return strings.Join(parts, ", ")
}

// Canonical orders the groups of a Counts or Attributes caption by shape
// (in generators.ShapeNames order), then color, then size, so that two
// captions listing the same groups in any order are equal.
func (c CountCaption) Canonical() CountCaption {
	if c.Family == Stacking {
		return c
	}
	out := CountCaption{Family: c.Family, Groups: slices.Clone(c.Groups)}
	order := generators.ShapeNames()
	slices.SortStableFunc(out.Groups, func(a, b Group) int {
		if d := slices.Index(order, a.Shape) - slices.Index(order, b.Shape); d != 0 {
			return d
		}
		if a.Color != b.Color {
			return strings.Compare(a.Color, b.Color)
		}
		return strings.Compare(a.Size, b.Size)
	})
	return out
}

// Equal reports whether two captions say the same thing.
func (c CountCaption) Equal(d CountCaption) bool {
	a, b := c.Canonical(), d.Canonical()
	return a.Family == b.Family && a.Pair == b.Pair && slices.Equal(a.Groups, b.Groups)
}

// ParseCountCaption reads a counting caption of any family and says which.
// A *ParseError gives the byte offset where it breaks.
func ParseCountCaption(s string) (CountCaption, error) {
	ws, err := words(s)
	if err != nil {
		return CountCaption{}, err
	}
	p := &parser{in: s, ws: ws}
	if len(ws) > 0 && ws[0].text == "one" {
		return p.stackPair()
	}
	var groups []Group
	family := ""
	for {
		start := p.pos
		g, attrs, last, err := p.group()
		if err != nil {
			return CountCaption{}, err
		}
		f := Counts
		if attrs {
			f = Attributes
		}
		if family == "" {
			family = f
		}
		// "…, N shapes on top": the stacked group of a stacking caption.
		if p.more() && p.ws[p.pos].text == "on" {
			if len(groups) != 1 || attrs || family != Attributes {
				return CountCaption{}, p.errf("\"on top\" follows exactly one \"<count> <size> <color> <shapes>\" group and a \"<count> <shapes>\" group")
			}
			if err := p.literal("on", "top"); err != nil {
				return CountCaption{}, err
			}
			if p.more() {
				return CountCaption{}, p.errf("want the end of the caption after \"on top\"")
			}
			return CountCaption{Family: Stacking, Groups: append(groups, g)}, nil
		}
		if f != family {
			return CountCaption{}, &ParseError{s, ws[start].pos, "groups mix the counts and attributes forms (a stacked group needs \"on top\" after it)"}
		}
		groups = append(groups, g)
		if last {
			return CountCaption{Family: family, Groups: groups}, nil
		}
	}
}

// group reads "<count> [<size> <color>] <shape(s)>" and the comma after it,
// reporting whether attributes were given and whether it was the last.
func (p *parser) group() (g Group, attrs, last bool, err error) {
	if !p.more() {
		return g, false, false, p.errf("want a count, got the end")
	}
	w := p.ws[p.pos].text
	n, convErr := strconv.Atoi(w)
	if convErr != nil || n < 1 || strconv.Itoa(n) != w {
		return g, false, false, p.errf("want a count (1, 2, …), got %q", w)
	}
	p.pos++
	g.Count = n
	if p.more() && slices.Contains(sizeNames, p.ws[p.pos].text) {
		g.Size = p.ws[p.pos].text
		p.pos++
		if g.Color, err = p.next("a color", generators.ColorNames()); err != nil {
			return g, false, false, err
		}
		attrs = true
	}
	if !p.more() {
		return g, attrs, false, p.errf("want a shape, got the end")
	}
	noun := p.ws[p.pos].text
	comma := strings.HasSuffix(noun, ",")
	noun = strings.TrimSuffix(noun, ",")
	shape := noun
	if n != 1 {
		var ok bool
		if shape, ok = strings.CutSuffix(noun, "s"); !ok {
			return g, false, false, p.errf("want a plural shape for a count of %d, got %q", n, noun)
		}
	}
	if !slices.Contains(generators.ShapeNames(), shape) {
		return g, false, false, p.errf("want a shape (%s), got %q", strings.Join(generators.ShapeNames(), ", "), noun)
	}
	g.Shape = shape
	p.pos++
	if comma && !p.more() {
		return g, attrs, false, p.errf("want another group after the comma")
	}
	if !comma && p.more() && p.ws[p.pos].text != "on" {
		return g, attrs, false, p.errf("want \", \" between groups, \"on top\", or the end; got %q", p.ws[p.pos].text)
	}
	return g, attrs, !comma && !p.more(), nil
}

func (p *parser) literal(ws ...string) error {
	for _, w := range ws {
		if !p.more() || p.ws[p.pos].text != w {
			return p.errf("want %q", w)
		}
		p.pos++
	}
	return nil
}

func (p *parser) stackPair() (CountCaption, error) {
	p.pos++ // "one"
	shape, err := p.next("a shape", generators.ShapeNames())
	if err != nil {
		return CountCaption{}, err
	}
	if err := p.literal("on", "top", "of", "the", "other"); err != nil {
		return CountCaption{}, err
	}
	if p.more() {
		return CountCaption{}, p.errf("want the end of the caption")
	}
	return CountCaption{Family: Stacking, Groups: []Group{{Count: 1, Shape: shape}, {Count: 1, Shape: shape}}, Pair: true}, nil
}

package generators

import (
	"errors"
	"fmt"
	"strings"
)

// Palette is a validated figure vocabulary: a background and the shapes
// and colors figures are drawn in.
type Palette struct {
	Background NamedColor
	Shapes     []Shape
	Colors     []NamedColor
}

// ParsePalette resolves names into a palette. It reports every problem:
// unknown or repeated names, a figure color equal to the background (the
// figure would vanish), an empty list, and, with namesOnly, #rrggbb figure
// colors (datasets whose captions need color words).
func ParsePalette(background string, shapes, colors []string, namesOnly bool) (Palette, error) {
	var p Palette
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	var err error
	if p.Background, err = ParseColor(background); err != nil {
		bad("background: %v", err)
	}
	seen := map[string]bool{}
	for _, s := range shapes {
		sh, err := ParseShape(s)
		switch {
		case err != nil:
			bad("shapes: %v", err)
		case seen["s"+s]:
			bad("shapes: %q twice", s)
		default:
			p.Shapes = append(p.Shapes, sh)
		}
		seen["s"+s] = true
	}
	for _, s := range colors {
		c, err := ParseColor(s)
		switch {
		case err != nil:
			bad("colors: %v", err)
		case seen["c"+s]:
			bad("colors: %q twice", s)
		case c.RGB == p.Background.RGB:
			bad("colors: %q is the background color; figures would be invisible", s)
		case namesOnly && strings.HasPrefix(s, "#"):
			bad("colors: %q: captions need color names", s)
		default:
			p.Colors = append(p.Colors, c)
		}
		seen["c"+s] = true
	}
	if len(shapes) == 0 {
		bad("shapes: want at least one")
	}
	if len(colors) == 0 {
		bad("colors: want at least one")
	}
	return p, errors.Join(errs...)
}

// Shape returns the palette's shape of that name.
func (p Palette) Shape(name string) (Shape, bool) {
	for _, s := range p.Shapes {
		if s.String() == name {
			return s, true
		}
	}
	return 0, false
}

// Color returns the palette's color of that name.
func (p Palette) Color(name string) (NamedColor, bool) {
	for _, c := range p.Colors {
		if c.Name == name {
			return c, true
		}
	}
	return NamedColor{}, false
}

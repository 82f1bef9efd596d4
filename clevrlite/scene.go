package clevrlite

import (
	"fmt"

	"github.com/hiddendim/hiddendim/generators"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// The sortofclevr shapes and colors, in the reference generator's order.
var (
	shapeNames = [...]string{"square", "circle"}
	colorNames = [...]string{"red", "green", "blue", "orange", "gray", "yellow"}
)

// allColorNames and allShapeNames are every name a program may use.
func allColorNames() []string { return generators.ColorNames() }
func allShapeNames() []string { return generators.ShapeNames() }

// Object is one object of a scene.
type Object struct {
	Color string `json:"color"`
	Shape string `json:"shape"`
	// Center is [x, y] in pixels.
	Center [2]float64 `json:"center"`
	// BBox is the tight box of its mask, [x0, y0, x1, y1).
	BBox [4]int `json:"bbox"`
	// Size is the square's side or the circle's diameter, in pixels.
	Size float64 `json:"size"`
	// SizeClass is "small" or "large" in the programs mode.
	SizeClass string `json:"size_class,omitempty"`
}

// Scene is what programs run on.
type Scene struct {
	Width, Height int
	Objects       []Object
}

// Value is a program's result: exactly one field is meaningful, by Kind.
type Value struct {
	Kind kind
	Set  uint64 // bit i: object i (scenes hold at most 64 objects)
	Obj  int
	Bool bool
	Int  int
	Str  string // shape or color
}

// Text is the value as a question's answer reads: yes/no, a number, a word.
func (v Value) Text() string {
	switch v.Kind {
	case kBool:
		if v.Bool {
			return "yes"
		}
		return "no"
	case kInt:
		return strconv.Itoa(v.Int)
	case kShape, kColor:
		return v.Str
	case kObj:
		return fmt.Sprintf("object %d", v.Obj)
	}
	return fmt.Sprintf("set %b", v.Set)
}

// ExecError reports a program that cannot run on a scene, such as a unique
// of a set that does not hold exactly one object.
type ExecError struct{ Msg string }

func (e *ExecError) Error() string { return "clevrlite: " + e.Msg }

// Execute runs prog on the scene, which may hold at most 64 objects.
func Execute(prog *Program, s *Scene) (Value, error) {
	if len(s.Objects) > 64 {
		return Value{}, &ExecError{fmt.Sprintf("a scene of %d objects; programs run on at most 64", len(s.Objects))}
	}
	return exec(prog, s)
}

func exec(prog *Program, s *Scene) (Value, error) {
	if prog.Fn == "with_swap" {
		a, b, _ := strings.Cut(prog.Param, ",")
		i, _ := strconv.Atoi(a)
		j, _ := strconv.Atoi(b)
		swapped, err := swap(s, i, j)
		if err != nil {
			return Value{}, err
		}
		return exec(prog.Inputs[0], swapped)
	}
	var in [2]Value
	for i, p := range prog.Inputs {
		v, err := exec(p, s)
		if err != nil {
			return Value{}, err
		}
		in[i] = v
	}
	n := len(s.Objects)
	all := uint64(1)<<n - 1
	where := func(from uint64, keep func(o *Object) bool) uint64 {
		var out uint64
		for i := 0; i < n; i++ {
			if from&(1<<i) != 0 && keep(&s.Objects[i]) {
				out |= 1 << i
			}
		}
		return out
	}
	set := func(m uint64) (Value, error) { return Value{Kind: kSet, Set: m}, nil }
	obj := func(v Value) *Object { return &s.Objects[v.Obj] }
	dist2 := func(a, b *Object) float64 {
		dx, dy := a.Center[0]-b.Center[0], a.Center[1]-b.Center[1]
		return dx*dx + dy*dy
	}
	switch prog.Fn {
	case "scene":
		return set(all)
	case "filter_color":
		return set(where(in[0].Set, func(o *Object) bool { return o.Color == prog.Param }))
	case "filter_shape":
		return set(where(in[0].Set, func(o *Object) bool { return o.Shape == prog.Param }))
	case "unique":
		if bits.OnesCount64(in[0].Set) != 1 {
			return Value{}, &ExecError{fmt.Sprintf("unique of a set of %d objects", bits.OnesCount64(in[0].Set))}
		}
		return Value{Kind: kObj, Obj: bits.TrailingZeros64(in[0].Set)}, nil
	case "relate":
		o := obj(in[0])
		return set(where(all&^(1<<in[0].Obj), func(p *Object) bool {
			switch prog.Param {
			case "left":
				return p.Center[0] < o.Center[0]
			case "right":
				return p.Center[0] > o.Center[0]
			case "above":
				return p.Center[1] < o.Center[1]
			}
			return p.Center[1] > o.Center[1]
		}))
	case "closest", "furthest":
		o := obj(in[0])
		best := -1
		for i := 0; i < n; i++ {
			if i == in[0].Obj {
				continue
			}
			d := dist2(o, &s.Objects[i])
			if best < 0 || prog.Fn == "closest" && d < dist2(o, &s.Objects[best]) || prog.Fn == "furthest" && d > dist2(o, &s.Objects[best]) {
				best = i
			}
		}
		if best < 0 {
			return Value{}, &ExecError{prog.Fn + " in a scene of one object"}
		}
		return Value{Kind: kObj, Obj: best}, nil
	case "same_shape": // the object itself included, as the reference counts
		o := obj(in[0])
		return set(where(all, func(p *Object) bool { return p.Shape == o.Shape }))
	case "same_color":
		o := obj(in[0])
		return set(where(all, func(p *Object) bool { return p.Color == o.Color }))
	case "count":
		return Value{Kind: kInt, Int: bits.OnesCount64(in[0].Set)}, nil
	case "exist":
		return Value{Kind: kBool, Bool: in[0].Set != 0}, nil
	case "query_shape":
		return Value{Kind: kShape, Str: obj(in[0]).Shape}, nil
	case "query_color":
		return Value{Kind: kColor, Str: obj(in[0]).Color}, nil
	case "is_left":
		return Value{Kind: kBool, Bool: obj(in[0]).Center[0] < float64(s.Width)/2}, nil
	case "is_top":
		return Value{Kind: kBool, Bool: obj(in[0]).Center[1] < float64(s.Height)/2}, nil
	case "equal_int":
		return Value{Kind: kBool, Bool: in[0].Int == in[1].Int}, nil
	case "less_than":
		return Value{Kind: kBool, Bool: in[0].Int < in[1].Int}, nil
	case "greater_than":
		return Value{Kind: kBool, Bool: in[0].Int > in[1].Int}, nil
	case "equal_shape", "equal_color":
		return Value{Kind: kBool, Bool: in[0].Str == in[1].Str}, nil
	case "and":
		return Value{Kind: kBool, Bool: in[0].Bool && in[1].Bool}, nil
	case "or":
		return Value{Kind: kBool, Bool: in[0].Bool || in[1].Bool}, nil
	case "union":
		return set(in[0].Set | in[1].Set)
	case "intersect":
		return set(in[0].Set & in[1].Set)
	case "not":
		return Value{Kind: kBool, Bool: !in[0].Bool}, nil
	case "position":
		k, _ := strconv.Atoi(prog.Param)
		order := leftToRight(s, in[0].Set)
		if k > len(order) {
			return Value{}, &ExecError{fmt.Sprintf("position %d of a set of %d objects", k, len(order))}
		}
		return Value{Kind: kObj, Obj: order[k-1]}, nil
	case "position_of":
		return Value{Kind: kInt, Int: slices.Index(leftToRight(s, all), in[0].Obj) + 1}, nil
	case "between", "on_line", "obtuse":
		a, b := obj(in[0]), obj(in[1])
		return set(where(all&^(1<<in[0].Obj|1<<in[1].Obj), func(c *Object) bool { return ternary(prog.Fn, *a, *b, *c) }))
	}
	return Value{}, &ExecError{fmt.Sprintf("unknown function %q", prog.Fn)}
}

// leftToRight lists the objects of a set by x, then y, then index.
func leftToRight(s *Scene, set uint64) []int {
	var out []int
	for i := range s.Objects {
		if set&(1<<i) != 0 {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out, func(a, b int) int {
		pa, pb := s.Objects[a].Center, s.Objects[b].Center
		if pa[0] != pb[0] {
			return cmpFloat(pa[0], pb[0])
		}
		return cmpFloat(pa[1], pb[1])
	})
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// swap returns a copy of the scene in which the objects at positions i and
// j (1-based, left to right) have traded places.
func swap(s *Scene, i, j int) (*Scene, error) {
	order := leftToRight(s, uint64(1)<<len(s.Objects)-1)
	if j > len(order) {
		return nil, &ExecError{fmt.Sprintf("swap of position %d in a scene of %d objects", j, len(order))}
	}
	c := &Scene{Width: s.Width, Height: s.Height, Objects: slices.Clone(s.Objects)}
	a, b := &c.Objects[order[i-1]], &c.Objects[order[j-1]]
	a.Center, b.Center = b.Center, a.Center
	a.BBox, b.BBox = b.BBox, a.BBox
	return c, nil
}

// ternary holds the reference generator's three ternary relations of a
// third object c to a and b:
//   - between: c's center lies in the closed box spanned by a's and b's;
//   - on_line: c's center lies within 12 px, vertically, of the line
//     through a and b (a vertical line is approximated as the reference
//     does, with a slope of (yb−ya)/1e-10);
//   - obtuse: the triangle abc's largest angle is at least 90° and below
//     180° (collinear points form no triangle).
func ternary(fn string, a, b, c Object) bool {
	ax, ay, bx, by, cx, cy := a.Center[0], a.Center[1], b.Center[0], b.Center[1], c.Center[0], c.Center[1]
	switch fn {
	case "between":
		return min(ax, bx) <= cx && cx <= max(ax, bx) && min(ay, by) <= cy && cy <= max(ay, by)
	case "on_line":
		m := (by - ay) / (bx - ax + 1e-10)
		y := m*cx + (ay - m*ax)
		return y-12 <= cy && cy <= y+12
	}
	la, lb, lc := math.Hypot(bx-cx, by-cy), math.Hypot(cx-ax, cy-ay), math.Hypot(ax-bx, ay-by)
	angle := func(opp, s1, s2 float64) float64 {
		return math.Acos((s1*s1+s2*s2-opp*opp)/(2*s1*s2)) * 180 / math.Pi
	}
	m := max(angle(la, lb, lc), angle(lb, la, lc), angle(lc, la, lb))
	return m >= 90 && m < 180 // NaN (degenerate) compares false
}

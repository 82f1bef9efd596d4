package clevrlite

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
)

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

// Execute type-checks prog as Parse does and runs it on the scene. It
// never panics: a program that does not type-check (one built by hand, or
// nil) returns a *ProgramError naming the node of its text form at fault;
// a nil scene, a scene of more than 64 objects, or a program that cannot
// run on this scene (a unique of a set that does not hold exactly one
// object, say) returns an *ExecError.
func Execute(prog *Program, s *Scene) (Value, error) {
	c, err := new(compiler).compile(prog)
	if err != nil {
		return Value{}, err
	}
	return c.run(s)
}

// run executes type-checked code on the scene.
func (c *code) run(s *Scene) (Value, error) { return c.runIn(&env{s: s}) }

// env is one scene as programs see it, with what they compute of it more
// than once.
type env struct {
	s *Scene
	// memo, if not nil, holds one result per compiled node (by slot) of
	// the compiler the programs came from.
	memo []result
	// swaps holds, when memo is set, the env of each swapped scene asked
	// for, so that programs under the same swap share their steps too.
	swaps map[[2]int]*env
	spare []*env // swapped envs of earlier scenes, for reuse
	gen   uint32 // results of other generations are stale
	// obtuse[triangle] is 0 until the triangle of objects i < j < k
	// (index (i·n + j)·n + k) is checked, then 1 if obtuse, 2 if not.
	obtuse []uint8
}

type result struct {
	v   Value
	err error
	gen uint32 // the env generation it was computed in
}

// newEnv returns an env for scene s that remembers the results of nodes
// slots of one compiler, reusing e's storage if e is not nil.
func newEnv(e *env, s *Scene, slots int) *env {
	if e == nil {
		e = &env{}
	}
	e.s = s
	if cap(e.memo) < slots {
		e.memo = make([]result, slots)
	}
	e.memo = e.memo[:slots]
	if e.gen++; e.gen == 0 { // a new generation forgets every result
		clear(e.memo)
		e.gen = 1
	}
	e.obtuse = e.obtuse[:0]
	for k, inner := range e.swaps {
		e.spare = append(e.spare, inner)
		delete(e.swaps, k)
	}
	return e
}

// swapped returns the env of the scene with the objects at positions i
// and j exchanged.
func (e *env) swapped(i, j int) (*env, error) {
	if inner, ok := e.swaps[[2]int{i, j}]; ok {
		return inner, nil
	}
	s, err := swap(e.s, i, j)
	if err != nil {
		return nil, err
	}
	if e.memo == nil {
		return &env{s: s}, nil
	}
	var inner *env
	if n := len(e.spare); n > 0 {
		inner, e.spare = e.spare[n-1], e.spare[:n-1]
	}
	inner = newEnv(inner, s, len(e.memo))
	if e.swaps == nil {
		e.swaps = map[[2]int]*env{}
	}
	e.swaps[[2]int{i, j}] = inner
	return inner, nil
}

func (e *env) isObtuse(i, j, k int) bool {
	n := len(e.s.Objects)
	if len(e.obtuse) == 0 {
		if cap(e.obtuse) < n*n*n {
			e.obtuse = make([]uint8, n*n*n)
		}
		e.obtuse = e.obtuse[:n*n*n]
		clear(e.obtuse)
	}
	if i > j {
		i, j = j, i
	}
	if j > k {
		j, k = k, j
	}
	if i > j {
		i, j = j, i
	}
	at := (i*n+j)*n + k
	if e.obtuse[at] == 0 {
		e.obtuse[at] = 2
		o := e.s.Objects
		if ternary(opObtuse, o[i].Center, o[j].Center, o[k].Center) { // symmetric in its three points
			e.obtuse[at] = 1
		}
	}
	return e.obtuse[at] == 1
}

// runIn executes type-checked code in env e, whose scene may hold at most
// 64 objects.
func (c *code) runIn(e *env) (Value, error) {
	if e.s == nil {
		return Value{}, &ExecError{"no scene (nil) to run a program on"}
	}
	if len(e.s.Objects) > 64 {
		return Value{}, &ExecError{fmt.Sprintf("a scene of %d objects; programs run on at most 64", len(e.s.Objects))}
	}
	return c.exec(e)
}

func (c *code) exec(e *env) (Value, error) {
	if e.memo == nil {
		return c.compute(e)
	}
	r := &e.memo[c.slot]
	if r.gen != e.gen {
		r.v, r.err = c.compute(e)
		r.gen = e.gen
	}
	return r.v, r.err
}

func (c *code) compute(e *env) (Value, error) {
	s := e.s
	if c.op == opWithSwap {
		inner, err := e.swapped(c.i, c.j)
		if err != nil {
			return Value{}, err
		}
		return c.in[0].exec(inner)
	}
	var in [2]Value
	for i, p := range c.in {
		v, err := p.exec(e)
		if err != nil {
			return Value{}, err
		}
		in[i] = v
	}
	objs := s.Objects
	n := len(objs)
	all := uint64(1)<<n - 1
	set := func(m uint64) (Value, error) { return Value{Kind: kSet, Set: m}, nil }
	boolean := func(b bool) (Value, error) { return Value{Kind: kBool, Bool: b}, nil }
	var out uint64
	switch c.op {
	case opScene:
		return set(all)
	case opFilterColor:
		for i := range n {
			if in[0].Set&(1<<i) != 0 && objs[i].Color == c.param {
				out |= 1 << i
			}
		}
		return set(out)
	case opFilterShape:
		for i := range n {
			if in[0].Set&(1<<i) != 0 && objs[i].Shape == c.param {
				out |= 1 << i
			}
		}
		return set(out)
	case opUnique:
		if k := bits.OnesCount64(in[0].Set); k != 1 {
			return Value{}, &ExecError{fmt.Sprintf("unique of a set of %d objects", k)}
		}
		return Value{Kind: kObj, Obj: bits.TrailingZeros64(in[0].Set)}, nil
	case opRelate:
		o := objs[in[0].Obj].Center
		for i := range n {
			p := objs[i].Center
			var ok bool
			switch c.i {
			case 0: // left
				ok = p[0] < o[0]
			case 1: // right
				ok = p[0] > o[0]
			case 2: // above
				ok = p[1] < o[1]
			default: // below
				ok = p[1] > o[1]
			}
			if ok && i != in[0].Obj {
				out |= 1 << i
			}
		}
		return set(out)
	case opClosest, opFurthest:
		o := objs[in[0].Obj].Center
		best, bestD := -1, 0.0
		for i := range n {
			if i == in[0].Obj {
				continue
			}
			dx, dy := o[0]-objs[i].Center[0], o[1]-objs[i].Center[1]
			d := dx*dx + dy*dy
			if best < 0 || c.op == opClosest && d < bestD || c.op == opFurthest && d > bestD {
				best, bestD = i, d
			}
		}
		if best < 0 {
			return Value{}, &ExecError{c.fn + " in a scene of one object"}
		}
		return Value{Kind: kObj, Obj: best}, nil
	case opSameShape: // the object itself included, as the reference counts
		for i := range n {
			if objs[i].Shape == objs[in[0].Obj].Shape {
				out |= 1 << i
			}
		}
		return set(out)
	case opSameColor:
		for i := range n {
			if objs[i].Color == objs[in[0].Obj].Color {
				out |= 1 << i
			}
		}
		return set(out)
	case opCount:
		return Value{Kind: kInt, Int: bits.OnesCount64(in[0].Set)}, nil
	case opExist:
		return boolean(in[0].Set != 0)
	case opQueryShape:
		return Value{Kind: kShape, Str: objs[in[0].Obj].Shape}, nil
	case opQueryColor:
		return Value{Kind: kColor, Str: objs[in[0].Obj].Color}, nil
	case opIsLeft:
		return boolean(objs[in[0].Obj].Center[0] < float64(s.Width)/2)
	case opIsTop:
		return boolean(objs[in[0].Obj].Center[1] < float64(s.Height)/2)
	case opEqualInt:
		return boolean(in[0].Int == in[1].Int)
	case opLessThan:
		return boolean(in[0].Int < in[1].Int)
	case opGreaterThan:
		return boolean(in[0].Int > in[1].Int)
	case opEqualStr:
		return boolean(in[0].Str == in[1].Str)
	case opAnd:
		return boolean(in[0].Bool && in[1].Bool)
	case opOr:
		return boolean(in[0].Bool || in[1].Bool)
	case opUnion:
		return set(in[0].Set | in[1].Set)
	case opIntersect:
		return set(in[0].Set & in[1].Set)
	case opNot:
		return boolean(!in[0].Bool)
	case opPosition:
		var buf [64]int
		order := leftToRight(s, in[0].Set, buf[:0])
		if c.i > len(order) {
			return Value{}, &ExecError{fmt.Sprintf("position %d of a set of %d objects", c.i, len(order))}
		}
		return Value{Kind: kObj, Obj: order[c.i-1]}, nil
	case opPositionOf:
		var buf [64]int
		return Value{Kind: kInt, Int: slices.Index(leftToRight(s, all, buf[:0]), in[0].Obj) + 1}, nil
	case opBetween, opOnLine, opObtuse:
		ia, ib := in[0].Obj, in[1].Obj
		a, b := objs[ia].Center, objs[ib].Center
		skip := uint64(1)<<ia | uint64(1)<<ib
		for i := range n {
			if skip&(1<<i) != 0 {
				continue
			}
			if c.op == opObtuse && e.isObtuse(ia, ib, i) || c.op != opObtuse && ternary(c.op, a, b, objs[i].Center) {
				out |= 1 << i
			}
		}
		return set(out)
	}
	return Value{}, &ExecError{fmt.Sprintf("unknown function %q", c.fn)}
}

// leftToRight appends to out the objects of a set by x, then y, then index.
func leftToRight(s *Scene, set uint64, out []int) []int {
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
	order := leftToRight(s, uint64(1)<<len(s.Objects)-1, nil)
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
//   - obtuse: the triangle abc has an angle of at least 90° and is not
//     flat (collinear points, or two that coincide, form no triangle).
//     The test is exact on whole-pixel centers: the angle at a is at
//     least 90° when (b−a)·(c−a) ≤ 0, and the points are collinear when
//     the cross product (b−a)×(c−a) is 0, both computed in integers.
func ternary(op opcode, a, b, c [2]float64) bool {
	ax, ay, bx, by, cx, cy := a[0], a[1], b[0], b[1], c[0], c[1]
	switch op {
	case opBetween:
		return min(ax, bx) <= cx && cx <= max(ax, bx) && min(ay, by) <= cy && cy <= max(ay, by)
	case opOnLine:
		m := (by - ay) / (bx - ax + 1e-10)
		y := m*cx + (ay - m*ax)
		return y-12 <= cy && cy <= y+12
	}
	return obtuse(a, b, c)
}

// obtuse reports whether triangle abc has an angle of at least 90° and is
// not flat. On whole-pixel coordinates (below 2³⁰ in size) it uses
// integer dot and cross products, so exact right angles and collinear
// triples are decided exactly; other coordinates take the same test in
// floating point.
func obtuse(a, b, c [2]float64) bool {
	if p, ok := whole(a, b, c); ok {
		dot := func(o, u, v [2]int64) int64 { return (u[0]-o[0])*(v[0]-o[0]) + (u[1]-o[1])*(v[1]-o[1]) }
		cross := (p[1][0]-p[0][0])*(p[2][1]-p[0][1]) - (p[1][1]-p[0][1])*(p[2][0]-p[0][0])
		return cross != 0 && (dot(p[0], p[1], p[2]) <= 0 || dot(p[1], p[0], p[2]) <= 0 || dot(p[2], p[0], p[1]) <= 0)
	}
	dot := func(o, u, v [2]float64) float64 { return (u[0]-o[0])*(v[0]-o[0]) + (u[1]-o[1])*(v[1]-o[1]) }
	cross := (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
	return cross != 0 && (dot(a, b, c) <= 0 || dot(b, a, c) <= 0 || dot(c, a, b) <= 0)
}

// whole returns the points as integers if every coordinate is a whole
// number of magnitude below 2³⁰, where the products above cannot overflow.
func whole(a, b, c [2]float64) ([3][2]int64, bool) {
	var out [3][2]int64
	for i, p := range [3][2]float64{a, b, c} {
		for k, v := range p {
			if v != math.Trunc(v) || math.Abs(v) >= 1<<30 {
				return out, false
			}
			out[i][k] = int64(v)
		}
	}
	return out, true
}

package scenes

import (
	"fmt"
	"slices"
)

// A Scene judges captions written in its dataset's grammar against its
// ground truth: CaptionTrue reports whether caption parses and is true of
// the scene. RelationScene and CountScene are the two kinds.
type Scene interface {
	CaptionTrue(caption string) bool
}

// RelationScene is what a relation caption is judged against: the sample's
// objects and the canvas size, which fixes the 2×2 grid of cells the
// figures sit in.
type RelationScene struct {
	ImageSize int
	Objects   []Object
}

// CaptionTrue parses caption as a relation caption and reports whether it
// is true of the scene (see RelationTrue).
func (s RelationScene) CaptionTrue(caption string) bool {
	c, err := ParseCaption(caption)
	return err == nil && RelationTrue(c, s.Objects, s.ImageSize)
}

// cellOf is the grid cell (column, row) of the 2×2 grid of a canvas of
// imageSize pixels that holds the point.
func cellOf(p [2]float64, imageSize int) [2]int {
	half := float64(imageSize / 2)
	return [2]int{int(p[0] / half), int(p[1] / half)}
}

// RelationHolds reports whether predicate rel holds of figures centered in
// cells a and b of the 2×2 grid, as the relations generator places them:
// above (below) is the same column, a in the row above (below) b; left_of
// (right_of) is the same row, a in the column left (right) of b; next_to
// is the same row, either side. Unknown predicates never hold.
func RelationHolds(rel string, a, b [2]int) bool {
	sameCol, sameRow := a[0] == b[0], a[1] == b[1]
	switch rel {
	case "above":
		return sameCol && a[1] < b[1]
	case "below":
		return sameCol && a[1] > b[1]
	case "left_of":
		return sameRow && a[0] < b[0]
	case "right_of":
		return sameRow && a[0] > b[0]
	case "next_to":
		return sameRow && a[0] != b[0]
	}
	return false
}

// RelationTrue reports whether caption c is true of a relations scene of
// the given objects on a canvas of imageSize pixels. A one-figure caption
// is true when the scene holds exactly that one figure; a relation caption
// is true when the scene holds exactly two figures, the caption's A and B
// (in either object order), and the predicate holds of their cells (see
// RelationHolds). Truth is decided from the objects alone, never from the
// sample's caption or its relation edge, so every true wording is true: a
// horizontal pair is true as next_to and as left_of/right_of, and
// "A above B" is true exactly when "B below A" is.
func RelationTrue(c Caption, objs []Object, imageSize int) bool {
	fig := func(o Object) Figure { return Figure{Color: o.Color, Shape: o.Shape} }
	if c.Single() {
		return len(objs) == 1 && fig(objs[0]) == c.A
	}
	if len(objs) != 2 || imageSize < 2 {
		return false
	}
	for _, ab := range [][2]int{{0, 1}, {1, 0}} {
		a, b := objs[ab[0]], objs[ab[1]]
		if fig(a) == c.A && fig(b) == c.B && RelationHolds(c.Rel, cellOf(a.Center, imageSize), cellOf(b.Center, imageSize)) {
			return true
		}
	}
	return false
}

// CountScene is what a counting caption is judged against: the sample's
// objects and its on_top_of edges.
type CountScene struct {
	Objects   []CountObject
	Relations []Relation
}

// CaptionTrue parses caption as a counting caption and reports whether it
// is true of the scene (see CountTrue).
func (s CountScene) CaptionTrue(caption string) bool {
	c, err := ParseCountCaption(caption)
	return err == nil && CountTrue(c, s.Objects, s.Relations)
}

// CountTrue reports whether caption c is true of a counting scene, of any
// family, whatever family the sample was drawn for:
//
//   - counts ("3 circles, 1 square"): the groups name distinct shapes and
//     the scene holds exactly that many figures of each, and no others;
//   - attributes ("3 large red squares, 2 small blue circles"): the groups
//     name distinct kinds and the scene holds exactly that many figures of
//     each kind, and no others;
//   - stacking ("2 large red squares, 3 triangles on top"): the on_top_of
//     edges chain every figure into one column of base+top figures, the
//     bottom base of them all of the base's size, color and shape and the
//     top ones all of the top's shape;
//   - the pair ("one square on top of the other"): the column is two
//     figures, both of that shape.
//
// So "2 large red triangles, 1 triangle on top" and "1 large red
// triangle, 2 triangles on top" are both true of three identical large red
// triangles; StackingCaption says which one the generator writes.
func CountTrue(c CountCaption, objs []CountObject, rels []Relation) bool {
	switch c.Family {
	case Counts, Attributes:
		want := map[Group]int{}
		total := 0
		for _, g := range c.Groups {
			kind := Group{Size: g.Size, Color: g.Color, Shape: g.Shape}
			if _, dup := want[kind]; dup || g.Count < 1 || (c.Family == Counts) != (g.Size == "") {
				return false
			}
			want[kind] = g.Count
			total += g.Count
		}
		if total != len(objs) {
			return false
		}
		for _, o := range objs {
			kind := Group{Shape: o.Shape}
			if c.Family == Attributes {
				kind = Group{Size: o.Size, Color: o.Color, Shape: o.Shape}
			}
			if want[kind] == 0 {
				return false
			}
			want[kind]--
		}
		return true
	case Stacking:
		col, err := Column(objs, rels)
		if err != nil || len(c.Groups) != 2 {
			return false
		}
		base, top := c.Groups[0], c.Groups[1]
		if c.Pair {
			return len(col) == 2 && col[0].Shape == base.Shape && col[1].Shape == base.Shape
		}
		if base.Count < 1 || top.Count < 1 || base.Count+top.Count != len(col) {
			return false
		}
		for k, o := range col {
			if k < base.Count && (o.Size != base.Size || o.Color != base.Color || o.Shape != base.Shape) {
				return false
			}
			if k >= base.Count && o.Shape != top.Shape {
				return false
			}
		}
		return true
	}
	return false
}

// Column orders a stacking scene's figures from the bottom up by its
// on_top_of edges. It fails unless the edges chain every figure into one
// column of at least two: each figure but the bottom one rests on exactly
// one, and each but the top one carries exactly one.
func Column(objs []CountObject, rels []Relation) ([]CountObject, error) {
	n := len(objs)
	if n < 2 {
		return nil, fmt.Errorf("scenes: a column needs two figures or more, the scene has %d", n)
	}
	on := make([]int, n) // on[k]: the figure k rests on, or -1
	for k := range on {
		on[k] = -1
	}
	carries := make([]int, n) // figures resting on k
	for _, r := range rels {
		if r.Predicate != "on_top_of" {
			continue
		}
		if r.Subject < 0 || r.Subject >= n || r.Object < 0 || r.Object >= n || r.Subject == r.Object {
			return nil, fmt.Errorf("scenes: on_top_of edge %d→%d: want two different figures of the %d", r.Subject, r.Object, n)
		}
		if on[r.Subject] != -1 {
			return nil, fmt.Errorf("scenes: figure %d rests on two figures", r.Subject)
		}
		on[r.Subject] = r.Object
		carries[r.Object]++
	}
	bottom := slices.Index(on, -1)
	if bottom < 0 || slices.Index(on[bottom+1:], -1) >= 0 {
		return nil, fmt.Errorf("scenes: the on_top_of edges do not stand on exactly one bottom figure")
	}
	above := make([]int, n) // above[k]: the figure resting on k
	for k, o := range on {
		if o >= 0 {
			if carries[o] != 1 {
				return nil, fmt.Errorf("scenes: figure %d carries %d figures", o, carries[o])
			}
			above[o] = k
		}
	}
	col := []CountObject{objs[bottom]}
	for k := bottom; carries[k] == 1; k = above[k] {
		if len(col) == n {
			return nil, fmt.Errorf("scenes: the on_top_of edges form a loop")
		}
		col = append(col, objs[above[k]])
	}
	if len(col) != n {
		return nil, fmt.Errorf("scenes: the on_top_of edges chain %d of the %d figures", len(col), n)
	}
	return col, nil
}

// StackingCaption is the one caption the generator writes for a column of
// figures, given from the bottom up. More than one stacking caption can be
// true of a column; the rule picks one:
//
//   - two figures of one shape are "one <shape> on top of the other",
//     whatever their sizes and colors (not "1 large red square, 1 square
//     on top", true too when the bottom one is large);
//   - otherwise the bottom figure must be large, and the base takes every
//     figure from the bottom up that is large and of the bottom figure's
//     color and shape, leaving at least one on top: three identical large
//     red triangles under a circle are "3 large red triangles, 1 circle on
//     top", and three identical large red triangles alone are "2 large red
//     triangles, 1 triangle on top", never "1 large red triangle, 2
//     triangles on top".
//
// It fails for columns the generator never draws: fewer than two figures,
// a small bottom figure under more than one figure or one of another shape,
// or figures above the base of more than one shape.
func StackingCaption(col []CountObject) (CountCaption, error) {
	if len(col) < 2 {
		return CountCaption{}, fmt.Errorf("scenes: a stacking caption needs a column of two figures or more, got %d", len(col))
	}
	b := col[0]
	if len(col) == 2 && col[1].Shape == b.Shape {
		return CountCaption{Family: Stacking, Groups: []Group{{Count: 1, Shape: b.Shape}, {Count: 1, Shape: b.Shape}}, Pair: true}, nil
	}
	if b.Size != "large" {
		return CountCaption{}, fmt.Errorf("scenes: the generator's stacking captions stand on a large figure, this column on a small %s %s", b.Color, b.Shape)
	}
	base := 1
	for base < len(col)-1 && col[base].Size == b.Size && col[base].Color == b.Color && col[base].Shape == b.Shape {
		base++
	}
	top := Group{Count: len(col) - base, Shape: col[base].Shape}
	for _, o := range col[base:] {
		if o.Shape != top.Shape {
			return CountCaption{}, fmt.Errorf("scenes: no stacking caption fits a column whose top mixes %ss and %ss", top.Shape, o.Shape)
		}
	}
	return CountCaption{Family: Stacking, Groups: []Group{{Count: base, Size: b.Size, Color: b.Color, Shape: b.Shape}, top}}, nil
}

package scenes

import (
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// relObj is a figure centered in cell (col, row) of a 56 px canvas (cells
// of 28 px), off the cell's center as jitter would put it.
func relObj(color, shape string, col, row int) Object {
	return Object{Color: color, Shape: shape, Center: [2]float64{float64(col*28) + 9.5, float64(row*28) + 20.25}}
}

func TestRelationTrue(t *testing.T) {
	// red square top left, blue circle top right: a side-by-side pair.
	side := []Object{relObj("red", "square", 0, 0), relObj("blue", "circle", 1, 0)}
	// green triangle bottom right under red square top right.
	column := []Object{relObj("red", "square", 1, 0), relObj("green", "triangle", 1, 1)}
	// Two identical figures, one above the other.
	twins := []Object{relObj("red", "square", 0, 1), relObj("red", "square", 0, 0)}
	one := []Object{relObj("blue", "circle", 1, 1)}
	tests := []struct {
		caption string
		objs    []Object
		want    bool
	}{
		// Both wordings of a side-by-side pair, in both orders.
		{"red square next_to blue circle", side, true},
		{"blue circle next_to red square", side, true},
		{"red square left_of blue circle", side, true},
		{"blue circle right_of red square", side, true},
		// Swapped subject and object.
		{"red square right_of blue circle", side, false},
		{"blue circle left_of red square", side, false},
		// Wrong relation: a row is neither above nor below.
		{"red square above blue circle", side, false},
		{"red square below blue circle", side, false},
		// Wrong color, wrong shape.
		{"green square next_to blue circle", side, false},
		{"red square next_to blue square", side, false},
		// A column: above and below, never side by side.
		{"red square above green triangle", column, true},
		{"green triangle below red square", column, true},
		{"green triangle above red square", column, false},
		{"red square below green triangle", column, false},
		{"red square next_to green triangle", column, false},
		{"red square left_of green triangle", column, false},
		// Identical figures: object order does not matter.
		{"red square above red square", twins, true},
		{"red square below red square", twins, true},
		{"red square next_to red square", twins, false},
		// One figure: true only of a scene of exactly that figure.
		{"blue circle", one, true},
		{"red circle", one, false},
		{"blue circle", side, false},
		{"red square", side, false},
		{"blue circle above red square", one, false},
		// Not a caption.
		{"blue circle on top of red square", side, false},
		{"", one, false},
	}
	for _, tc := range tests {
		t.Run(tc.caption, func(t *testing.T) {
			if got := (RelationScene{ImageSize: 56, Objects: tc.objs}).CaptionTrue(tc.caption); got != tc.want {
				t.Errorf("%q over %+v: %v, want %v", tc.caption, tc.objs, got, tc.want)
			}
		})
	}
}

// column stacks figures from the bottom up with on_top_of edges, as the
// generator records them.
func column(objs ...CountObject) CountScene {
	s := CountScene{Objects: objs}
	for k := 1; k < len(objs); k++ {
		s.Relations = append(s.Relations, Relation{Subject: k, Predicate: "on_top_of", Object: k - 1})
	}
	return s
}

func TestCountTrue(t *testing.T) {
	lrt := CountObject{Size: "large", Color: "red", Shape: "triangle"}
	sbc := CountObject{Size: "small", Color: "blue", Shape: "circle"}
	lgc := CountObject{Size: "large", Color: "green", Shape: "circle"}
	sgs := CountObject{Size: "small", Color: "green", Shape: "square"}
	lrs := CountObject{Size: "large", Color: "red", Shape: "square"}
	flat := CountScene{Objects: []CountObject{lrt, sbc, lgc, sgs, lrt}} // no edges: nothing stacked
	three := column(lrt, lrt, lrt)
	tests := []struct {
		name, caption string
		scene         CountScene
		want          bool
	}{
		{"counts", "2 triangles, 2 circles, 1 square", flat, true},
		{"counts any order", "1 square, 2 circles, 2 triangles", flat, true},
		{"counts wrong count", "3 triangles, 2 circles, 1 square", flat, false},
		{"counts missing group", "2 triangles, 2 circles", flat, false},
		{"counts repeated group", "1 triangle, 1 triangle, 2 circles, 1 square", flat, false},
		{"attributes", "2 large red triangles, 1 small blue circle, 1 large green circle, 1 small green square", flat, true},
		{"attributes wrong color", "2 large red triangles, 1 small green circle, 1 large green circle, 1 small green square", flat, false},
		{"attributes wrong size", "2 small red triangles, 1 small blue circle, 1 large green circle, 1 small green square", flat, false},
		{"stacking over a flat scene", "2 large red triangles, 3 circles on top", flat, false},
		// The case: three identical large red triangles.
		{"three: base 2", "2 large red triangles, 1 triangle on top", three, true},
		{"three: base 1", "1 large red triangle, 2 triangles on top", three, true},
		{"three: counts", "3 triangles", three, true},
		{"three: wrong count", "2 large red triangles, 2 triangles on top", three, false},
		{"three: wrong color", "2 large blue triangles, 1 triangle on top", three, false},
		{"three: pair", "one triangle on top of the other", three, false},
		{"base and top", "2 large red triangles, 2 circles on top", column(lrt, lrt, sbc, lgc), true},
		{"swapped base and top", "2 large green circles, 2 triangles on top", column(lrt, lrt, sbc, lgc), false},
		{"base too short", "1 large red triangle, 3 circles on top", column(lrt, lrt, sbc, lgc), false},
		{"top of two shapes", "2 large red triangles, 2 circles on top", column(lrt, lrt, sbc, sgs), false},
		// A pair of one shape on a large figure: both forms are true.
		{"pair on large", "one circle on top of the other", column(lgc, sbc), true},
		{"pair on large, base form", "1 large green circle, 1 circle on top", column(lgc, sbc), true},
		{"pair on small", "one circle on top of the other", column(sbc, lgc), true},
		{"pair on small, base form", "1 small blue circle, 1 circle on top", column(sbc, lgc), true},
		{"pair on small, large base", "1 large blue circle, 1 circle on top", column(sbc, lgc), false},
		{"pair of two shapes", "one square on top of the other", column(lrs, sbc), false},
		{"upside down", "1 large red square, 1 circle on top", column(sbc, lrs), false},
		{"not a caption", "one square on top", column(lrs, lrs), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.scene.CaptionTrue(tc.caption); got != tc.want {
				t.Errorf("%q over %+v: %v, want %v", tc.caption, tc.scene, got, tc.want)
			}
		})
	}
}

func TestColumnRejectsBrokenEdges(t *testing.T) {
	o := CountObject{Size: "large", Color: "red", Shape: "square"}
	objs := []CountObject{o, o, o}
	tests := []struct {
		name string
		rels []Relation
	}{
		{"no edges", nil},
		{"one missing", []Relation{{1, "on_top_of", 0}}},
		{"two on one", []Relation{{1, "on_top_of", 0}, {2, "on_top_of", 0}}},
		{"one on two", []Relation{{1, "on_top_of", 0}, {1, "on_top_of", 2}}},
		{"loop", []Relation{{1, "on_top_of", 2}, {2, "on_top_of", 1}}},
		{"out of range", []Relation{{1, "on_top_of", 0}, {2, "on_top_of", 3}}},
		{"on itself", []Relation{{1, "on_top_of", 0}, {2, "on_top_of", 2}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if col, err := Column(objs, tc.rels); err == nil {
				t.Errorf("edges %v chain into %v, want an error", tc.rels, col)
			}
		})
	}
	if col, err := Column(objs, []Relation{{2, "on_top_of", 1}, {1, "on_top_of", 0}}); err != nil || len(col) != 3 {
		t.Errorf("a chain: %v, %v", col, err)
	}
}

func TestStackingCaption(t *testing.T) {
	lrt := CountObject{Size: "large", Color: "red", Shape: "triangle"}
	srt := CountObject{Size: "small", Color: "red", Shape: "triangle"}
	lbt := CountObject{Size: "large", Color: "blue", Shape: "triangle"}
	sbc := CountObject{Size: "small", Color: "blue", Shape: "circle"}
	tests := []struct {
		name string
		col  []CountObject
		want string // "" for an error
	}{
		{"the issue's three triangles", []CountObject{lrt, lrt, lrt}, "2 large red triangles, 1 triangle on top"},
		{"identical base under another shape", []CountObject{lrt, lrt, lrt, sbc}, "3 large red triangles, 1 circle on top"},
		{"base grows over a matching figure", []CountObject{lrt, lrt, sbc}, "2 large red triangles, 1 circle on top"},
		{"a small one ends the base", []CountObject{lrt, srt, lrt}, "1 large red triangle, 2 triangles on top"},
		{"another color ends the base", []CountObject{lrt, lbt, lrt}, "1 large red triangle, 2 triangles on top"},
		{"pair on a large figure", []CountObject{lbt, srt}, "one triangle on top of the other"},
		{"two shapes on a large figure", []CountObject{lbt, sbc}, "1 large blue triangle, 1 circle on top"},
		{"pair on a small figure", []CountObject{srt, lbt}, "one triangle on top of the other"},
		{"small bottom, two shapes", []CountObject{srt, sbc}, ""},
		{"small bottom, three figures", []CountObject{srt, srt, srt}, ""},
		{"top of two shapes", []CountObject{lrt, sbc, srt}, ""},
		{"one figure", []CountObject{lrt}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := StackingCaption(tc.col)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("got %q, want an error", c)
				}
				return
			}
			if err != nil || c.String() != tc.want {
				t.Fatalf("got %q, %v; want %q", c, err, tc.want)
			}
			if !column(tc.col...).CaptionTrue(c.String()) {
				t.Errorf("%q is not true of its own column", c)
			}
		})
	}
}

// TestGeneratedRelationCaptionsAreTrueAndUnique checks, over thousands of
// samples of each config, that every caption the generator writes is true
// of its own scene graph, and that every other true caption using the
// predicates the generator writes says the same (is equal in canonical
// form); next_to, true of every side-by-side pair, is not written beside
// left_of or right_of (see captionedRelations).
func TestGeneratedRelationCaptionsAreTrueAndUnique(t *testing.T) {
	configs := map[string][]string{
		"default":         nil,
		"five predicates": {"relations=above,below,next_to,left_of,right_of", "single_fraction=0.1"},
		"left_of only":    {"relations=next_to,left_of", "colors=red,blue", "shapes=square"},
		"horizontal":      {"relations=next_to,right_of", "single_fraction=0.2"},
	}
	for name, sets := range configs {
		t.Run(name, func(t *testing.T) {
			cfg := relConfig(t, sets...)
			renderRel(t, cfg, "train", 2000, func(i int, ex *RelationsExample, s generators.Sample) {
				scene := RelationScene{ImageSize: cfg.ImageSize, Objects: ex.Objects}
				if !scene.CaptionTrue(ex.Caption) {
					t.Fatalf("sample %d: its caption %q is false of its scene %+v", i, ex.Caption, ex.Objects)
				}
				own, _ := ParseCaption(ex.Caption)
				if own.Single() {
					return
				}
				figs := []Figure{{ex.Objects[0].Color, ex.Objects[0].Shape}, {ex.Objects[1].Color, ex.Objects[1].Shape}}
				for _, rel := range captionedRelations(cfg.Relations) {
					for _, ab := range [][2]int{{0, 1}, {1, 0}} {
						c := Caption{A: figs[ab[0]], Rel: rel, B: figs[ab[1]]}
						if RelationTrue(c, ex.Objects, cfg.ImageSize) && c.Canonical() != own.Canonical() {
							t.Fatalf("sample %d: the generator wrote %q, and %q is true too", i, ex.Caption, c)
						}
					}
				}
			})
		})
	}
}

// stackingAlternatives lists every stacking caption of the grammar over
// the column's figures: each base count with the bottom figure's
// attributes and each top shape, and the pair of each shape.
func stackingAlternatives(col []CountObject) []CountCaption {
	var out []CountCaption
	for _, o := range col {
		out = append(out, CountCaption{Family: Stacking, Groups: []Group{{Count: 1, Shape: o.Shape}, {Count: 1, Shape: o.Shape}}, Pair: true})
		for base := 1; base < len(col); base++ {
			b := Group{Count: base, Size: col[0].Size, Color: col[0].Color, Shape: col[0].Shape}
			out = append(out, CountCaption{Family: Stacking, Groups: []Group{b, {Count: len(col) - base, Shape: o.Shape}}})
		}
	}
	return out
}

// TestGeneratedCountCaptionsAreTrueAndUnique checks that every caption the
// counting generator writes is true of its own scene graph and, for
// stacking, is StackingCaption's choice: a function of the scene, so that
// two scenes alike are captioned alike. It also counts the stacking
// columns that admit another true caption, which canonical equality
// alone would score as wrong.
func TestGeneratedCountCaptionsAreTrueAndUnique(t *testing.T) {
	configs := map[string][]string{
		"default": nil,
		"big":     {"image_size=128", "max_objects=20", "shapes=square,circle,triangle,star", "colors=red,green,blue,yellow"},
		"two":     {"max_objects=2", "colors=red", "shapes=square"},
	}
	for name, sets := range configs {
		t.Run(name, func(t *testing.T) {
			cfg := countConfig(t, sets...)
			stacks, ambiguous := 0, 0
			renderCount(t, cfg, 3000, func(i int, ex *CountingExample, s generators.Sample) {
				scene := CountScene{Objects: ex.Objects, Relations: ex.Relations}
				if !scene.CaptionTrue(ex.Caption) {
					t.Fatalf("sample %d: its caption %q is false of its scene %+v %+v", i, ex.Caption, ex.Objects, ex.Relations)
				}
				if ex.Family != Stacking {
					return
				}
				stacks++
				col, err := Column(ex.Objects, ex.Relations)
				if err != nil {
					t.Fatalf("sample %d: %v", i, err)
				}
				want, err := StackingCaption(col)
				if err != nil || want.String() != ex.Caption {
					t.Fatalf("sample %d: the generator wrote %q, the rule gives %q (%v)", i, ex.Caption, want, err)
				}
				others := map[string]bool{}
				for _, c := range stackingAlternatives(col) {
					if CountTrue(c, ex.Objects, ex.Relations) && c.String() != ex.Caption {
						others[c.String()] = true
					}
				}
				if len(others) > 0 {
					ambiguous++
				}
			})
			t.Logf("%s: %d of %d stacking columns admit another true stacking caption", name, ambiguous, stacks)
			if stacks == 0 {
				t.Fatal("no stacking samples")
			}
		})
	}
}

func FuzzCountTrue(f *testing.F) {
	f.Add([]byte{3, 0, 1, 1, 0, 2, 1}, "2 large red triangles, 1 triangle on top")
	f.Add([]byte{2, 1, 0, 0, 1}, "one square on top of the other")
	f.Add([]byte{4, 9, 9, 2, 2, 1, 3}, "3 circles, 1 square")
	f.Fuzz(func(t *testing.T, b []byte, caption string) {
		// b[0] figures, then pairs of bytes: on_top_of edges.
		if len(b) == 0 {
			return
		}
		kinds := []CountObject{{"triangle", "red", "large", [2]float64{}, [4]int{}}, {"square", "blue", "small", [2]float64{}, [4]int{}}}
		objs := make([]CountObject, int(b[0])%12)
		for k := range objs {
			objs[k] = kinds[k%2]
		}
		var rels []Relation
		for k := 1; k+1 < len(b); k += 2 {
			rels = append(rels, Relation{Subject: int(int8(b[k])), Predicate: "on_top_of", Object: int(int8(b[k+1]))})
		}
		col, err := Column(objs, rels)
		if err == nil && len(col) != len(objs) {
			t.Fatalf("column of %d from %d figures", len(col), len(objs))
		}
		scene := CountScene{Objects: objs, Relations: rels}
		got := scene.CaptionTrue(caption)
		if _, perr := ParseCountCaption(caption); perr != nil && got {
			t.Fatalf("%q does not parse but is true", caption)
		}
		if err == nil {
			if c, serr := StackingCaption(col); serr == nil && !scene.CaptionTrue(c.String()) {
				t.Fatalf("StackingCaption %q is false of its column", c)
			}
		}
		RelationScene{ImageSize: len(b), Objects: []Object{{Shape: "square", Color: "red"}}}.CaptionTrue(caption)
	})
}

package clevrlite

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// relevanceConfigs are the configs the generated questions are checked
// in: sortofclevr with the sequence and causal groups, balanced as by
// default and unbalanced (the reference's uniform asking), and programs,
// with either mix and unbalanced.
func relevanceConfigs(t testing.TB) map[string]*Config {
	t.Helper()
	out := map[string]*Config{}
	for name, settings := range map[string][]string{
		"sortofclevr+sequence":            {"sequence=true"},
		"sortofclevr+sequence,unbalanced": {"sequence=true", "balance=false"},
		"programs":                        {"questions=programs", "questions_per_group=6"},
		"programs,mix subtypes":           {"questions=programs", "questions_per_group=6", "mix=subtypes"},
		"programs,unbalanced":             {"questions=programs", "questions_per_group=6", "balance=false"},
	} {
		cfg := SortOfCLEVR{}.DefaultConfig().(*Config)
		if err := generators.SetAll(cfg, settings...); err != nil {
			t.Fatal(err)
		}
		out[name] = cfg
	}
	return out
}

// TestGeneratedQuestionsAreRelevantAndParse holds every question the
// generator emits relevant to its scene, and its text parsed back to its
// own family and program.
func TestGeneratedQuestionsAreRelevantAndParse(t *testing.T) {
	for name, cfg := range relevanceConfigs(t) {
		t.Run(name, func(t *testing.T) {
			qs, err := NewQuestions(cfg)
			if err != nil {
				t.Fatal(err)
			}
			families := map[string]int{}
			render(t, cfg, 300, func(i int, ex *Example) {
				s := qs.Scene(ex.Objects)
				for _, q := range ex.Questions {
					p, err := Parse(q.Program)
					if err != nil {
						t.Fatal(err)
					}
					if ok, why := Relevant(p, s); !ok {
						t.Fatalf("sample %d: the generator asked %q (%s), which Relevant refuses: %v", i, q.Text, q.Program, why)
					}
					fam, got, err := qs.Parse(q.Text)
					if err != nil || fam != q.Family || got.String() != q.Program {
						t.Fatalf("sample %d: %q parsed to %s %v (%v); want %s %s", i, q.Text, fam, got, err, q.Family, q.Program)
					}
					families[q.Family]++
				}
			})
			if len(families) != len(qs.Families()) {
				t.Errorf("%d of %d families asked: %v", len(families), len(qs.Families()), families)
			}
		})
	}
}

// twinScene has two red squares, a red circle and a blue circle (x, y):
//
//	0 red square (10, 10)   1 red square (40, 12)
//	2 red circle (60, 60)   3 blue circle (20, 50)
func twinScene() *Scene {
	at := func(c, sh string, x, y float64) Object { return Object{Color: c, Shape: sh, Center: [2]float64{x, y}} }
	return &Scene{Width: 75, Height: 75, Objects: []Object{
		at("red", "square", 10, 10), at("red", "square", 40, 12), at("red", "circle", 60, 60), at("blue", "circle", 20, 50),
	}}
}

func TestRelevant(t *testing.T) {
	hand, twin := handScene(), twinScene()
	one := &Scene{Width: 75, Height: 75, Objects: []Object{{Color: "red", Shape: "square", Center: [2]float64{10, 10}}}}
	tests := []struct {
		name       string
		prog       string // parsed; "" for the hand-built prog
		hand       *Program
		scene      *Scene
		flaw       Flaw
		step, says string // step at fault; a part of the detail
	}{
		{name: "a family's question", prog: "query_shape(unique(filter_color[red](scene())))", scene: hand},
		{name: "unique of none", prog: "query_shape(unique(filter_color[purple](scene())))", scene: hand,
			flaw: NotUnique, step: "unique(filter_color[purple](scene()))", says: "0 objects"},
		{name: "unique of two", prog: "query_color(closest(unique(filter_shape[square](scene()))))", scene: twin,
			flaw: NotUnique, step: "unique(filter_shape[square](scene()))", says: "2 objects"},
		{name: "unique of two, second input", prog: "equal_shape(query_shape(unique(filter_color[blue](scene()))), query_shape(unique(filter_color[red](scene()))))", scene: twin,
			flaw: NotUnique, step: "unique(filter_color[red](scene()))", says: "3 objects"},
		// Red objects: all squares in hand (one), not in twin.
		{name: "no-op shape filter", prog: "count(filter_shape[square](filter_color[red](scene())))", scene: hand,
			flaw: NoOpFilter, step: "filter_shape[square](filter_color[red](scene()))", says: "still 1"},
		// Twin: every square is red, so "red squares" are the squares.
		{name: "no-op color filter", prog: "count(filter_shape[square](filter_color[red](scene())))", scene: twin,
			flaw: NoOpFilter, step: "filter_color[red](scene())", says: "still 2"},
		// With a blue square too, both filters count.
		{name: "filters that both count", prog: "count(filter_shape[square](filter_color[red](scene())))",
			scene: &Scene{Width: 75, Height: 75, Objects: append(slices.Clone(twin.Objects), Object{Color: "blue", Shape: "square", Center: [2]float64{60, 20}})}},
		{name: "count of a color that is everything", prog: "count(filter_color[red](scene()))",
			scene: &Scene{Width: 75, Height: 75, Objects: twin.Objects[:3]}, flaw: NoOpFilter, step: "filter_color[red](scene())"},
		{name: "or that is everything", prog: "count(union(filter_color[red](scene()), filter_shape[circle](scene())))", scene: twin,
			flaw: NoOpFilter, step: "filter_color[red](scene())", says: "still 4"},
		// Left to right in hand: red square, gray square, blue square,
		// orange circle, green circle, yellow circle.
		{name: "no-op swap", prog: "with_swap[1,2](query_shape(position[2](scene())))", scene: hand,
			flaw: NoOpSwap, step: "with_swap[1,2](query_shape(position[2](scene())))", says: "square with or without the swap of positions 1 and 2"},
		{name: "a swap that counts", prog: "with_swap[3,4](query_shape(position[4](scene())))", scene: hand},
		{name: "a swap beyond the scene", prog: "with_swap[1,7](query_shape(position[7](scene())))", scene: hand,
			flaw: Undefined, step: "with_swap[1,7](query_shape(position[7](scene())))", says: "position 7 in a scene of 6"},
		// The counterfactual's swap may change nothing: its answer is no.
		{name: "a counterfactual whose answer is no", prog: "not(equal_shape(query_shape(position[2](scene())), with_swap[1,2](query_shape(position[2](scene())))))", scene: hand},
		// The leftmost object of hand is a square: the filter changes nothing, as color_of_leftmost allows.
		{name: "a family without the filter rule", prog: "query_color(position[1](filter_shape[square](scene())))", scene: hand},
		{name: "position beyond the scene", prog: "query_color(position[7](scene()))", scene: hand,
			flaw: Undefined, step: "position[7](scene())", says: "position 7 of a set of 6"},
		{name: "closest in a scene of one", prog: "query_shape(closest(unique(filter_color[red](scene()))))", scene: one,
			flaw: Undefined, step: "closest(unique(filter_color[red](scene())))", says: "one object"},
		// No family asks this: the filter rule holds, and dropping the shape
		// filter leaves the one red object, a square.
		{name: "no family, no-op filter", prog: "query_shape(unique(filter_color[red](filter_shape[square](scene()))))", scene: hand,
			flaw: NoOpFilter, step: "filter_shape[square](scene())"},
		{name: "no family, not unique", prog: "query_shape(unique(filter_color[red](filter_shape[square](scene()))))", scene: twin,
			flaw: NotUnique, step: "unique(filter_color[red](filter_shape[square](scene())))"},
		{name: "a unique under a swap", prog: "with_swap[1,2](query_shape(unique(relate[left](unique(filter_color[blue](scene()))))))", scene: hand,
			flaw: NotUnique, step: "unique(relate[left](unique(filter_color[blue](scene()))))", says: "2 objects"},
		{name: "nil program", scene: hand, flaw: Malformed, says: "nil node"},
		{name: "too few inputs", hand: &Program{Fn: "count"}, scene: hand, flaw: Malformed, says: "count wants 1 inputs, got 0"},
		{name: "nil scene", prog: "count(scene())", flaw: Undefined, says: "no scene"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.hand
			if tt.prog != "" {
				var err error
				if p, err = Parse(tt.prog); err != nil {
					t.Fatal(err)
				}
			}
			ok, why := Relevant(p, tt.scene)
			if ok != (tt.flaw == NoFlaw) || why.Flaw != tt.flaw || why.Step != tt.step || !strings.Contains(why.Detail, tt.says) {
				t.Errorf("Relevant = %v, %+v; want %v with step %q and a detail saying %q", ok, why, tt.flaw, tt.step, tt.says)
			}
		})
	}
}

func TestReasonString(t *testing.T) {
	for _, tt := range []struct {
		r    Reason
		want string
	}{
		{Reason{}, "relevant"},
		{Reason{Flaw: NotUnique, Step: "unique(scene())", Detail: "unique of a set of 6 objects"}, "not unique: unique(scene()): unique of a set of 6 objects"},
		{Reason{Flaw: Malformed, Detail: "at byte 0: x"}, "malformed: at byte 0: x"},
		{Reason{Flaw: Flaw(17)}, "Flaw(17)"},
		{Reason{Flaw: -1}, "Flaw(-1)"},
	} {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.r, got, tt.want)
		}
	}
}

// TestTemplatesShareRules: a program two families' templates both yield
// (shape and shape_of_color) is judged by one rule, whichever family
// familyOf finds; and every family's questions are found as its own or a
// twin's.
func TestTemplatesShareRules(t *testing.T) {
	for i, a := range templates {
		for _, b := range templates[i+1:] {
			if a.prog.String() == b.prog.String() && a.fam.degenerate != b.fam.degenerate {
				t.Errorf("%s and %s share a template but not a rule", a.fam.name, b.fam.name)
			}
		}
	}
	for name, cfg := range relevanceConfigs(t) {
		qs, err := NewQuestions(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for fi := range qs.fams {
			f := &qs.fams[fi]
			for _, x := range qs.slots[fi] {
				p := f.program(x)
				g := familyOf(p)
				if g == nil || g.name != f.name && templateOf(g).String() != templateOf(f).String() {
					t.Fatalf("%s: %s is of family %s, found %v", name, p, f.name, g)
				}
			}
		}
	}
	if f := familyOf(mustParse(t, "count(filter_color[red](filter_shape[square](scene())))")); f != nil {
		t.Errorf("the color filter over the shape filter is no family's, found %s", f.name)
	}
}

func templateOf(f *family) *Program {
	for _, t := range templates {
		if t.fam == f {
			return t.prog
		}
	}
	return nil
}

func mustParse(t testing.TB, s string) *Program {
	t.Helper()
	p, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// examples renders n samples of cfg.
func examples(t testing.TB, cfg *Config, n int) []Example {
	var out []Example
	render(t, cfg, n, func(_ int, ex *Example) { out = append(out, *ex) })
	return out
}

func TestAsk(t *testing.T) {
	for name, cfg := range relevanceConfigs(t) {
		if strings.HasSuffix(name, "unbalanced") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			qs, err := NewQuestions(cfg)
			if err != nil {
				t.Fatal(err)
			}
			exs := examples(t, cfg, 20)
			scenes := map[string]*Scene{}
			for _, ex := range exs {
				scenes[ex.ID] = qs.Scene(ex.Objects)
			}
			asked, score, err := qs.Ask(exs, 400, nil, rand.New(rand.NewPCG(7, 0)))
			if err != nil {
				t.Fatal(err)
			}
			if len(asked) != 400 || score.Relevant != 400 || score.Questions < 400 || score.Unparsed != 0 {
				t.Fatalf("%d asked, score %+v", len(asked), score)
			}
			seen := map[string]bool{}
			for _, a := range asked {
				seen[a.Family] = true
				fam, p, err := qs.Parse(a.Text)
				if err != nil || fam != a.Family || p.String() != a.Program {
					t.Fatalf("%+v parsed to %s %v (%v)", a, fam, p, err)
				}
				s := scenes[a.ID]
				if ok, why := Relevant(p, s); !ok {
					t.Fatalf("%+v: %v", a, why)
				}
				if v, err := Execute(p, s); err != nil || v.Text() != a.Answer {
					t.Fatalf("%+v: executes to %v (%v)", a, v.Text(), err)
				}
			}
			if len(seen) != len(qs.Families()) {
				t.Errorf("%d of %d families asked", len(seen), len(qs.Families()))
			}
			// Tallied per family: the families' counts add up, and each
			// family's draws are about 1/k of all (uniform over families).
			sum, rel := 0, 0
			for _, f := range score.Families {
				sum, rel = sum+f.Questions, rel+f.Relevant
				flaws := 0
				for _, n := range f.Flaws {
					flaws += n
				}
				if f.Relevant+flaws != f.Questions {
					t.Errorf("%s: %d relevant + %d flawed != %d", f.Family, f.Relevant, flaws, f.Questions)
				}
				if k := len(score.Families); f.Questions < score.Questions/k/2 || f.Questions > 2*score.Questions/k {
					t.Errorf("%s drawn %d of %d times: want about 1/%d", f.Family, f.Questions, score.Questions, k)
				}
			}
			if sum != score.Questions || rel != score.Relevant {
				t.Errorf("families add to %d, %d; totals %d, %d", sum, rel, score.Questions, score.Relevant)
			}
			again, _, err := qs.Ask(exs, 400, nil, rand.New(rand.NewPCG(7, 0)))
			if err != nil || !slices.Equal(again, asked) {
				t.Errorf("a second Ask with the seed differs (%v)", err)
			}
			other, _, _ := qs.Ask(exs, 400, nil, rand.New(rand.NewPCG(8, 0)))
			if slices.Equal(other, asked) {
				t.Errorf("another seed asks the same")
			}
		})
	}
}

func TestAskErrors(t *testing.T) {
	cfg := SortOfCLEVR{}.DefaultConfig().(*Config)
	cfg.Sequence = true
	qs, err := NewQuestions(cfg)
	if err != nil {
		t.Fatal(err)
	}
	square := func(x float64) Object { return Object{Color: "red", Shape: "square", Center: [2]float64{x, 10}} }
	squares := []Example{{ID: "0", Objects: []Object{square(10), square(30), square(50)}}}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tt := range []struct {
		name     string
		exs      []Example
		n        int
		families []string
		says     string
	}{
		{"no questions", squares, 0, nil, "want at least 1"},
		{"no scenes", nil, 3, nil, "no scenes"},
		{"unknown family", squares, 3, []string{"shape", "color_of_shape"}, `no question family "color_of_shape" in the sortofclevr questions; known: shape`},
		// Every object is a square: no swap changes a shape.
		{"never relevant", squares, 2, []string{"intervention"}, "0 of 2 questions relevant after 2000 draws"},
	} {
		if _, _, err := qs.Ask(tt.exs, tt.n, tt.families, rng); err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%s: %v; want an error saying %q", tt.name, err, tt.says)
		}
	}
	if _, _, err := qs.Draw("nope", handScene(), rng); err == nil {
		t.Error("Draw of an unknown family: no error")
	}
	s := qs.NewScore()
	if err := s.Add("nope", Reason{}); err == nil || s.Questions != 0 {
		t.Errorf("Add of an unknown family: %v, %+v", err, s)
	}
}

func ExampleRelevant() {
	at := func(c, sh string, x, y float64) Object { return Object{Color: c, Shape: sh, Center: [2]float64{x, y}} }
	s := &Scene{Width: 75, Height: 75, Objects: []Object{at("red", "square", 10, 10), at("red", "circle", 40, 40), at("blue", "circle", 60, 20)}}
	for _, text := range []string{
		"query_shape(unique(filter_color[blue](scene())))",
		"query_shape(unique(filter_color[red](scene())))",
		"count(filter_shape[circle](filter_color[blue](scene())))",
	} {
		p, _ := Parse(text)
		ok, why := Relevant(p, s)
		fmt.Println(ok, why)
	}
	// Output:
	// true relevant
	// false not unique: unique(filter_color[red](scene())): unique of a set of 2 objects
	// false no-op filter: filter_shape[circle](filter_color[blue](scene())): without filter_shape[circle] the answer is still 1
}

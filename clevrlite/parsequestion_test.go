package clevrlite

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// parseConfigs adds to relevanceConfigs sortofclevr without the sequence
// groups and a programs config of other colors and shapes.
func parseConfigs(t testing.TB) map[string]*Config {
	out := relevanceConfigs(t)
	out["sortofclevr"] = SortOfCLEVR{}.DefaultConfig().(*Config)
	other := SortOfCLEVR{}.DefaultConfig().(*Config)
	if err := generators.SetAll(other, "questions=programs", "colors=magenta,black,cyan", "shapes=star,hexagon,pentagon,square"); err != nil {
		t.Fatal(err)
	}
	out["programs, other words"] = other
	return out
}

// TestParseEveryQuestion parses the text of every question each family
// can ask back to its family and program.
func TestParseEveryQuestion(t *testing.T) {
	for name, cfg := range parseConfigs(t) {
		qs, err := NewQuestions(cfg)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for fi := range qs.fams {
			f := &qs.fams[fi]
			for _, x := range qs.slots[fi] {
				text, want := f.question(x), f.program(x).String()
				fam, p, err := qs.Parse(text)
				if err != nil || fam != f.name || p.String() != want {
					t.Fatalf("%s: %q parsed to %s %v (%v); want %s %s", name, text, fam, p, err, f.name, want)
				}
				n++
			}
		}
		t.Logf("%s: %d questions of %d families", name, n, len(qs.fams))
	}
}

// TestQuestionsMatchThePlan holds NewQuestions to the families and slot
// values the generator asks with.
func TestQuestionsMatchThePlan(t *testing.T) {
	for name, cfg := range parseConfigs(t) {
		if strings.HasSuffix(name, "unbalanced") { // the same families as balanced
			continue
		}
		qs, err := NewQuestions(cfg)
		if err != nil {
			t.Fatal(err)
		}
		smp, err := SortOfCLEVR{}.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		pl := smp.(*plan)
		var names []string
		for fi, f := range pl.fams {
			names = append(names, f.name)
			var texts []string
			for _, c := range pl.cands[fi] {
				texts = append(texts, c.q.Text)
			}
			var ours []string
			for _, x := range qs.slots[fi] {
				ours = append(ours, qs.fams[fi].question(x))
			}
			if !slices.Equal(texts, ours) {
				t.Errorf("%s: %s asks %v; Questions has %v", name, f.name, texts, ours)
			}
		}
		if !slices.Equal(names, qs.Families()) {
			t.Errorf("%s: the plan's families %v; Questions has %v", name, names, qs.Families())
		}
		if s := qs.Scene(nil); s.Width != pl.cfg.ImageSize || s.Height != pl.cfg.ImageSize {
			t.Errorf("%s: scenes of %d×%d; images of %d", name, s.Width, s.Height, pl.cfg.ImageSize)
		}
	}
}

func TestParseIgnoresCaseSpacingAndPunctuation(t *testing.T) {
	cfg := SortOfCLEVR{}.DefaultConfig().(*Config)
	cfg.Sequence = true
	qs, err := NewQuestions(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ text, family, prog string }{
		{"what is the shape of the red object", "shape", "query_shape(unique(filter_color[red](scene())))"},
		{"  WHAT is the Shape of the red   object ? ", "shape", "query_shape(unique(filter_color[red](scene())))"},
		{"at which position counting from the left is the gray object?", "seq_position_of", "position_of(unique(filter_color[gray](scene())))"},
		{"At which position , counting from the left , is the gray object ?", "seq_position_of", "position_of(unique(filter_color[gray](scene())))"},
		{"if the objects at positions 2 and 5 are swapped what shape is at position 5.", "intervention", "with_swap[2,5](query_shape(position[5](scene())))"},
	} {
		fam, p, err := qs.Parse(tt.text)
		if err != nil || fam != tt.family || p.String() != tt.prog {
			t.Errorf("%q: %s %v (%v); want %s %s", tt.text, fam, p, err, tt.family, tt.prog)
		}
	}
}

func TestParseQuestionErrors(t *testing.T) {
	seq := SortOfCLEVR{}.DefaultConfig().(*Config)
	seq.Sequence = true
	programs := SortOfCLEVR{}.DefaultConfig().(*Config)
	if err := generators.SetAll(programs, "questions=programs"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		cfg        *Config
		text, says string
	}{
		{seq, "", "no words"},
		{seq, " ?? ", "no words"},
		{seq, "Is the sky blue?", `matches no question family of the sortofclevr questions; they read "What is the shape of the %s object?", `},
		{seq, "What is the shape of the purple object?", `reads as the shape family ("What is the shape of the %s object?"), but "purple" is not a color it asks about (blue, gray, green, orange, red, yellow)`},
		{seq, "What is the shape of the big red object?", `"big red" is not a color it asks about`},
		{seq, "How many objects are between the red object and the red object?", `the count_between family does not ask about "red" and "red" together`},
		{seq, "Does the object at position 1 have the same shape as the one at position 3?", `the seq_same_shape family does not ask about "1" and "3" together`},
		{seq, "What color is the object at position 6?", `"6" is not a position it asks about (1, 2, 3, 4, 5)`},
		{seq, "What color is the object at position 9?", `"9" is not a position`},
		{seq, "If the objects at positions 1 and 2 are swapped, what shape is at position 3?", `the intervention family ("If the objects at positions %s and %s are swapped, what shape is at position %[2]s?") names one value twice, but it reads "1" and "2" and "3"`},
		// Sequence questions are not of the default sortofclevr config.
		{SortOfCLEVR{}.DefaultConfig().(*Config), "What color is the object at position 2?", "matches no question family"},
		{programs, "How many purples are there?", `reads as the count_shape family ("How many %ss are there?"), but "purple" is not a shape it asks about (circle, square, triangle)`},
		{programs, "What color is the leftmost cube?", `reads as the color_of_leftmost family ("What color is the leftmost %s?"), but "cube" is not a shape`},
		{programs, "How many objects are beside the red object?", `"beside" is not a direction it asks about (above, below, left of, right of)`},
		{programs, "What is the shape of the red object?", "matches no question family of the programs questions"},
	} {
		_, p, err := ParseQuestion(tt.text, tt.cfg)
		var qe *QuestionError
		if !errors.As(err, &qe) || qe.Text != tt.text || p != nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%q: %v, %v; want a *QuestionError saying %s", tt.text, p, err, tt.says)
		}
	}
	bad := SortOfCLEVR{}.DefaultConfig().(*Config)
	bad.Questions = "clevr"
	if _, _, err := ParseQuestion("What is the shape of the red object?", bad); err == nil || !strings.Contains(err.Error(), `questions "clevr"`) {
		t.Errorf("a bad config: %v", err)
	}
}

func TestTextPieces(t *testing.T) {
	for _, tt := range []struct {
		text  string
		slots int
		args  []int
	}{
		{"What is the shape of the %s object?", 1, []int{0}},
		{"How many %s %ss are there?", 2, []int{0, 1}},
		{"If the objects at positions %s and %s are swapped, what shape is at position %[2]s?", 2, []int{0, 1, 1}},
		{"Would the shape at position %[2]s be different if the objects at positions %[1]s and %[2]s were swapped?", 2, []int{1, 0, 1}},
		{"%[2]s then %s", 3, []int{1, 2}},
		{"no slots", 0, nil},
	} {
		var args []int
		for _, p := range textPieces(tt.text) {
			if p.arg >= 0 {
				args = append(args, p.arg)
			}
		}
		if !slices.Equal(args, tt.args) || slotCount(tt.text) != tt.slots {
			t.Errorf("%q: slots %v (%d); want %v (%d)", tt.text, args, slotCount(tt.text), tt.args, tt.slots)
		}
	}
}

// FuzzParseQuestion: Parse never panics; it fails only with a
// *QuestionError that names the text; what it reads is a program that
// type-checks, of the family it names, and text that differs only in case,
// spacing and punctuation reads the same.
func FuzzParseQuestion(f *testing.F) {
	cfgs := parseConfigs(f)
	var all []*Questions
	for _, name := range []string{"sortofclevr+sequence", "programs"} {
		qs, err := NewQuestions(cfgs[name])
		if err != nil {
			f.Fatal(err)
		}
		all = append(all, qs)
		for fi := range qs.fams {
			f.Add(qs.fams[fi].question(qs.slots[fi][0]))
		}
	}
	f.Add("What is the shape of the purple object?")
	f.Add("If the objects at positions 1 and 2 are swapped, what shape is at position 3?")
	f.Fuzz(func(t *testing.T, text string) {
		for _, qs := range all {
			fam, p, err := qs.Parse(text)
			if err != nil {
				var qe *QuestionError
				if !errors.As(err, &qe) || qe.Text != text || qe.Msg == "" || p != nil || fam != "" {
					t.Fatalf("%q: %v, %v, %v", text, fam, p, err)
				}
				continue
			}
			if _, err := Parse(p.String()); err != nil {
				t.Fatalf("%q read as %s, which does not parse: %v", text, p, err)
			}
			if g := familyOf(p); g == nil {
				t.Fatalf("%q read as %s, of no family", text, p)
			}
			fam2, p2, err := qs.Parse(strings.ToUpper(normalize(text)) + " ?")
			if err != nil || fam2 != fam || p2.String() != p.String() {
				t.Fatalf("%q read as %s %s; its normal form as %s %v (%v)", text, fam, p, fam2, p2, err)
			}
		}
	})
}

func ExampleParseQuestion() {
	cfg := SortOfCLEVR{}.DefaultConfig().(*Config)
	family, prog, err := ParseQuestion("How many objects are between the red object and the blue object?", cfg)
	fmt.Println(family, prog, err)
	_, _, err = ParseQuestion("What is the shape of the purple object?", cfg)
	fmt.Println(err)
	// Output:
	// count_between count(between(unique(filter_color[red](scene())), unique(filter_color[blue](scene())))) <nil>
	// clevrlite: question "What is the shape of the purple object?": reads as the shape family ("What is the shape of the %s object?"), but "purple" is not a color it asks about (blue, gray, green, orange, red, yellow)
}

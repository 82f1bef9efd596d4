package clevrlite

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// TestEveryConfigRenders renders many samples of every combination of
// questions, balance, mix and sequence, and fails on any render error or
// on a sample without its full count of questions. Unbalanced programs
// configs used to fail on most samples ("no attribute question can be
// asked of this scene": 64 uniform draws found none).
func TestEveryConfigRenders(t *testing.T) {
	n := 1500
	if testing.Short() {
		n = 100
	}
	for _, tt := range []struct {
		name     string
		settings []string
	}{
		{"programs unbalanced", []string{"questions=programs", "balance=false"}},
		{"programs unbalanced, mix subtypes", []string{"questions=programs", "balance=false", "mix=subtypes"}},
		{"programs unbalanced, 3 to 4 objects", []string{"questions=programs", "balance=false", "min_objects=3", "max_objects=4"}},
		{"programs unbalanced, 20 per group", []string{"questions=programs", "balance=false", "questions_per_group=20"}},
		{"programs", []string{"questions=programs"}},
		{"programs, mix subtypes", []string{"questions=programs", "mix=subtypes"}},
		{"sortofclevr unbalanced", []string{"balance=false"}},
		{"sortofclevr+sequence unbalanced", []string{"sequence=true", "balance=false"}},
		{"sortofclevr+sequence unbalanced, 30 per group", []string{"sequence=true", "balance=false", "questions_per_group=30"}},
		{"sortofclevr+sequence", []string{"sequence=true"}},
		{"sortofclevr, mix answers", []string{"mix=answers"}},
		{"sortofclevr+sequence, mix answers", []string{"sequence=true", "mix=answers"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := SortOfCLEVR{}.DefaultConfig().(*Config)
			if err := generators.SetAll(cfg, tt.settings...); err != nil {
				t.Fatal(err)
			}
			smp, err := SortOfCLEVR{}.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			want := len(smp.(*plan).groups) * cfg.PerGroup
			r := smp.NewRenderer()
			for i := range n {
				key := generators.SampleKey{Seed: 3, Split: "train", Index: i, IDWidth: 6}
				s, err := r.Render(key, generators.NewSampleRand(key.Seed, key.Split, i))
				if err != nil {
					t.Fatalf("sample %d: %v", i, err)
				}
				if got := len(s.Record.(*Example).Questions); got != want {
					t.Fatalf("sample %d has %d questions, want %d", i, got, want)
				}
			}
		})
	}
}

// TestAskAnyOfDrawsAsTheUniformDraws holds askAnyOf to the distribution
// ask's unbalanced draws sample (family uniform, then slots uniform, among
// the questions the scene admits), by drawing each many times on one
// programs scene where few attribute questions apply.
func TestAskAnyOfDrawsAsTheUniformDraws(t *testing.T) {
	cfg := SortOfCLEVR{}.DefaultConfig().(*Config)
	if err := generators.SetAll(cfg, "questions=programs", "balance=false"); err != nil {
		t.Fatal(err)
	}
	smp, err := SortOfCLEVR{}.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := smp.(*plan)
	// Two squares, one red circle, one blue circle: unique shape questions
	// fail (no triangle, two squares), so attribute asks only of colors and
	// the leftmost square or circle.
	s := &Scene{Width: 128, Height: 128, Objects: []Object{
		{Color: "red", Shape: "square", SizeClass: "small", Center: [2]float64{20, 20}, Size: 13},
		{Color: "green", Shape: "square", SizeClass: "small", Center: [2]float64{60, 20}, Size: 13},
		{Color: "red", Shape: "circle", SizeClass: "small", Center: [2]float64{20, 90}, Size: 13},
		{Color: "blue", Shape: "circle", SizeClass: "small", Center: [2]float64{90, 90}, Size: 13},
	}}
	e := p.newEnv(new(env), s)
	const g, draws = "attribute", 40000
	rng := rand.New(rand.NewPCG(1, 2))
	got, want := map[string]float64{}, map[string]float64{}
	for range draws {
		q, err := p.askAnyOf(g, e, map[*Program]bool{}, rng)
		if err != nil {
			t.Fatal(err)
		}
		got[q.Program] += 1.0 / draws
		fams := p.byGroup[g]
		for { // ask's draws, not cut off at 64
			fi := fams[rng.IntN(len(fams))]
			c := p.cands[fi][rng.IntN(len(p.cands[fi]))]
			if key(c, e) >= 0 {
				want[c.prog.String()] += 1.0 / draws
				break
			}
		}
	}
	// The shape of the green and of the blue object (shape_of_color), of
	// the leftmost red, green and blue (shape_of_leftmost), the color of
	// the leftmost square and circle (color_of_leftmost): 7 questions.
	if len(want) != 7 || len(got) != len(want) {
		t.Fatalf("askAnyOf asked %d questions, the uniform draws %d (want 7 each):\n%v\n%v", len(got), len(want), got, want)
	}
	for prog, pw := range want {
		// 4 binomial standard deviations of the difference of two shares
		// from 40000 draws each.
		if tol := 4 * math.Sqrt(2*pw*(1-pw)/draws); math.Abs(got[prog]-pw) > tol {
			t.Errorf("%s: askAnyOf asked it %.4f of the time, the uniform draws %.4f (tolerance %.4f)", prog, got[prog], pw, tol)
		}
	}
	// A question already asked is asked again only when nothing else is left.
	asked := map[*Program]bool{}
	for i := range 7 {
		q, err := p.askAnyOf(g, e, asked, rng)
		if err != nil {
			t.Fatal(err)
		}
		if got[q.Program] == 0 {
			t.Fatalf("question %d: %s, which the scene does not admit", i, q.Program)
		}
		got[q.Program] = -1
	}
	for prog, v := range got {
		if v != -1 {
			t.Errorf("7 questions of an image that admits 7 did not include %s", prog)
		}
	}
	if _, err := p.askAnyOf(g, e, asked, rng); err != nil {
		t.Errorf("an eighth question, with all 7 asked: %v; want one asked again", err)
	}
}

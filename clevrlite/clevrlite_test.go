package clevrlite

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// handScene: six objects placed by hand (x, y):
//
//	0 red    square (10, 10)    1 green  circle (60, 10)
//	2 blue   square (30, 30)    3 orange circle (50, 50)
//	4 gray   square (12, 60)    5 yellow circle (65, 65)
func handScene() *Scene {
	at := func(c, sh string, x, y float64) Object { return Object{Color: c, Shape: sh, Center: [2]float64{x, y}} }
	return &Scene{Width: 75, Height: 75, Objects: []Object{
		at("red", "square", 10, 10), at("green", "circle", 60, 10), at("blue", "square", 30, 30),
		at("orange", "circle", 50, 50), at("gray", "square", 12, 60), at("yellow", "circle", 65, 65),
	}}
}

func TestExecuteEveryFunction(t *testing.T) {
	tests := []struct{ prog, want string }{
		{"count(scene())", "6"},
		{"count(filter_shape[circle](scene()))", "3"},
		{"query_shape(unique(filter_color[blue](scene())))", "square"},
		{"query_color(unique(filter_color[gray](scene())))", "gray"},
		{"count(relate[left](unique(filter_color[blue](scene()))))", "2"},    // red, gray
		{"count(relate[right](unique(filter_color[blue](scene()))))", "3"},   // green, orange, yellow
		{"count(relate[above](unique(filter_color[orange](scene()))))", "3"}, // red, green, blue
		{"count(relate[below](unique(filter_color[orange](scene()))))", "2"}, // gray, yellow
		// closest to red (10,10): blue at √800 ≈ 28.3 beats green at 50.
		{"query_color(closest(unique(filter_color[red](scene()))))", "blue"},
		// furthest from red: yellow at √6050 ≈ 77.8.
		{"query_color(furthest(unique(filter_color[red](scene()))))", "yellow"},
		{"count(same_shape(unique(filter_color[red](scene()))))", "3"}, // itself, blue, gray
		{"count(same_color(unique(filter_color[red](scene()))))", "1"},
		{"exist(filter_color[red](scene()))", "yes"},
		{"is_left(unique(filter_color[green](scene())))", "no"},
		{"is_top(unique(filter_color[green](scene())))", "yes"},
		{"equal_int(count(filter_shape[square](scene())), count(filter_shape[circle](scene())))", "yes"},
		{"less_than(count(filter_color[red](scene())), count(scene()))", "yes"},
		{"greater_than(count(filter_color[red](scene())), count(scene()))", "no"},
		{"equal_shape(query_shape(unique(filter_color[red](scene()))), query_shape(unique(filter_color[gray](scene()))))", "yes"},
		{"equal_color(query_color(unique(filter_color[red](scene()))), query_color(unique(filter_color[gray](scene()))))", "no"},
		{"and(exist(filter_color[red](scene())), is_left(unique(filter_color[green](scene()))))", "no"},
		{"or(exist(filter_color[red](scene())), is_left(unique(filter_color[green](scene()))))", "yes"},
		{"count(union(filter_shape[circle](scene()), filter_color[red](scene())))", "4"},
		{"count(intersect(filter_shape[circle](scene()), filter_color[red](scene())))", "0"},
		// The closed box from red (10,10) to yellow (65,65) holds blue,
		// orange, gray (12,60) and green (60,10), on its top edge.
		{"count(between(unique(filter_color[red](scene())), unique(filter_color[yellow](scene()))))", "4"},
		// Line red→yellow: y = x·(55/55) + 0: blue (30,30) and orange (50,50) lie on it.
		{"count(on_line(unique(filter_color[red](scene())), unique(filter_color[yellow](scene()))))", "2"},
		// With red (10,10) and green (60,10): blue (30,30) has an angle of
		// acos(−200/(√800·√1300)) ≈ 101.3° at blue, yellow (65,65) one of
		// acos(−250/(50·√3050)) ≈ 95.2° at green; orange and gray make
		// only acute triangles.
		{"count(obtuse(unique(filter_color[red](scene())), unique(filter_color[green](scene()))))", "2"},
		// Left to right: red (10), gray (12), blue (30), orange (50), green (60), yellow (65).
		{"query_color(position[3](scene()))", "blue"},
		{"query_color(position[2](filter_shape[circle](scene())))", "green"},
		{"position_of(unique(filter_color[green](scene())))", "5"},
		{"not(exist(filter_color[red](scene())))", "no"},
		// Swapping 1 and 6 puts red at yellow's place, last.
		{"with_swap[1,6](query_color(position[6](scene())))", "red"},
		{"with_swap[2,3](position_of(unique(filter_color[gray](scene()))))", "3"},
		{"not(equal_shape(query_shape(position[6](scene())), with_swap[1,6](query_shape(position[6](scene())))))", "yes"},
	}
	s := handScene()
	for _, tt := range tests {
		p, err := Parse(tt.prog)
		if err != nil {
			t.Fatalf("%s: %v", tt.prog, err)
		}
		v, err := Execute(p, s)
		if err != nil {
			t.Fatalf("%s: %v", tt.prog, err)
		}
		if v.Text() != tt.want {
			t.Errorf("%s = %s, want %s", tt.prog, v.Text(), tt.want)
		}
	}
	p, _ := Parse("unique(filter_shape[circle](scene()))")
	var ee *ExecError
	if _, err := Execute(p, s); !errors.As(err, &ee) {
		t.Errorf("unique of three objects: %v, want an ExecError", err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct {
		in  string
		pos int
	}{
		{"count(scen())", 6},
		{"count(scene()", 13},
		{"filter_color(scene())", 12},
		{"filter_color[mauve](scene())", 13},
		{"count(unique(scene()))", 6},
		{"count(scene())x", 14},
		{"equal_int(count(scene()),count(scene()))", 25},
		{"query_color(position[0](scene()))", 21},
		{"with_swap[3,2](count(scene()))", 10},
		{"position(scene())", 8},
	} {
		_, err := Parse(tt.in)
		var pe *ProgramError
		if !errors.As(err, &pe) || pe.Pos != tt.pos {
			t.Errorf("Parse(%q) = %v, want an error at byte %d", tt.in, err, tt.pos)
		}
	}
}

func FuzzProgramRoundTrip(f *testing.F) {
	for _, s := range []string{"count(scene())", "query_shape(closest(unique(filter_color[red](scene()))))",
		"count(between(unique(filter_color[red](scene())), unique(filter_color[blue](scene()))))", "x(",
		"with_swap[1,6](query_color(position[6](scene())))"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			var pe *ProgramError
			if !errors.As(err, &pe) || pe.Pos < 0 || pe.Pos > len(s) {
				t.Fatalf("error %v has no position inside the input", err)
			}
			return
		}
		if p.String() != s {
			t.Fatalf("%q printed back as %q", s, p.String())
		}
		Execute(p, handScene()) // must not panic
	})
}

func render(t testing.TB, cfg *Config, n int, visit func(i int, ex *Example)) {
	t.Helper()
	smp, err := SortOfCLEVR{}.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := smp.NewRenderer()
	for i := 0; i < n; i++ {
		key := generators.SampleKey{Seed: 2, Split: "train", Index: i, IDWidth: 6}
		s, err := r.Render(key, generators.NewSampleRand(key.Seed, key.Split, i))
		if err != nil {
			t.Fatal(err)
		}
		visit(i, s.Record.(*Example))
	}
}

func TestQuestionsAreAnsweredByTheirPrograms(t *testing.T) {
	for _, tt := range []struct {
		name     string
		sequence bool
		mix      string
		families int
	}{{"sortofclevr", false, "", 9}, {"with sequence and causal groups", true, "", 14},
		{"mix answers", false, MixAnswers, 9}, {"mix answers with sequence and causal groups", true, MixAnswers, 14}} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := SortOfCLEVR{}.DefaultConfig().(*Config)
			cfg.Sequence, cfg.Mix = tt.sequence, tt.mix
			checkQuestions(t, cfg, tt.families)
		})
	}
}

func checkQuestions(t *testing.T, cfg *Config, nFamilies int) {
	counts := map[string]map[string]int{}
	smp, err := SortOfCLEVR{}.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pl := smp.(*plan)
	nGroups := len(pl.groups)
	famByName := map[string]*family{}
	for i := range pl.fams {
		famByName[pl.fams[i].name] = &pl.fams[i]
	}
	render(t, cfg, 1500, func(i int, ex *Example) {
		s := &Scene{Width: 75, Height: 75, Objects: ex.Objects}
		// The reference scene: one object per color in order, squares and
		// circles 11 px across, centers in [5, 70) at least 10 px apart.
		for k, o := range ex.Objects {
			if o.Color != colorNames[k] || o.BBox[2]-o.BBox[0] != 11 || o.BBox[3]-o.BBox[1] != 11 {
				t.Fatalf("sample %d object %d: %+v", i, k, o)
			}
			if o.Center[0] < 5 || o.Center[0] >= 70 || o.Center[1] < 5 || o.Center[1] >= 70 {
				t.Fatalf("sample %d: center %v", i, o.Center)
			}
			for j := 0; j < k; j++ {
				if math.Hypot(o.Center[0]-ex.Objects[j].Center[0], o.Center[1]-ex.Objects[j].Center[1]) < 10 {
					t.Fatalf("sample %d: objects %d and %d closer than 10", i, j, k)
				}
			}
		}
		if len(ex.Questions) != 10*nGroups {
			t.Fatalf("sample %d: %d questions", i, len(ex.Questions))
		}
		seen := map[string]bool{}
		for _, q := range ex.Questions {
			if seen[q.Text] {
				t.Fatalf("sample %d asks %q twice", i, q.Text)
			}
			seen[q.Text] = true
		}
		for qi, q := range ex.Questions {
			p, err := Parse(q.Program)
			if err != nil {
				t.Fatalf("sample %d question %d: %v", i, qi, err)
			}
			v, err := Execute(p, s)
			if err != nil || v.Text() != q.Answer {
				t.Fatalf("sample %d: %s = %v (%v), stored %q", i, q.Program, v.Text(), err, q.Answer)
			}
			if want := pl.groups[qi/10]; q.Type != want {
				t.Fatalf("sample %d question %d: type %s, want %s", i, qi, q.Type, want)
			}
			fam := famByName[q.Family]
			if g := slicesIndex(referenceGroups, fam.group); g < 0 {
				if q.Encoding != ([18]uint8{}) {
					t.Fatalf("sample %d: %s has a reference encoding %v", i, q.Family, q.Encoding)
				}
			} else {
				// The encoding decodes to the question: colors, type, subtype.
				if q.Encoding[12+g] != 1 || q.Encoding[15+fam.subtype] != 1 {
					t.Fatalf("sample %d: encoding %v for %s", i, q.Encoding, q.Family)
				}
				for c, name := range colorNames {
					if (q.Encoding[c] == 1 || q.Encoding[6+c] == 1) != containsWord(q.Text, name) {
						t.Fatalf("sample %d: encoding %v does not match %q", i, q.Encoding, q.Text)
					}
				}
			}
			// The answer's vocabulary index reads as the answer (squares are
			// the reference's "rectangle"; its between and obtuse counts
			// start at index 4 for 0).
			if q.AnswerIndex >= 0 {
				word := AnswerVocab[q.AnswerIndex]
				switch {
				case q.Family == "count_between" || q.Family == "count_obtuse":
					word = strconv.Itoa(q.AnswerIndex - 4)
				case q.Answer == "square":
					word = map[string]string{"rectangle": "square"}[word]
				}
				if word != q.Answer {
					t.Fatalf("sample %d: %s answer %q at vocabulary index %d", i, q.Family, q.Answer, q.AnswerIndex)
				}
			} else if slicesIndex(colorNames[:], q.Answer) < 0 { // only color answers lack an index
				t.Fatalf("sample %d: %s answer %q has no vocabulary index", i, q.Family, q.Answer)
			}
			// An intervention always changes the answer: its swap is a step.
			if q.Family == "intervention" {
				before, _ := Execute(p.Inputs[0], s)
				if before == v {
					t.Fatalf("sample %d: degenerate intervention %s", i, q.Program)
				}
			}
			if counts[q.Family] == nil {
				counts[q.Family] = map[string]int{}
			}
			counts[q.Family][q.Answer]++
		}
	})
	// The bar of mix answers: within each family the most common answer is
	// at most 3× as common as the least. (TestMixSubtypes holds mix
	// subtypes to its own promise.)
	for fam, c := range counts {
		if cfg.Mix != MixAnswers {
			break
		}
		lo, hi := math.MaxInt, 0
		for _, n := range c {
			lo, hi = min(lo, n), max(hi, n)
		}
		if hi > 3*lo {
			t.Errorf("family %s answers %v: most common %d > 3 × least %d", fam, c, hi, lo)
		}
	}
	if len(counts) != nFamilies {
		t.Errorf("%d of %d families were asked: %v", len(counts), nFamilies, counts)
	}
}

func slicesIndex(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func containsWord(text, w string) bool {
	for _, f := range splitWords(text) {
		if f == w {
			return true
		}
	}
	return false
}

func splitWords(s string) []string {
	var out []string
	start := -1
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= 'a' && s[i] <= 'z' {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
	}
	return out
}

func TestNPZMatchesTheRecords(t *testing.T) {
	dir := t.TempDir()
	spec := generators.Spec{Dataset: SortOfCLEVR{}, Seed: 5, Splits: []generators.SplitSize{{Name: "test", Count: 40}}}
	for _, f := range []generators.Format{generators.FormatPNG, generators.FormatNPZ} {
		if _, err := generators.Write(context.Background(), spec, generators.WriteOptions{Out: filepath.Join(dir, string(f)), Format: f}); err != nil {
			t.Fatal(err)
		}
		if err := generators.Verify(filepath.Join(dir, string(f))); err != nil {
			t.Fatal(err)
		}
	}
	open := func(f string) *generators.SplitReader {
		r, err := generators.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		sr, err := r.Split("test")
		if err != nil {
			t.Fatal(err)
		}
		return sr
	}
	pngs, npzs := open("png"), open("npz")
	defer pngs.Close()
	defer npzs.Close()
	for pngs.Next() && npzs.Next() {
		var ex Example
		var arr struct {
			Answers   []int        `json:"answers"`
			Encodings [][18]uint8  `json:"question_encodings"`
			Shapes    []int        `json:"object_shapes"`
			Centers   [][2]float64 `json:"object_centers"`
			Texts     []string     `json:"question_texts"`
			Programs  []string     `json:"question_programs"`
		}
		pngs.Record().Decode(&ex)
		if err := npzs.Record().Decode(&arr); err != nil {
			t.Fatal(err)
		}
		for i, q := range ex.Questions {
			if arr.Texts[i] != q.Text || arr.Programs[i] != q.Program {
				t.Fatalf("sample %d question %d: npz %q %q, record %q %q", pngs.Record().Index, i, arr.Texts[i], arr.Programs[i], q.Text, q.Program)
			}
			if arr.Answers[i] != q.AnswerIndex || arr.Encodings[i] != q.Encoding {
				t.Fatalf("sample %d question %d: npz %d %v, record %d %v", pngs.Record().Index, i, arr.Answers[i], arr.Encodings[i], q.AnswerIndex, q.Encoding)
			}
		}
		for k, o := range ex.Objects {
			if (arr.Shapes[k] == 1) != (o.Shape == "circle") || arr.Centers[k] != o.Center {
				t.Fatalf("sample %d object %d: npz %d %v, record %+v", pngs.Record().Index, k, arr.Shapes[k], arr.Centers[k], o)
			}
		}
	}
	if pngs.Err() != nil || npzs.Err() != nil {
		t.Fatal(pngs.Err(), npzs.Err())
	}
}

func TestProgramsConfig(t *testing.T) {
	cfg := SortOfCLEVR{}.DefaultConfig().(*Config)
	if err := generators.SetAll(cfg, "questions=programs", "questions_per_group=6"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	counts := map[string]map[string]int{}
	sizes := map[int]int{}
	render(t, cfg, 1000, func(i int, ex *Example) {
		n := len(ex.Objects)
		sizes[n]++
		if n < 3 || n > 10 {
			t.Fatalf("sample %d: %d objects", i, n)
		}
		for a := range ex.Objects {
			for b := 0; b < a; b++ {
				oa, ob := ex.Objects[a], ex.Objects[b]
				if math.Hypot(oa.Center[0]-ob.Center[0], oa.Center[1]-ob.Center[1]) < (oa.Size+ob.Size)/2+2 {
					t.Fatalf("sample %d: objects %d and %d overlap", i, a, b)
				}
			}
		}
		s := &Scene{Width: 128, Height: 128, Objects: ex.Objects}
		if len(ex.Questions) != 5*6 {
			t.Fatalf("sample %d: %d questions", i, len(ex.Questions))
		}
		for qi, q := range ex.Questions {
			if q.Type != programGroups[qi/6] {
				t.Fatalf("sample %d: question %d of type %s", i, qi, q.Type)
			}
			p, err := Parse(q.Program)
			if err != nil {
				t.Fatal(err)
			}
			v, err := Execute(p, s)
			if err != nil || v.Text() != q.Answer {
				t.Fatalf("sample %d: %s = %v (%v), stored %q", i, q.Program, v.Text(), err, q.Answer)
			}
			// No degenerate question, by its family's rule (for counting and
			// logic: every filter step changes the answer).
			for _, f := range programFamilies {
				if f.name == q.Family && f.degenerate.degenerate(p, s) {
					t.Fatalf("sample %d: degenerate %s", i, q.Program)
				}
			}
			if counts[q.Family] == nil {
				counts[q.Family] = map[string]int{}
			}
			counts[q.Family][q.Answer]++
		}
	})
	for fam, c := range counts {
		lo, hi := math.MaxInt, 0
		for _, n := range c {
			lo, hi = min(lo, n), max(hi, n)
		}
		if hi > 3*lo {
			t.Errorf("family %s answers %v: most common %d > 3 × least %d", fam, c, hi, lo)
		}
	}
	if len(counts) != len(programFamilies) {
		t.Errorf("%d of %d families asked: %v", len(counts), len(programFamilies), counts)
	}
	if len(sizes) < 8 {
		t.Errorf("object counts %v: want 3 to 10 all seen", sizes)
	}
	for _, bad := range [][]string{{"questions=clevr"}, {"questions=programs", "max_objects=60"}, {"questions=programs", "sequence=true"}, {"questions=programs", "colors=red,#00ff00"}} {
		c := SortOfCLEVR{}.DefaultConfig()
		if err := generators.ApplySettings(c, bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

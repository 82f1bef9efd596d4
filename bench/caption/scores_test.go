package caption

import (
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/scenes"
)

func TestCaptionScores(t *testing.T) {
	// 4×4 images, a 2×2 grid: object 1 fills the top-left cell, object 2
	// the bottom-right one.
	mask := []uint8{1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 2, 2, 0, 0, 2, 2}
	objs := []scenes.Figure{{Color: "red", Shape: "square"}, {Color: "blue", Shape: "circle"}}
	set := &CaptionSet{Dataset: "relations", Images: &models.CaptionData{Shape: [3]int{3, 4, 4}},
		Captions: []string{"red square above blue circle", "red square above blue circle", "red square above blue circle", "red square above blue circle"},
		Masks:    [][]uint8{mask, mask, mask, mask}, Objects: [][]scenes.Figure{objs, objs, objs, objs}}
	// Scene graphs of 4 px canvases (2 px cells): the red square in the
	// top-left cell above the blue circle in the bottom-left one.
	column := scenes.RelationScene{ImageSize: 4, Objects: []scenes.Object{
		{Color: "red", Shape: "square", Center: [2]float64{1, 1}}, {Color: "blue", Shape: "circle", Center: [2]float64{1, 3}}}}
	set.Scenes = []scenes.Scene{column, column, column, column}
	onA, onB, half := []float32{1, 0, 0, 0}, []float32{0, 0, 0, 1}, []float32{0.5, 0.5, 0, 0}
	gen := []Generated{
		// right, word for word; attention on the right figure each time
		{Words: Tokenize("red square above blue circle"), Alphas: [][]float32{onA, onA, half, onB, onB}},
		// equivalent wording: canonical match, not exact
		{Words: Tokenize("blue circle below red square"), Alphas: [][]float32{onB, onB, half, onA, onA}},
		// right figures, wrong relation; attention half on the named figure
		{Words: Tokenize("red square next_to blue circle"), Alphas: [][]float32{half, half, half, half, half}},
		// does not parse
		{Words: Tokenize("red above"), Alphas: [][]float32{onB, onB}},
	}
	m := CaptionScores(set, gen, 2, 2)
	checkDescribed(t, set, m)
	want := map[string]float64{
		"exact_match":           1.0 / 4,
		"canonical_exact_match": 2.0 / 4,
		"parse_rate":            3.0 / 4,
		// the first two are true of the column, next_to is not.
		"caption_truth":                   2.0 / 4,
		"relation_accuracy_given_objects": 2.0 / 3,
		// slots: 5 per caption; captions 1 and 2 all right; caption 3
		// (canonical "blue circle next_to red square" vs "red square above
		// blue circle") has none in place; caption 4 none.
		"slot_accuracy": 10.0 / 20,
		// words naming a figure: 4 per parsed caption, 1 in the last
		// ("red"): masses 1,1,1,1 | 1,1,1,1 | .5,.5,0,0 | 0 → 9/13.
		"attention_correctness": 9.0 / 13,
	}
	for k, v := range want {
		if math.Abs(m[k]-v) > 1e-12 {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	for _, k := range []string{"bleu1", "bleu2", "bleu3", "bleu4"} {
		if m[k] <= 0 || m[k] >= 1 {
			t.Errorf("%s = %v, want strictly between 0 and 1", k, m[k])
		}
	}
}

// checkDescribed fails unless every metric scored is one the set's
// dataset lists, and so one the kind describes.
func checkDescribed(t *testing.T, set *CaptionSet, m map[string]float64) {
	t.Helper()
	described := map[string]bool{}
	for _, mi := range (Kind{}).Metrics(nil) {
		described[mi.Name] = true
	}
	for k := range m {
		if !slices.Contains(adapters[set.Dataset].metrics, k) || !described[k] {
			t.Errorf("%s scores %s, which its adapter does not list", set.Dataset, k)
		}
	}
}

func TestVocabRoundTrip(t *testing.T) {
	v := BuildVocab([]string{"2 squares, 1 circle", "red square above blue circle"})
	ids := v.Encode("2 squares, 1 circle", 8)
	if len(ids) != 9 || ids[0] != models.StartID || ids[6] != models.EndID || ids[8] != models.PadID {
		t.Fatalf("encoded %v", ids)
	}
	if got := v.String(ids); got != "2 squares, 1 circle" {
		t.Errorf("round trip gave %q", got)
	}
	if ids := v.Encode("green star", 4); ids[1] != models.UnkID {
		t.Errorf("unknown word encoded as %d", ids[1])
	}
}

func TestPix2CodeScores(t *testing.T) {
	truth := "header {\nbtn-active, btn-inactive\n}\nrow {\nsingle {\ntext\n}\n}"
	set := &CaptionSet{Dataset: "webpages", Images: &models.CaptionData{Shape: [3]int{3, 8, 8}}, Captions: []string{truth, truth, truth}}
	gen := []Generated{
		// the same page, on one line: the same tokens and tree
		{Words: Tokenize("header { btn-active, btn-inactive } row { single { text } }"), Alphas: [][]float32{{1}}},
		// one token wrong (12 of 13 right); still a page, another tree
		{Words: Tokenize("header { btn-active, btn-active } row { single { text } }")},
		// cut short after 8 tokens: 8 right of the 13 compared; an
		// unclosed row does not parse
		{Words: Tokenize("header { btn-active, btn-inactive } row {")},
	}
	m := CaptionScores(set, gen, 1, 1)
	checkDescribed(t, set, m)
	want := map[string]float64{"token_accuracy": (13 + 12 + 8) / 39.0, "tree_exact_match": 1 / 3.0, "parse_rate": 2 / 3.0, "exact_match": 1 / 3.0}
	for k, v := range want {
		if math.Abs(m[k]-v) > 1e-12 {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if _, ok := m["attention_correctness"]; ok {
		t.Error("attention correctness for pages, which have no figures")
	}
	if _, ok := m["caption_truth"]; ok {
		t.Error("caption_truth for pages, which have no scene graph")
	}
}

// TestCaptionTruthScoresEveryTrueWording scores wordings that canonical
// equality calls wrong though they are true of the scene: caption_truth
// counts them, canonical_exact_match does not.
func TestCaptionTruthScoresEveryTrueWording(t *testing.T) {
	side := scenes.RelationScene{ImageSize: 56, Objects: []scenes.Object{
		{Color: "red", Shape: "square", Center: [2]float64{10, 40}}, {Color: "blue", Shape: "circle", Center: [2]float64{40, 42}}}}
	tri := scenes.CountObject{Size: "large", Color: "red", Shape: "triangle"}
	three := scenes.CountScene{Objects: []scenes.CountObject{tri, tri, tri},
		Relations: []scenes.Relation{{Subject: 1, Predicate: "on_top_of", Object: 0}, {Subject: 2, Predicate: "on_top_of", Object: 1}}}
	tests := []struct {
		kind, truth string
		scene       scenes.Scene
		gen         []string
		truthShare  float64
		canonShare  float64
	}{
		{"relations", "red square left_of blue circle", side, []string{
			"red square left_of blue circle",  // the generator's wording
			"blue circle right_of red square", // its inverse: canonical too
			"red square next_to blue circle",  // true, another predicate
			"blue circle next_to red square",  // true
			"blue circle left_of red square",  // subject and object swapped
			"red square above blue circle",    // wrong relation
			"red square",                      // one figure of two
			"red square left_of",              // does not parse
		}, 4.0 / 8, 2.0 / 8},
		{"counting", "2 large red triangles, 1 triangle on top", three, []string{
			"2 large red triangles, 1 triangle on top", // the generator's
			"1 large red triangle, 2 triangles on top", // true, another base
			"3 triangles",                               // true, counts
			"3 large red triangles",                     // true, attributes
			"one triangle on top of the other",          // a pair, not three
			"2 large red triangles, 2 triangles on top", // wrong count
			"2 large blue triangles, 1 triangle on top", // wrong color
			"2 large red",                               // does not parse
		}, 4.0 / 8, 1.0 / 8},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			n := len(tc.gen)
			set := &CaptionSet{Dataset: tc.kind, Images: &models.CaptionData{Shape: [3]int{3, 4, 4}}}
			var gen []Generated
			for _, g := range tc.gen {
				set.Captions = append(set.Captions, tc.truth)
				set.Scenes = append(set.Scenes, tc.scene)
				gen = append(gen, Generated{Words: Tokenize(g)})
			}
			m := CaptionScores(set, gen, 1, 1)
			if math.Abs(m["caption_truth"]-tc.truthShare) > 1e-12 || math.Abs(m["canonical_exact_match"]-tc.canonShare) > 1e-12 {
				t.Errorf("caption_truth %v, canonical_exact_match %v over %d; want %v and %v", m["caption_truth"], m["canonical_exact_match"], n, tc.truthShare, tc.canonShare)
			}
			// Without scene graphs (a subset built without them) there is
			// nothing to judge: no caption_truth rather than a 0.
			set.Scenes = nil
			if v, ok := CaptionScores(set, gen, 1, 1)["caption_truth"]; ok {
				t.Errorf("caption_truth %v without scene graphs", v)
			}
		})
	}
}

// TestCaptionTruthOfReferenceAndUntrained scores generated datasets'
// own captions, which must all be true (caption_truth 1), and the
// captions of an untrained captioner, which must score low.
func TestCaptionTruthOfReferenceAndUntrained(t *testing.T) {
	dir := t.TempDir()
	small := map[string]string{"image_size": "16", "size_min": "6", "size_max": "8"}
	five := map[string]string{"image_size": "16", "size_min": "6", "size_max": "8", "relations": "above,below,next_to,left_of,right_of", "single_fraction": "0.1"}
	for name, d := range map[string]struct {
		gen      string
		settings map[string]string
	}{"relations": {"relations", small}, "five": {"relations", five}, "counting": {"counting", nil}} {
		t.Run(name, func(t *testing.T) {
			data := writeDataset(t, filepath.Join(dir, name), d.gen, d.settings, 64, 300)
			set, err := LoadCaptionSet(data, "test")
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Scenes) != set.Len() {
				t.Fatalf("%d scene graphs for %d samples", len(set.Scenes), set.Len())
			}
			ref := make([]Generated, set.Len())
			for i, c := range set.Captions {
				ref[i].Words = Tokenize(c)
			}
			refScores := CaptionScores(set, ref, 1, 1)
			checkDescribed(t, set, refScores)
			if v := refScores["caption_truth"]; v != 1 {
				t.Errorf("the reference captions score caption_truth %v, want 1", v)
			}
			// Each sample given its neighbour's caption: every caption
			// parses, few are true of the scene they are given.
			shifted := make([]Generated, set.Len())
			for i := range shifted {
				shifted[i].Words = Tokenize(set.Captions[(i+1)%set.Len()])
			}
			ms := CaptionScores(set, shifted, 1, 1)
			t.Logf("neighbours' captions: caption_truth %.3f, parse_rate %.3f", ms["caption_truth"], ms["parse_rate"])
			if ms["parse_rate"] != 1 || ms["caption_truth"] > 0.1 {
				t.Errorf("neighbours' captions: parse_rate %v, caption_truth %v; want 1 and at most 0.1", ms["parse_rate"], ms["caption_truth"])
			}
			train, err := LoadCaptionSet(data, "train")
			if err != nil {
				t.Fatal(err)
			}
			c, vocab, err := NewCaptionerFor(train, Attention, 3, -1)
			if err != nil {
				t.Fatal(err)
			}
			gen, err := GenerateCaptions(c, vocab, set, nil, 1)
			if err != nil {
				t.Fatal(err)
			}
			m := CaptionScores(set, gen, 1, 1)
			t.Logf("untrained: caption_truth %.3f, canonical_exact_match %.3f, parse_rate %.3f", m["caption_truth"], m["canonical_exact_match"], m["parse_rate"])
			if m["caption_truth"] > 0.1 {
				t.Errorf("an untrained captioner scores caption_truth %v, want at most 0.1", m["caption_truth"])
			}
		})
	}
}

package bench

import (
	"math"
	"testing"

	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/scenes"
)

func TestCaptionScores(t *testing.T) {
	// 4×4 images, a 2×2 grid: object 1 fills the top-left cell, object 2
	// the bottom-right one.
	mask := []uint8{1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 2, 2, 0, 0, 2, 2}
	objs := []scenes.Figure{{Color: "red", Shape: "square"}, {Color: "blue", Shape: "circle"}}
	set := &CaptionSet{Kind: "relations", Images: &models.CaptionData{Shape: [3]int{3, 4, 4}},
		Captions: []string{"red square above blue circle", "red square above blue circle", "red square above blue circle", "red square above blue circle"},
		Masks:    [][]uint8{mask, mask, mask, mask}, Objects: [][]scenes.Figure{objs, objs, objs, objs}}
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
	want := map[string]float64{
		"exact_match":                     1.0 / 4,
		"canonical_exact_match":           2.0 / 4,
		"parse_rate":                      3.0 / 4,
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
	set := &CaptionSet{Kind: "webpages", Images: &models.CaptionData{Shape: [3]int{3, 8, 8}}, Captions: []string{truth, truth, truth}}
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
	want := map[string]float64{"token_accuracy": (13 + 12 + 8) / 39.0, "tree_exact_match": 1 / 3.0, "parse_rate": 2 / 3.0, "exact_match": 1 / 3.0}
	for k, v := range want {
		if math.Abs(m[k]-v) > 1e-12 {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
	if _, ok := m["attention_correctness"]; ok {
		t.Error("attention correctness for pages, which have no figures")
	}
}

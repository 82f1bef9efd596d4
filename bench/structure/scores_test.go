package structure

import (
	"math"
	"testing"

	"github.com/hiddendim/hiddendim/webpages"
)

func TestSegmentationScores(t *testing.T) {
	const bg, hd, tx = uint8(webpages.Background), uint8(webpages.Header), uint8(webpages.Text)
	tests := []struct {
		name        string
		truth, pred []uint8
		want        map[string]float64 // absent keys must be absent
	}{
		{"perfect", []uint8{bg, hd, hd, tx}, []uint8{bg, hd, hd, tx},
			map[string]float64{"pixel_accuracy": 1, "miou": 1, "iou_background": 1, "iou_header": 1, "iou_text": 1}},
		// header: ∩ 1, ∪ 2; text: ∩ 1, ∪ 2; background ∩ 1, ∪ 1.
		{"one header pixel called text", []uint8{bg, hd, hd, tx}, []uint8{bg, hd, tx, tx},
			map[string]float64{"pixel_accuracy": 0.75, "miou": (1 + 0.5 + 0.5) / 3, "iou_background": 1, "iou_header": 0.5, "iou_text": 0.5}},
		// A class only predicted counts in mIoU, with IoU 0.
		{"a class the truth lacks", []uint8{bg, bg, hd, hd}, []uint8{bg, tx, hd, hd},
			map[string]float64{"pixel_accuracy": 0.75, "miou": (0.5 + 1 + 0) / 3, "iou_background": 0.5, "iou_header": 1, "iou_text": 0}},
		// An id past the classes is wrong and in no class.
		{"an unknown id", []uint8{bg, hd}, []uint8{bg, 200},
			map[string]float64{"pixel_accuracy": 0.5, "miou": 0.5, "iou_background": 1, "iou_header": 0}},
		{"all background, nothing right", []uint8{hd, hd}, []uint8{bg, bg},
			map[string]float64{"pixel_accuracy": 0, "miou": 0, "iou_background": 0, "iou_header": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SegmentationScores(tt.truth, tt.pred)
			if len(got) != len(tt.want) {
				t.Errorf("metrics %v, want exactly %v", got, tt.want)
			}
			for k, v := range tt.want {
				m, ok := got[k]
				if !ok || math.Abs(m.Value-v) > 1e-12 || m.CI95 != nil {
					t.Errorf("%s = %+v (present %v), want exactly %v without interval", k, m, ok, v)
				}
			}
		})
	}
}

func TestMajorityClass(t *testing.T) {
	for _, tt := range []struct {
		masks []uint8
		want  uint8
	}{{[]uint8{4, 4, 0, 6}, 4}, {[]uint8{6, 4, 4, 6}, 4}, {[]uint8{12}, 12}} {
		if got := MajorityClass(tt.masks); got != tt.want {
			t.Errorf("MajorityClass(%v) = %d, want %d (the lower id on a tie)", tt.masks, got, tt.want)
		}
	}
}

// pageSet reads tiny pages written into a temporary folder.
func pageSet(t *testing.T, n int) *Set {
	t.Helper()
	set, err := LoadSet(writePages(t, t.TempDir(), 1, n), "test")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestTrueMasksDecodeToTrueTrees runs the pipeline on the true class
// masks: every tree must come back whole, styles restored, so a
// segmentation that is right scores 1 everywhere, and the majority mask
// scores far lower.
func TestTrueMasksDecodeToTrueTrees(t *testing.T) {
	set := pageSet(t, 12)
	got, err := PipelineScores(set, set.Masks)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"pixel_accuracy", "miou", "tree_exact_match", "token_accuracy", "parse_rate"} {
		if got[k].Value != 1 {
			t.Errorf("%s = %v on the true masks, want 1", k, got[k].Value)
		}
	}
	if got["tree_edit_distance"].Value != 0 {
		t.Errorf("tree_edit_distance = %v on the true masks, want 0", got["tree_edit_distance"].Value)
	}
	maj, err := MajorityScores(set, MajorityClass(set.Masks))
	if err != nil {
		t.Fatal(err)
	}
	if maj["majority_tree_exact_match"].Value != 0 || maj["majority_miou"].Value > 0.2 || maj["majority_tree_edit_distance"].Value < 0.3 {
		t.Errorf("the majority mask scores %v: want no exact tree, mIoU below 0.2 and trees far off", maj)
	}
}

// TestTreeScores checks each tree metric on hand-made mistakes: the true
// trees, one tree with a button dropped, and one with a button's style
// wrong (same classes: edit distance 0, yet not the same structure).
func TestTreeScores(t *testing.T) {
	set := pageSet(t, 2).head(2)
	trees := []*webpages.Element{clone(set.Trees[0]), clone(set.Trees[1])}
	if s := TreeScores(set, trees); s["tree_exact_match"].Value != 1 || s["token_accuracy"].Value != 1 || s["parse_rate"].Value != 1 || s["tree_edit_distance"].Value != 0 {
		t.Fatalf("the true trees score %v", s)
	}
	header := trees[0].Children[0]
	header.Children = header.Children[:len(header.Children)-1]
	trees[1].Children[0].Children[0].Style = flip(trees[1].Children[0].Children[0].Style)
	s := TreeScores(set, trees)
	if s["tree_exact_match"].Value != 0 {
		t.Errorf("tree_exact_match = %v, want 0", s["tree_exact_match"].Value)
	}
	wantTED := (1/float64(set.Trees[0].Count()) + 0) / 2
	if math.Abs(s["tree_edit_distance"].Value-wantTED) > 1e-12 {
		t.Errorf("tree_edit_distance = %v, want %v (one deletion on page 0, none on page 1)", s["tree_edit_distance"].Value, wantTED)
	}
	if s["parse_rate"].Value != 1 {
		t.Errorf("parse_rate = %v, want 1: both trees still print and parse", s["parse_rate"].Value)
	}
	if a := s["token_accuracy"].Value; a <= 0.5 || a >= 1 {
		t.Errorf("token_accuracy = %v, want a little below 1", a)
	}
	if ci := s["tree_edit_distance"].CI95; ci == nil || ci[0] < 0 || ci[1] > 1 {
		t.Errorf("tree_edit_distance interval %v, want one within [0, 1]", ci)
	}
}

func clone(e *webpages.Element) *webpages.Element {
	c := *e
	c.Children = nil
	for _, ch := range e.Children {
		c.Children = append(c.Children, clone(ch))
	}
	return &c
}

func flip(style string) string {
	if style == "active" {
		return "inactive"
	}
	return "active"
}

// TestDecodeUnderTheConfig reads masks whose row and column frames are
// all read as the container: the set's config (from its manifest) fits
// every tree back (webpages.FitTree), and the same masks decoded without
// it (by containment) lose most trees.
func TestDecodeUnderTheConfig(t *testing.T) {
	set := pageSet(t, 12)
	if set.Config == nil || set.Config.ImageSize != set.Shape[1] || !set.Config.Pix2Code {
		t.Fatalf("the set's config is %+v; want the manifest's (image_size %d, pix2code)", set.Config, set.Shape[1])
	}
	frameless := append([]uint8(nil), set.Masks...)
	for i, c := range frameless {
		if webpages.Class(c) == webpages.Row || webpages.Class(c) == webpages.Column {
			frameless[i] = uint8(webpages.Container)
		}
	}
	fitted, err := PipelineScores(set, frameless)
	if err != nil {
		t.Fatal(err)
	}
	if got := fitted[TreeExactMetric].Value; got != 1 {
		t.Errorf("tree_exact_match = %v under the config, want 1", got)
	}
	cfg := set.Config
	set.Config = nil
	contained, err := PipelineScores(set, frameless)
	set.Config = cfg
	if err != nil {
		t.Fatal(err)
	}
	if got := contained[TreeExactMetric].Value; got > 0.5 {
		t.Errorf("tree_exact_match = %v without the config; the frameless masks should break most trees decoded by containment", got)
	}
}

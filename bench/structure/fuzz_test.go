package structure

import (
	"encoding/json"
	"image"
	"image/color"
	"testing"

	"github.com/hiddendim/hiddendim/webpages"
)

// FuzzReadTree feeds setClasses, the reader of a record's tree, arbitrary
// JSON: it must not panic, and a tree it accepts has every class set from
// its name.
func FuzzReadTree(f *testing.F) {
	f.Add(`{"class": "page", "children": [{"class": "header", "children": [{"class": "button", "style": "active"}]}]}`)
	f.Add(`{"class": "page", "children": [{"class": "menu_itemx"}]}`)
	f.Add(`{"class": "background"}`)
	f.Add(`{}`)
	f.Fuzz(func(t *testing.T, s string) {
		var tree webpages.Element
		if json.Unmarshal([]byte(s), &tree) != nil {
			return
		}
		if err := setClasses(&tree); err != nil {
			return
		}
		tree.Walk(func(e *webpages.Element) {
			if e.Kind == "page" && e.Class != webpages.Background || e.Kind != "page" && (e.Class == webpages.Background || e.Class.String() != e.Kind) {
				t.Fatalf("element %q got class %v", e.Kind, e.Class)
			}
		})
	})
}

// FuzzDecodePage runs the pipeline's decoding on arbitrary masks: it must
// not panic, must give a page, and the tree scores of what it gives must
// be in range.
func FuzzDecodePage(f *testing.F) {
	f.Add(8, []byte{0, 1, 1, 1, 1, 0, 4, 4, 6, 7, 7, 10})
	f.Add(3, []byte{12, 12, 12, 3, 3})
	f.Add(16, make([]byte, 256))
	f.Fuzz(func(t *testing.T, w int, ids []byte) {
		if w < 1 || w > 64 || len(ids) < w || len(ids) > 64*64 {
			return
		}
		h := len(ids) / w
		mask := image.NewGray(image.Rect(0, 0, w, h))
		for i := range w * h {
			mask.Pix[i] = ids[i] % uint8(numClasses)
		}
		shot := image.NewRGBA(mask.Rect)
		for i := range w * h {
			shot.Set(i%w, i/w, color.RGBA{ids[i], ids[i] * 7, 255 - ids[i], 255})
		}
		tree, err := DecodePage(mask, shot, nil)
		if err != nil {
			t.Fatal(err) // a well-formed mask always decodes
		}
		if tree.Class != webpages.Background {
			t.Fatalf("the root is %v, not the page", tree.Class)
		}
		set := &Set{Shape: [3]int{3, h, w}, Trees: []*webpages.Element{{Class: webpages.Background, Kind: "page"}}, Pix2Code: []string{"header {\nbtn-active\n}"}}
		for name, m := range TreeScores(set, []*webpages.Element{tree}) {
			if !(m.Value >= 0 && m.Value <= 1) {
				t.Fatalf("%s = %v, out of [0, 1]", name, m.Value)
			}
		}
	})
}

// FuzzDecodeModel: a model entry never panics the reader, and an accepted
// segnet entry reads back as itself from its own JSON.
func FuzzDecodeModel(f *testing.F) {
	f.Add(`{"arch": "segnet", "class_weights": "median", "deep": 128, "lr": 0.003, "schedule": "cosine"}`)
	f.Add(`{"arch": "segnet", "class_weights": "none", "deep": 0}`)
	f.Add(`{"arch": "segnet", "deep": -1}`)
	f.Add(`{"arch": "attention", "beam": 1}`)
	f.Fuzz(func(t *testing.T, s string) {
		cfg, err := Kind{}.DecodeModel([]byte(s))
		if err != nil {
			return
		}
		m, ok := cfg.(SegModel)
		if !ok {
			return
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		again, err := Kind{}.DecodeModel(b)
		if err != nil || again != m {
			t.Fatalf("%s read as %+v, its JSON %s as %+v (%v)", s, m, b, again, err)
		}
	})
}

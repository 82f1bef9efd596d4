package webpages

import (
	"image"
	"image/color"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// TestRestoreStylesFromDecodedTrees decodes pages from their masks, which
// hold no styles, and restores the styles from the screenshot: the trees
// must then be the true ones, styles included, for every button color,
// menu side and row width.
func TestRestoreStylesFromDecodedTrees(t *testing.T) {
	seen := map[string]bool{}
	for _, mod := range []func(*Config){nil, func(c *Config) { c.Pix2Code = true }, func(c *Config) { c.ImageSize = 128 }} {
		p := testPlan(t, mod)
		pages(t, p, 100, func(i int, ex *Example, r *renderer, _ generators.Sample) {
			regions, err := RegionsFromMasks(r.page.instance, r.page.class)
			if err != nil {
				t.Fatal(err)
			}
			got := DecodeTree(regions, p.cfg.ImageSize, p.cfg.ImageSize, 0)
			if SameStructure(got, ex.Tree) && hasStyles(ex.Tree) {
				t.Fatalf("page %d: the decoded tree already has the true styles; the test would prove nothing", i)
			}
			RestoreStyles(got, r.page.dc.Image())
			if !SameStructure(got, ex.Tree) {
				t.Fatalf("page %d: restored\n%s\ntrue\n%s", i, PrintDSL(got), PrintDSL(ex.Tree))
			}
			ex.Tree.Walk(func(e *Element) { seen[e.Kind+" "+e.Style] = true })
		})
	}
	for _, want := range []string{"button active", "button inactive", "button green", "button orange", "button red",
		"menu left", "menu right", "row single", "row double", "row quadruple"} {
		if !seen[want] {
			t.Errorf("no %s among the pages checked", want)
		}
	}
}

func hasStyles(e *Element) bool {
	found := false
	e.Walk(func(e *Element) { found = found || e.Style != "" })
	return found
}

// TestRestoreStylesOffBoxes: a button's box a pixel or two too large or
// too small (what a predicted mask gives) still reads its fill, and a
// button half off the screenshot is clipped, not read out of bounds.
func TestRestoreStylesOffBoxes(t *testing.T) {
	shot := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for i := range shot.Pix {
		shot.Pix[i] = 255
	}
	paint := func(b [4]int, c color.RGBA) {
		for y := b[1]; y < b[3]; y++ {
			for x := b[0]; x < b[2]; x++ {
				shot.SetRGBA(x, y, c)
			}
		}
	}
	paint([4]int{10, 5, 30, 15}, buttonFill["orange"])
	paint([4]int{14, 8, 26, 12}, lightText) // the label
	tests := []struct {
		name string
		box  [4]int
	}{
		{"exact", [4]int{10, 5, 30, 15}},
		{"grown by 2", [4]int{8, 3, 32, 17}},
		{"shrunk by 2", [4]int{12, 7, 28, 13}},
		{"off the page", [4]int{20, 10, 60, 40}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &Element{Class: Button, Box: tc.box}
			page := &Element{Class: Background, Box: [4]int{0, 0, 40, 20}, Children: []*Element{
				{Class: Container, Box: [4]int{0, 0, 40, 20}, Children: []*Element{b}}}}
			RestoreStyles(page, shot)
			if b.Style != "orange" {
				t.Errorf("style %q, want orange", b.Style)
			}
		})
	}
}

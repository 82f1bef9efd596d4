package vae

import (
	"bytes"
	"image"
	stddraw "image/draw"
	"testing"
)

func TestStripLabelsDrawMu(t *testing.T) {
	// The reconstructions' row reads "from μ": the μ must leave ink, which
	// the basic bitmap font's missing glyph did not.
	cell := image.NewRGBA(image.Rect(0, 0, 8, 8))
	draw := func(label string) *image.RGBA {
		img, err := drawStrips([]string{label}, [][]image.Image{{cell}}, 3)
		if err != nil {
			t.Fatal(err)
		}
		out := image.NewRGBA(img.Bounds())
		stddraw.Draw(out, out.Bounds(), img, image.Point{}, stddraw.Src)
		return out
	}
	withMu, without := draw("from μ"), draw("from ")
	if bytes.Equal(withMu.Pix, without.Pix) {
		t.Error(`"from μ" draws the same pixels as "from ": the label font has no μ`)
	}
}

// TestStripsKeepEmptySlots: a page without a menu leaves the menu's cell
// empty, so every row's sum, operator and truth stand in the same columns.
func TestStripsKeepEmptySlots(t *testing.T) {
	white := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range white.Pix {
		white.Pix[i] = 255
	}
	img, err := drawStrips([]string{"full", "gap"}, [][]image.Image{{white, white, white}, {white, nil, white}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	const pad, labelW = 4, 150 // drawStrips' layout
	rowY := func(r int) int { return pad + r*(8+pad) + 4 }
	colX := func(c int) int { return labelW + c*(8+pad) + 4 }
	lum := func(x, y int) uint32 { r, _, _, _ := img.At(x, y).RGBA(); return r >> 8 }
	for _, tc := range []struct {
		row, col int
		white    bool
	}{{0, 1, true}, {1, 0, true}, {1, 1, false}, {1, 2, true}} {
		if got := lum(colX(tc.col), rowY(tc.row)) == 255; got != tc.white {
			t.Errorf("row %d column %d: white %v, want %v", tc.row, tc.col, got, tc.white)
		}
	}
}

func TestStripScale(t *testing.T) {
	for _, tc := range []struct {
		shape [3]int
		want  int
	}{{[3]int{3, 28, 28}, 3}, {[3]int{3, 64, 64}, 3}, {[3]int{3, 128, 128}, 1}} {
		if got := stripScale(tc.shape); got != tc.want {
			t.Errorf("stripScale(%v) = %d, want %d", tc.shape, got, tc.want)
		}
	}
}

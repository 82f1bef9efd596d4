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

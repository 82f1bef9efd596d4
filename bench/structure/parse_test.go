package structure

import (
	"image"
	"image/color"
	"testing"

	"github.com/hiddendim/hiddendim/webpages"
)

// TestOverlay holds Overlay's pixels to hand-worked values: a right pixel
// is the rounded mean of the screenshot and its class color, a wrong one
// is WrongColor, whatever the screenshot there.
func TestOverlay(t *testing.T) {
	shot := image.NewRGBA(image.Rect(0, 0, 2, 1))
	shot.SetRGBA(0, 0, color.RGBA{0, 0, 0, 255})
	shot.SetRGBA(1, 0, color.RGBA{10, 20, 30, 255})
	truth := image.NewGray(image.Rect(0, 0, 2, 1))
	truth.SetGray(0, 0, color.Gray{Y: uint8(webpages.Header)})
	truth.SetGray(1, 0, color.Gray{Y: uint8(webpages.Header)})
	pred := image.NewGray(image.Rect(0, 0, 2, 1))
	pred.SetGray(0, 0, color.Gray{Y: uint8(webpages.Header)})
	pred.SetGray(1, 0, color.Gray{Y: uint8(webpages.Button)})

	got := Overlay(shot, pred, truth)
	h := webpages.ClassColors[webpages.Header]
	want := color.RGBA{uint8((int(h[0]) + 1) / 2), uint8((int(h[1]) + 1) / 2), uint8((int(h[2]) + 1) / 2), 255}
	if c := got.RGBAAt(0, 0); c != want {
		t.Errorf("a right header pixel over black: %v, want %v", c, want)
	}
	if c := got.RGBAAt(1, 0); c != WrongColor {
		t.Errorf("a button predicted on a header: %v, want %v", c, WrongColor)
	}
	for id, rgb := range webpages.ClassColors {
		if (color.RGBA{rgb[0], rgb[1], rgb[2], 255}) == WrongColor {
			t.Errorf("class %d is drawn in WrongColor, so its pixels would read as errors", id)
		}
	}
}

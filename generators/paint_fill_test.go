package generators

import (
	"image/color"
	"testing"
)

func TestFillRGBA(t *testing.T) {
	c := color.RGBA{1, 2, 3, 7} // the alpha is made 255
	for _, px := range []int{0, 1, 2, 3, 5, 8, 75 * 75, 256 * 256} {
		pix := make([]byte, 4*px)
		for i := range pix {
			pix[i] = 99
		}
		fillRGBA(pix, c)
		for i := 0; i < len(pix); i += 4 {
			if pix[i] != 1 || pix[i+1] != 2 || pix[i+2] != 3 || pix[i+3] != 255 {
				t.Fatalf("%d pixels: pixel %d = %v", px, i/4, pix[i:i+4])
			}
		}
	}
}

package generators

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"
)

// TestPNGEncoderRoundTrip decodes what the encoder wrote with image/png and
// compares every pixel, for each image kind it encodes itself, for
// sub-images whose bounds do not start at the origin, and for the kinds it
// hands to image/png.
func TestPNGEncoderRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rgba := image.NewRGBA(image.Rect(0, 0, 37, 23))
	gray := image.NewGray(image.Rect(0, 0, 37, 23))
	gray16 := image.NewGray16(image.Rect(0, 0, 37, 23))
	translucent := image.NewRGBA(image.Rect(0, 0, 5, 4))
	for y := 0; y < 23; y++ {
		for x := 0; x < 37; x++ {
			v := uint8(rng.IntN(4) * 60) // runs and repeats, as drawn images have
			if y%3 == 1 {
				v = uint8(rng.IntN(256))
			}
			rgba.SetRGBA(x, y, color.RGBA{v, 255 - v, v / 2, 255})
			gray.SetGray(x, y, color.Gray{v})
			gray16.SetGray16(x, y, color.Gray16{uint16(v)<<8 | uint16(x)})
		}
	}
	translucent.SetRGBA(1, 1, color.RGBA{10, 20, 30, 255}) // the rest is transparent
	// Opaque but for one pixel, at an odd and at an even place after the
	// first, in a row whose width leaves an odd pixel and in one that does not.
	var oneTranslucent []*image.RGBA
	for _, c := range [][3]int{{6, 3, 4}, {7, 4, 5}, {6, 5, 1}, {7, 6, 0}} {
		m := image.NewRGBA(image.Rect(0, 0, c[0], 3))
		for i := range m.Pix {
			m.Pix[i] = 255
		}
		m.SetRGBA(c[2], 1, color.RGBA{0, 0, 0, uint8(c[1]) * 20}) // premultiplied black: exact in NRGBA
		oneTranslucent = append(oneTranslucent, m)
	}
	tests := []struct {
		name string
		img  image.Image
	}{
		{"rgba", rgba},
		{"gray", gray},
		{"gray16", gray16},
		{"rgba sub-image", rgba.SubImage(image.Rect(3, 5, 30, 20))},
		{"gray16 sub-image", gray16.SubImage(image.Rect(1, 2, 9, 22))},
		{"one pixel", gray.SubImage(image.Rect(4, 4, 5, 5))},
		{"translucent (image/png)", translucent},
		{"one translucent pixel 4 of 6", oneTranslucent[0]},
		{"one translucent pixel 5 of 7", oneTranslucent[1]},
		{"one translucent pixel 1 of 6", oneTranslucent[2]},
		{"one translucent pixel 0 of 7", oneTranslucent[3]},
		{"paletted (image/png)", image.NewPaletted(image.Rect(0, 0, 3, 3), color.Palette{color.Black, color.White})},
	}
	enc := newPNGEncoder()
	var buf bytes.Buffer
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for pass := 0; pass < 2; pass++ { // the second pass reuses the buffers
				buf.Reset()
				if err := enc.Encode(&buf, tt.img); err != nil {
					t.Fatal(err)
				}
				got, err := png.Decode(bytes.NewReader(buf.Bytes()))
				if err != nil {
					t.Fatalf("image/png cannot decode it: %v", err)
				}
				b := tt.img.Bounds()
				if got.Bounds().Dx() != b.Dx() || got.Bounds().Dy() != b.Dy() {
					t.Fatalf("size %v, want %v", got.Bounds().Size(), b.Size())
				}
				for y := 0; y < b.Dy(); y++ {
					for x := 0; x < b.Dx(); x++ {
						r0, g0, b0, a0 := tt.img.At(b.Min.X+x, b.Min.Y+y).RGBA()
						r1, g1, b1, a1 := got.At(x, y).RGBA()
						if r0 != r1 || g0 != g1 || b0 != b1 || a0 != a1 {
							t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, got.At(x, y), tt.img.At(b.Min.X+x, b.Min.Y+y))
						}
					}
				}
			}
		})
	}
}

// TestPNGEncoderKeepsKind checks the decoded image type: a mask stays a
// Gray or Gray16 image, a picture an RGBA one.
func TestPNGEncoderKeepsKind(t *testing.T) {
	enc := newPNGEncoder()
	for _, img := range []image.Image{image.NewGray(image.Rect(0, 0, 4, 4)), image.NewGray16(image.Rect(0, 0, 4, 4))} {
		var buf bytes.Buffer
		if err := enc.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		got, err := png.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if gk, wk := kindOf(got), kindOf(img); gk != wk {
			t.Errorf("decoded as %s, want %s", gk, wk)
		}
	}
}

func kindOf(img image.Image) string {
	switch img.(type) {
	case *image.Gray:
		return "gray"
	case *image.Gray16:
		return "gray16"
	}
	return "other"
}

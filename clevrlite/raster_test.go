package clevrlite

import (
	"encoding/json"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// TestCirclesMatchOpenCV paints a sortofclevr circle of every radius the
// config allows and compares its pixels, row by row, with those OpenCV's
// cv2.circle filled (testdata/opencv_circles.json, made by
// testdata/opencv_circles.py); a square of half-size h covers exactly
// center±h, as the reference's cv2.rectangle.
func TestCirclesMatchOpenCV(t *testing.T) {
	var golden struct {
		Radii map[string]struct {
			Pixels int      `json:"pixels"`
			Rows   [][2]int `json:"rows"`
		} `json:"radii"`
	}
	b, err := os.ReadFile(filepath.Join("testdata", "opencv_circles.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	// Every half_size Validate accepts.
	for h := 2; h <= 50; h++ {
		want, ok := golden.Radii[strconv.Itoa(h)]
		if !ok {
			t.Fatalf("radius %d is missing from the golden file", h)
		}
		n := 2*h + 11
		c := generators.NewCanvas(n, n)
		c.Clear(color.RGBA{255, 255, 255, 255})
		x := n / 2
		box := paintReference(c, true, x, x, h, color.RGBA{255, 0, 0, 255}, 7)
		got := 0
		for y := 0; y < n; y++ {
			for xx := 0; xx < n; xx++ {
				if c.Mask.GrayAt(xx, y).Y == 7 {
					got++
				}
			}
		}
		if got != want.Pixels {
			t.Errorf("radius %d: %d pixels, OpenCV %d", h, got, want.Pixels)
		}
		for _, row := range want.Rows {
			dy, half := row[0], row[1]
			for xx := 0; xx < n; xx++ {
				in := xx >= x-half && xx <= x+half
				if painted := c.Mask.GrayAt(xx, x+dy).Y == 7; painted != in {
					t.Fatalf("radius %d row %+d: pixel dx=%+d painted %v, OpenCV %v", h, dy, xx-x, painted, in)
				}
				if painted := c.Image.RGBAAt(xx, x+dy) == (color.RGBA{255, 0, 0, 255}); painted != in {
					t.Fatalf("radius %d row %+d: image pixel dx=%+d red %v, mask says %v", h, dy, xx-x, painted, in)
				}
			}
		}
		if wantBox := image.Rect(x-h, x-h, x+h+1, x+h+1); box != wantBox {
			t.Errorf("radius %d: box %v, want %v", h, box, wantBox)
		}

		c.Clear(color.RGBA{255, 255, 255, 255})
		box = paintReference(c, false, x, x, h, color.RGBA{0, 0, 255, 255}, 3)
		got = 0
		for _, v := range c.Mask.Pix {
			if v == 3 {
				got++
			}
		}
		if wantBox := image.Rect(x-h, x-h, x+h+1, x+h+1); box != wantBox || got != (2*h+1)*(2*h+1) {
			t.Errorf("square of half-size %d: box %v, %d pixels; want %v, %d", h, box, got, wantBox, (2*h+1)*(2*h+1))
		}
	}
	// Clipped at the canvas edge, the box is what was painted.
	c := generators.NewCanvas(20, 20)
	if box := paintReference(c, true, 1, 18, 5, color.RGBA{0, 255, 0, 255}, 1); box != image.Rect(0, 13, 7, 20) {
		t.Errorf("clipped circle: box %v", box)
	}
}

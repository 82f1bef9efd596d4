package webpages

import (
	"bytes"
	"flag"
	"image"
	"image/color"
	"slices"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

var spillPages = flag.Int("spill-pages", 100, "pages of each config TestNothingPaintsOutsideItsBox checks")

// spill counts the pixels outside e's box that painting e changed on c,
// given the canvas pixels just before.
func spill(before, after *image.RGBA, b [4]int) int {
	n := 0
	row := 4 * after.Rect.Dx()
	for y := range after.Rect.Dy() {
		o := y * after.Stride
		was, is := before.Pix[o:o+row], after.Pix[o:o+row]
		if y >= b[1] && y < b[3] {
			// Inside the box's rows only the parts left and right of it count.
			n += differing(was[:4*b[0]], is[:4*b[0]]) + differing(was[4*b[2]:], is[4*b[2]:])
			continue
		}
		n += differing(was, is)
	}
	return n
}

// differing counts the 4-byte pixels that differ between a and b.
func differing(a, b []byte) int {
	if bytes.Equal(a, b) {
		return 0
	}
	n := 0
	for i := 0; i < len(a); i += 4 {
		if !bytes.Equal(a[i:i+4], b[i:i+4]) {
			n++
		}
	}
	return n
}

// fillOnly are the classes that paint nothing but their fill: every pixel
// the instance mask gives one of them must be exactly that fill.
func fillOnly(c Class) (color.RGBA, bool) {
	switch c {
	case Background:
		return pageColor, true
	case Header, Menu, Container, Row, Column:
		return fills[c], true
	}
	return color.RGBA{}, false
}

// TestNothingPaintsOutsideItsBox holds the screenshot to its masks in two
// ways. First, it paints each page element by element, as draw does, and
// counts the pixels outside an element's box that painting it changed.
// Second, on the screenshot Render made, every pixel the instance mask
// gives to an element that paints only its fill (the page, header, menu,
// container, rows and columns) must be that fill: a glyph or a line that
// leaves its box lands on one of them. Run with -spill-pages=500 -v to
// measure the spill over 500 default pages.
func TestNothingPaintsOutsideItsBox(t *testing.T) {
	configs := []struct {
		name string
		mod  func(*Config)
	}{
		{"default", nil},
		{"pix2code", func(c *Config) { c.Pix2Code = true }},
		{"large", func(c *Config) { c.ImageSize, c.MaxRows = 512, 4 }},
	}
	for _, cfg := range configs {
		t.Run(cfg.name, func(t *testing.T) {
			p := testPlan(t, cfg.mod)
			c := newCanvas(p.cfg.ImageSize, p.cfg.ImageSize)
			before := image.NewRGBA(image.Rect(0, 0, p.cfg.ImageSize, p.cfg.ImageSize))
			spilled, spillOn, wrong, wrongOn := 0, 0, 0, 0
			pages(t, p, *spillPages, func(i int, ex *Example, r *renderer, _ generators.Sample) {
				// Element by element, on a canvas of its own.
				img := c.dc.Image().(*image.RGBA)
				c.fillBox([4]int{0, 0, c.w, c.h}, pageColor)
				n := 0
				ex.Tree.Walk(func(e *Element) {
					if e.Class == Background {
						return
					}
					copy(before.Pix, img.Pix)
					c.paint(e)
					if k := spill(before, img, e.Box); k > 0 {
						if n == 0 {
							t.Logf("page %d: %s %d at %v changed %d pixels outside its box", i, e.Kind, e.ID, e.Box, k)
						}
						n += k
					}
				})
				if n > 0 {
					spilled += n
					spillOn++
				}
				// The screenshot against its instance mask.
				shot := r.page.dc.Image().(*image.RGBA)
				classOf := map[int]Class{}
				ex.Tree.Walk(func(e *Element) { classOf[e.ID] = e.Class })
				m := 0
				for y := range p.cfg.ImageSize {
					for x := range p.cfg.ImageSize {
						o := r.page.instance.PixOffset(x, y)
						want, ok := fillOnly(classOf[int(r.page.instance.Pix[o])<<8|int(r.page.instance.Pix[o+1])])
						s := shot.PixOffset(x, y)
						if ok && !slices.Equal(shot.Pix[s:s+4], []uint8{want.R, want.G, want.B, want.A}) {
							m++
						}
					}
				}
				if m > 0 {
					wrong += m
					wrongOn++
				}
			})
			t.Logf("%d pages: %d pixels on %d pages painted outside their element's box; %d pixels on %d pages differ from the fill of the element the mask gives them to",
				*spillPages, spilled, spillOn, wrong, wrongOn)
			if spilled > 0 || wrong > 0 {
				t.Errorf("the screenshot disagrees with its masks: %d pixels on %d pages painted outside their element's box, %d pixels on %d pages not their owner's fill",
					spilled, spillOn, wrong, wrongOn)
			}
		})
	}
}

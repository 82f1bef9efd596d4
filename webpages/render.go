package webpages

import (
	"image"
	"image/color"
	"image/draw"
	"strings"
	"sync"

	"github.com/fogleman/gg"
	"github.com/golang/freetype/raster"
	"github.com/golang/freetype/truetype"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/math/fixed"
)

// The page's colors: one fill per class, and the buttons' styles.
var (
	pageColor  = color.RGBA{255, 255, 255, 255}
	fills      = map[Class]color.RGBA{Header: {52, 73, 94, 255}, Menu: {236, 240, 241, 255}, MenuItem: {255, 255, 255, 255}, Container: {250, 250, 250, 255}, Footer: {44, 62, 80, 255}, Row: {240, 243, 247, 255}, Column: {255, 255, 255, 255}, Image: {189, 195, 199, 255}}
	buttonFill = map[string]color.RGBA{"active": {52, 152, 219, 255}, "inactive": {149, 165, 166, 255}, "green": {39, 174, 96, 255}, "orange": {230, 126, 34, 255}, "red": {192, 57, 43, 255}}
	darkText   = color.RGBA{33, 33, 33, 255}
	lightText  = color.RGBA{245, 245, 245, 255}
)

var (
	goFont     *truetype.Font
	goFontOnce sync.Once
)

// canvas draws pages: one per worker, reused between samples.
type canvas struct {
	w, h     int
	dc       *gg.Context
	instance *image.Gray16
	class    *image.Gray
	faces    map[int]font.Face
	src      image.Uniform
	lines    *raster.Rasterizer
	ink      *raster.RGBAPainter
	path     raster.Path
	clip     image.RGBA // the current element's box: a view of dc's pixels
}

func newCanvas(w, h int) *canvas {
	goFontOnce.Do(func() {
		f, err := truetype.Parse(goregular.TTF)
		if err != nil {
			panic("webpages: the embedded Go font does not parse: " + err.Error())
		}
		goFont = f
	})
	return &canvas{w: w, h: h, dc: gg.NewContext(w, h), instance: image.NewGray16(image.Rect(0, 0, w, h)),
		class: image.NewGray(image.Rect(0, 0, w, h)), faces: map[int]font.Face{},
		lines: raster.NewRasterizer(w, h), ink: &raster.RGBAPainter{Op: draw.Over}}
}

// face returns the embedded Go Regular at a pixel size, cached.
func (c *canvas) face(px int) font.Face {
	px = max(px, 6)
	f, ok := c.faces[px]
	if !ok {
		f = &advanceCache{Face: truetype.NewFace(goFont, &truetype.Options{Size: float64(px), DPI: 72, Hinting: font.HintingNone}),
			adv: map[rune]fixed.Int26_6{}}
		c.faces[px] = f
	}
	return f
}

// advanceCache remembers glyph advances: freetype loads (and hints) the
// glyph on every GlyphAdvance call, and measuring words for wrapping asks
// for the same few dozen letters thousands of times a page.
type advanceCache struct {
	font.Face
	adv map[rune]fixed.Int26_6
}

func (f *advanceCache) GlyphAdvance(r rune) (fixed.Int26_6, bool) {
	if a, ok := f.adv[r]; ok {
		return a, true
	}
	a, ok := f.Face.GlyphAdvance(r)
	if ok {
		f.adv[r] = a
	}
	return a, ok
}

// draw paints the elements of the tree for which keep is true (nil: all)
// onto the page background, parents first, and fills the masks.
func (c *canvas) draw(page *Element, keep func(*Element) bool) {
	c.fillBox([4]int{0, 0, c.w, c.h}, pageColor)
	clear(c.instance.Pix)
	clear(c.class.Pix)
	page.Walk(func(e *Element) {
		if e.Class == Background || (keep != nil && !keep(e)) {
			return
		}
		c.paint(e)
		c.masks(e)
	})
}

func (c *canvas) masks(e *Element) {
	b := e.Box
	if b[2] <= b[0] || b[3] <= b[1] {
		return
	}
	fillRows(c.instance.Pix, c.instance.Stride, 2, b, []byte{uint8(e.ID >> 8), uint8(e.ID)})
	fillRows(c.class.Pix, c.class.Stride, 1, b, []byte{uint8(e.Class)})
}

// fillBox paints a box in one color straight into the pixels: boxes are
// whole pixels, and gg's general path rasterizer is slow for rectangles.
func (c *canvas) fillBox(b [4]int, col color.RGBA) {
	if b[2] <= b[0] || b[3] <= b[1] {
		return
	}
	img := c.dc.Image().(*image.RGBA)
	fillRows(img.Pix, img.Stride, 4, b, []byte{col.R, col.G, col.B, 255})
}

// fillRows sets every pixel of box b (non-empty) in an image of bpp bytes
// per pixel to the bytes of px: the first row by doubling copies, the
// others as copies of it.
func fillRows(pix []byte, stride, bpp int, b [4]int, px []byte) {
	first := pix[b[1]*stride+b[0]*bpp : b[1]*stride+b[2]*bpp]
	n := copy(first, px)
	for n < len(first) {
		n += copy(first[n:], first[:n])
	}
	for y := b[1] + 1; y < b[3]; y++ {
		copy(pix[y*stride+b[0]*bpp:y*stride+b[2]*bpp], first)
	}
}

// paint draws e inside its box and nowhere else: what it painted outside
// would belong to another element in the masks.
func (c *canvas) paint(e *Element) {
	switch e.Class {
	case Button:
		c.fillBox(e.Box, buttonFill[e.Style])
		c.label(e, lightText, 0.5)
	case BigTitle, SmallTitle:
		c.label(e, darkText, 0)
	case Text:
		c.paragraph(e)
	case Image:
		c.fillBox(e.Box, fills[Image])
		c.cross(e.Box, color.RGBA{127, 140, 141, 255})
	case MenuItem:
		c.fillBox(e.Box, fills[MenuItem])
		c.label(e, darkText, 0)
	case Footer:
		c.fillBox(e.Box, fills[Footer])
		c.label(e, lightText, 0.5)
	default:
		c.fillBox(e.Box, fills[e.Class])
	}
}

// cross draws the image placeholder's diagonals, 1 px wide and
// anti-aliased, clipped to box b: the painter writes into the box's
// pixels alone, and drops every span or part of one outside them, so the
// lines' soft edges cannot leave the box.
func (c *canvas) cross(b [4]int, col color.RGBA) {
	x0, y0, x1, y1 := fixed.I(b[0]), fixed.I(b[1]), fixed.I(b[2]), fixed.I(b[3])
	c.path.Clear()
	c.path.Start(fixed.Point26_6{X: x0, Y: y0})
	c.path.Add1(fixed.Point26_6{X: x1, Y: y1})
	c.path.Start(fixed.Point26_6{X: x1, Y: y0})
	c.path.Add1(fixed.Point26_6{X: x0, Y: y1})
	c.lines.UseNonZeroWinding = true
	c.lines.Clear()
	c.lines.AddStroke(c.path, fixed.I(1), raster.RoundCapper, raster.RoundJoiner)
	c.ink.Image = c.within(b)
	c.ink.SetColor(col)
	c.lines.Rasterize(c.ink)
}

// within returns the page's pixels inside box b as an image of their own,
// what SubImage gives without allocating one per call: a painter or a
// drawer clips to its bounds, which are empty if b is.
func (c *canvas) within(b [4]int) *image.RGBA {
	if b[2] <= b[0] || b[3] <= b[1] {
		c.clip = image.RGBA{}
		return &c.clip
	}
	img := c.dc.Image().(*image.RGBA)
	c.clip = image.RGBA{Pix: img.Pix[img.PixOffset(b[0], b[1]) : img.PixOffset(b[2]-1, b[3]-1)+4], Stride: img.Stride,
		Rect: image.Rect(b[0], b[1], b[2], b[3])}
	return &c.clip
}

// label draws e.Text on one line, vertically centered, at a size that
// fits the box's height; words that do not fit the width are dropped.
// align 0 is left (after a small indent), 0.5 centered.
func (c *canvas) label(e *Element, col color.RGBA, align float64) {
	w, h := e.Box[2]-e.Box[0], e.Box[3]-e.Box[1]
	px := h * 6 / 10
	if e.Class == SmallTitle {
		px = min(px, h*5/10)
	}
	if px < 6 {
		return
	}
	face := c.face(px)
	s, tw := fit(face, e.Text, w-4)
	if s == "" {
		return
	}
	x := e.Box[0] + 2
	if align > 0 {
		x = e.Box[0] + int(float64(w)*align) - tw/2
	}
	m := face.Metrics()
	// Center the ascent-to-descent band in the box.
	base := e.Box[1] + (h+m.Ascent.Round()-m.Descent.Round())/2
	c.text(face, col, s, x, base, e.Box)
}

// text draws s with its baseline at y, straight into the pixels (gg's
// DrawString resamples every glyph through a general transform), clipped
// to box b: a descender or an overhanging glyph that would leave the box
// is cut at its edge.
func (c *canvas) text(face font.Face, col color.RGBA, s string, x, y int, b [4]int) {
	c.src.C = col
	d := font.Drawer{Dst: c.within(b), Src: &c.src, Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// paragraph wraps e.Text into lines of a small size inside the box.
func (c *canvas) paragraph(e *Element) {
	w, h := e.Box[2]-e.Box[0], e.Box[3]-e.Box[1]
	px := min(max(7, h/5), 11)
	lineH := px + 2
	if h < lineH {
		return
	}
	face := c.face(px)
	y := e.Box[1] + px
	for _, line := range wrap(face, e.Text, w-4) {
		if y+px/4 > e.Box[3] { // keep descenders inside the box
			break
		}
		c.text(face, textGray, line, e.Box[0]+2, y, e.Box)
		y += lineH
	}
}

var textGray = color.RGBA{99, 110, 114, 255}

// fit keeps the longest run of leading words of s no wider than width,
// and returns it with its width.
func fit(face font.Face, s string, width int) (string, int) {
	ws := strings.Fields(s)
	for len(ws) > 0 {
		t := strings.Join(ws, " ")
		if tw := font.MeasureString(face, t).Ceil(); tw <= width {
			return t, tw
		}
		ws = ws[:len(ws)-1]
	}
	return "", 0
}

// wrap breaks s into lines no wider than width, greedily; a word wider
// than a line is left out.
func wrap(face font.Face, s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if font.MeasureString(face, w).Ceil() > width {
			continue
		}
		try := w
		if line != "" {
			try = line + " " + w
		}
		if font.MeasureString(face, try).Ceil() <= width {
			line = try
			continue
		}
		lines = append(lines, line)
		line = w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

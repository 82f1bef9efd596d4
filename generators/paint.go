package generators

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/fogleman/gg"
)

// Shape is a figure's outline.
type Shape int

// The shapes. The first three are the default set of the shapes dataset.
const (
	Square Shape = iota
	Circle
	Triangle
	Pentagon
	Hexagon
	Star
	numShapes
)

var shapeNames = [numShapes]string{"square", "circle", "triangle", "pentagon", "hexagon", "star"}

// String returns the shape's name as captions use it.
func (s Shape) String() string {
	if s < 0 || s >= numShapes {
		return "Shape(" + strconv.Itoa(int(s)) + ")"
	}
	return shapeNames[s]
}

// Symmetry returns the order of the shape's rotational symmetry, or 0 for a
// circle, whose rotation is not a factor at all.
func (s Shape) Symmetry() int {
	switch s {
	case Circle:
		return 0
	case Square:
		return 4
	case Triangle:
		return 3
	case Pentagon, Star:
		return 5
	case Hexagon:
		return 6
	}
	return 1
}

// ShapeNames lists every shape's name in order.
func ShapeNames() []string { return append([]string(nil), shapeNames[:]...) }

// ParseShape returns the shape with the given name.
func ParseShape(name string) (Shape, error) {
	for i, n := range shapeNames {
		if n == name {
			return Shape(i), nil
		}
	}
	return 0, fmt.Errorf("unknown shape %q; known: %s", name, strings.Join(shapeNames[:], ", "))
}

// NamedColor is a color with the word captions use for it.
type NamedColor struct {
	Name string
	RGB  color.RGBA
}

// palette is the named figure colors; the first three are the shapes
// dataset's default set.
var palette = [...]NamedColor{
	{"red", color.RGBA{255, 0, 0, 255}},
	{"green", color.RGBA{0, 255, 0, 255}},
	{"blue", color.RGBA{0, 0, 255, 255}},
	{"yellow", color.RGBA{255, 255, 0, 255}},
	{"magenta", color.RGBA{255, 0, 255, 255}},
	{"cyan", color.RGBA{0, 255, 255, 255}},
	{"orange", color.RGBA{255, 128, 0, 255}},
	{"purple", color.RGBA{128, 0, 255, 255}},
	{"gray", color.RGBA{128, 128, 128, 255}},
	{"white", color.RGBA{255, 255, 255, 255}},
	{"black", color.RGBA{0, 0, 0, 255}},
}

// ColorNames lists every named color in order.
func ColorNames() []string {
	names := make([]string, len(palette))
	for i, c := range palette {
		names[i] = c.Name
	}
	return names
}

// ParseColor returns a named color, or one written as #rrggbb (named by
// that string).
func ParseColor(s string) (NamedColor, error) {
	for _, c := range palette {
		if c.Name == s {
			return c, nil
		}
	}
	if len(s) == 7 && s[0] == '#' {
		if v, err := strconv.ParseUint(s[1:], 16, 32); err == nil {
			return NamedColor{s, color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}}, nil
		}
	}
	return NamedColor{}, fmt.Errorf("unknown color %q; want #rrggbb or one of %s", s, strings.Join(ColorNames(), ", "))
}

// Figure is one shape-color figure: the latent factors that draw it.
type Figure struct {
	Shape Shape
	Color color.RGBA
	// CenterX, CenterY are in pixels, from the top-left corner.
	CenterX, CenterY float64
	// SizePx is the diameter of the circle the figure is inscribed in, so
	// that rotation never changes how far it reaches.
	SizePx float64
	// RotationDeg turns the figure clockwise from its upright pose.
	RotationDeg float64
}

// Canvas is a reusable RGB image and one-channel mask, on which figures are
// painted with hard edges: a pixel belongs to a figure when the figure covers
// at least half of it, and then it takes exactly the figure's color and the
// figure's mask value, so that mask and image always agree.
type Canvas struct {
	Image *image.RGBA
	Mask  *image.Gray
	cov   *gg.Context
}

// NewCanvas returns a w×h canvas.
func NewCanvas(w, h int) *Canvas {
	return &Canvas{
		Image: image.NewRGBA(image.Rect(0, 0, w, h)),
		Mask:  image.NewGray(image.Rect(0, 0, w, h)),
		cov:   gg.NewContext(w, h),
	}
}

// Clear fills the image with bg and the mask with 0.
func (c *Canvas) Clear(bg color.RGBA) {
	fillRGBA(c.Image.Pix, bg)
	clear(c.Mask.Pix)
}

// fillRGBA sets every pixel of pix, RGBA bytes, to c made opaque: one
// pixel, then copies of what is done, doubling.
func fillRGBA(pix []byte, c color.RGBA) {
	if len(pix) < 4 {
		return
	}
	pix[0], pix[1], pix[2], pix[3] = c.R, c.G, c.B, 255
	for n := 4; n < len(pix); n *= 2 {
		copy(pix[n:], pix[:n])
	}
}

// Paint draws f over what is there, writes maskValue into the mask under it,
// and returns the tight bounding box of the pixels it took (empty if none).
func (c *Canvas) Paint(f Figure, maskValue uint8) image.Rectangle {
	dc := c.cov
	dc.SetRGBA255(255, 255, 255, 255)
	r := f.SizePx / 2
	rot := f.RotationDeg * math.Pi / 180
	switch f.Shape {
	case Circle:
		dc.DrawCircle(f.CenterX, f.CenterY, r)
	case Star:
		drawStar(dc, f.CenterX, f.CenterY, r, rot)
	default:
		dc.DrawRegularPolygon(polygonSides(f.Shape), f.CenterX, f.CenterY, r, rot)
	}
	dc.Fill()

	b := c.Image.Bounds()
	area := image.Rect(int(math.Floor(f.CenterX-r))-1, int(math.Floor(f.CenterY-r))-1,
		int(math.Ceil(f.CenterX+r))+1, int(math.Ceil(f.CenterY+r))+1).Intersect(b)
	cov := dc.Image().(*image.RGBA)
	box := image.Rectangle{}
	for y := area.Min.Y; y < area.Max.Y; y++ {
		ci := cov.PixOffset(area.Min.X, y)
		ii := c.Image.PixOffset(area.Min.X, y)
		mi := c.Mask.PixOffset(area.Min.X, y)
		for x := area.Min.X; x < area.Max.X; x, ci, ii, mi = x+1, ci+4, ii+4, mi+1 {
			a := cov.Pix[ci+3]
			if a == 0 {
				continue
			}
			cov.Pix[ci], cov.Pix[ci+1], cov.Pix[ci+2], cov.Pix[ci+3] = 0, 0, 0, 0
			if a < 128 {
				continue
			}
			c.Image.Pix[ii], c.Image.Pix[ii+1], c.Image.Pix[ii+2], c.Image.Pix[ii+3] = f.Color.R, f.Color.G, f.Color.B, 255
			c.Mask.Pix[mi] = maskValue
			box = box.Union(image.Rect(x, y, x+1, y+1))
		}
	}
	return box
}

func polygonSides(s Shape) int {
	switch s {
	case Square:
		return 4
	case Triangle:
		return 3
	case Pentagon:
		return 5
	case Hexagon:
		return 6
	}
	panic("generators: not a polygon: " + s.String())
}

// drawStar adds a five-pointed star, point up at rotation 0, inner radius
// 0.45 of the outer.
func drawStar(dc *gg.Context, x, y, r, rot float64) {
	for i := 0; i < 10; i++ {
		rr := r
		if i%2 == 1 {
			rr = 0.45 * r
		}
		a := rot - math.Pi/2 + float64(i)*math.Pi/5
		dc.LineTo(x+rr*math.Cos(a), y+rr*math.Sin(a))
	}
	dc.ClosePath()
}

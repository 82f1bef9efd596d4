package generators

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"strings"
)

// Shapes is the shape-color figures dataset: one figure per image,
// labelled by shape and color.
type Shapes struct{}

// ShapesConfig configures Shapes. The zero value is not valid; start from
// DefaultConfig.
type ShapesConfig struct {
	ImageSize  int      `json:"image_size" help:"width and height of the square image in pixels"`
	SizeMin    float64  `json:"size_min" help:"smallest figure, as the diameter in pixels of the circle it is inscribed in"`
	SizeMax    float64  `json:"size_max" help:"largest figure, likewise"`
	Jitter     float64  `json:"jitter" help:"how far the center may move from the image center, as a fraction (0 to 1) of the room the figure leaves"`
	Rotation   bool     `json:"rotation" help:"rotate figures uniformly over their symmetry period"`
	Background string   `json:"background" help:"background color: a color name or #rrggbb"`
	Shapes     []string `json:"shapes" help:"shape vocabulary; known: square, circle, triangle, pentagon, hexagon, star"`
	Colors     []string `json:"colors" help:"color vocabulary; known: red, green, blue, yellow, magenta, cyan, orange, purple, gray, white"`
	Holdout    []string `json:"holdout" help:"\"color shape\" combinations that appear only in the test split"`
}

// ShapesExample is one sample's samples.jsonl record.
type ShapesExample struct {
	ID    string `json:"id"`
	Image string `json:"image"`
	Mask  string `json:"mask"`
	Shape string `json:"shape"`
	Color string `json:"color"`
	// Caption is "<color> <shape>".
	Caption string `json:"caption"`
	// BBox is the tight box of the mask, [x0, y0, x1, y1) in pixels.
	BBox [4]int `json:"bbox"`
	// Center is the figure's center [x, y] in pixels.
	Center [2]float64 `json:"center"`
	// Size is the diameter in pixels of the circle the figure is inscribed in.
	Size float64 `json:"size"`
	// Rotation is in degrees, clockwise, within the shape's symmetry period.
	Rotation float64 `json:"rotation"`
	// Heldout is true when the combination is in the config's holdout.
	Heldout bool `json:"heldout"`
}

// Name returns "shapes".
func (Shapes) Name() string { return "shapes" }

// Version is 1.0.1 (1.0.1: PNG files written by the faster encoder; pixels as in 1.0.0).
func (Shapes) Version() Version { return Version{1, 0, 1} }

// Description is one line for listings.
func (Shapes) Description() string {
	return "one shape-color figure per image, with mask, box and the factors that drew it"
}

// DefaultSplits is train=10000, test=2000.
func (Shapes) DefaultSplits() []SplitSize {
	return []SplitSize{{"train", 10000}, {"test", 2000}}
}

// DefaultConfig is the default set-up: 28×28 images, square, circle and
// triangle in red, green and blue.
func (Shapes) DefaultConfig() Config {
	return &ShapesConfig{
		ImageSize: 28, SizeMin: 12, SizeMax: 24, Jitter: 1, Rotation: true,
		Background: "black",
		Shapes:     []string{"square", "circle", "triangle"},
		Colors:     []string{"red", "green", "blue"},
		Holdout:    []string{},
	}
}

// HoldoutSplit is the split that holds the held-out combinations; every
// other split leaves them out.
const HoldoutSplit = "test"

// Validate checks the config and says what would be right.
func (c *ShapesConfig) Validate() error {
	_, err := c.resolve()
	return err
}

type shapesPlan struct {
	cfg     ShapesConfig
	bg      NamedColor
	shapes  []Shape
	colors  []NamedColor
	all     []combo // every combination
	seen    []combo // all minus the held out
	heldout map[combo]bool
}

type combo struct{ shape, color int }

func (c *ShapesConfig) resolve() (*shapesPlan, error) {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.ImageSize < 8 || c.ImageSize > 4096 {
		bad("image_size %d: want 8 to 4096", c.ImageSize)
	}
	if c.SizeMin < 4 {
		bad("size_min %g: want at least 4 pixels, or figures vanish", c.SizeMin)
	}
	if c.SizeMax < c.SizeMin {
		bad("size_max %g is below size_min %g", c.SizeMax, c.SizeMin)
	}
	if c.SizeMax > float64(c.ImageSize) {
		bad("size_max %g is larger than the image (image_size %d): want at most %d", c.SizeMax, c.ImageSize, c.ImageSize)
	}
	if c.Jitter < 0 || c.Jitter > 1 || math.IsNaN(c.Jitter) {
		bad("jitter %g: want 0 to 1", c.Jitter)
	}
	p := &shapesPlan{cfg: *c, heldout: map[combo]bool{}}
	pal, err := ParsePalette(c.Background, c.Shapes, c.Colors, false)
	if err != nil {
		errs = append(errs, err)
	}
	p.bg, p.shapes, p.colors = pal.Background, pal.Shapes, pal.Colors
	if len(errs) > 0 {
		return nil, fmt.Errorf("shapes config: %w", errors.Join(errs...))
	}
	for si := range p.shapes {
		for ci := range p.colors {
			p.all = append(p.all, combo{si, ci})
		}
	}
	for _, h := range c.Holdout {
		cb, err := p.parseCombo(h)
		if err != nil {
			bad("holdout: %v", err)
			continue
		}
		p.heldout[cb] = true
	}
	for _, cb := range p.all {
		if !p.heldout[cb] {
			p.seen = append(p.seen, cb)
		}
	}
	if len(p.seen) == 0 {
		bad("holdout: every combination is held out; the train split would be empty of choices")
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("shapes config: %w", errors.Join(errs...))
	}
	return p, nil
}

func (p *shapesPlan) parseCombo(s string) (combo, error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return combo{}, fmt.Errorf("%q is not \"<color> <shape>\", e.g. \"red triangle\"", s)
	}
	ci, si := -1, -1
	for i, c := range p.colors {
		if c.Name == f[0] {
			ci = i
		}
	}
	for i, sh := range p.shapes {
		if sh.String() == f[1] {
			si = i
		}
	}
	if ci < 0 || si < 0 {
		return combo{}, fmt.Errorf("%q names a color or shape that is not in the config's colors %v and shapes %v", s, p.cfg.Colors, p.cfg.Shapes)
	}
	return combo{si, ci}, nil
}

// New validates cfg (a *ShapesConfig) and returns its sampler.
func (Shapes) New(cfg Config) (Sampler, error) {
	c, ok := cfg.(*ShapesConfig)
	if !ok {
		return nil, fmt.Errorf("generators: shapes wants a *ShapesConfig, got %T", cfg)
	}
	return c.resolve()
}

// Features declares the shapes sample fields.
func (p *shapesPlan) Features() []Feature {
	n := p.cfg.ImageSize
	shapes := make([]string, len(p.shapes))
	for i, s := range p.shapes {
		shapes[i] = s.String()
	}
	colors := make([]string, len(p.colors))
	for i, c := range p.colors {
		colors[i] = c.Name
	}
	return []Feature{
		{Name: "image", Kind: ImageFeature, Shape: []int{n, n, 3}, Doc: "the figure on the background"},
		{Name: "mask", Kind: MaskFeature, Shape: []int{n, n}, Doc: "object mask: 0 background, 255 figure"},
		{Name: "shape", Kind: LabelFeature, Vocab: shapes, Doc: "the figure's shape"},
		{Name: "color", Kind: LabelFeature, Vocab: colors, Doc: "the figure's color"},
		{Name: "caption", Kind: TextFeature, MaxLen: 32, Doc: "\"<color> <shape>\""},
		{Name: "bbox", Kind: IntFeature, Shape: []int{4}, Doc: "tight mask box [x0, y0, x1, y1), pixels"},
		{Name: "center", Kind: FloatFeature, Shape: []int{2}, Doc: "figure center [x, y], pixels"},
		{Name: "size", Kind: FloatFeature, Doc: "diameter of the circumscribed circle, pixels"},
		{Name: "rotation", Kind: FloatFeature, Doc: "clockwise rotation in degrees, within the symmetry period"},
		{Name: "heldout", Kind: BoolFeature, Doc: "the combination is one of the config's holdout"},
	}
}

// NewRenderer returns a renderer with its own canvas.
func (p *shapesPlan) NewRenderer() Renderer {
	return &shapesRenderer{plan: p, canvas: NewCanvas(p.cfg.ImageSize, p.cfg.ImageSize)}
}

type shapesRenderer struct {
	plan   *shapesPlan
	canvas *Canvas
	files  [2]File
}

// Render draws sample key. The draws from rng are, in order: size, center x,
// center y, rotation.
func (r *shapesRenderer) Render(key SampleKey, rng *rand.Rand) (Sample, error) {
	p := r.plan
	choices := p.seen
	if key.Split == HoldoutSplit {
		choices = p.all
	}
	cb := choices[Balanced(key, len(choices))]
	fig := p.figure(cb, rng)
	r.canvas.Clear(p.bg.RGB)
	box := r.canvas.Paint(fig, 255)
	if box.Empty() {
		return Sample{}, fmt.Errorf("generators: shapes sample %s/%d drew no pixels (size %g)", key.Split, key.Index, fig.SizePx)
	}
	shape, col := p.shapes[cb.shape].String(), p.colors[cb.color].Name
	ex := &ShapesExample{
		ID: key.ID(), Image: key.Path("images", "png"), Mask: key.Path("masks", "png"),
		Shape: shape, Color: col, Caption: col + " " + shape,
		BBox:   [4]int{box.Min.X, box.Min.Y, box.Max.X, box.Max.Y},
		Center: [2]float64{fig.CenterX, fig.CenterY}, Size: fig.SizePx, Rotation: fig.RotationDeg,
		Heldout: p.heldout[cb],
	}
	r.files = [2]File{{Field: "image", Path: ex.Image, Image: r.canvas.Image}, {Field: "mask", Path: ex.Mask, Image: r.canvas.Mask}}
	return Sample{Record: ex, Files: r.files[:]}, nil
}

func (p *shapesPlan) figure(cb combo, rng *rand.Rand) Figure {
	c := p.cfg
	cell := image.Rect(0, 0, c.ImageSize, c.ImageSize)
	return FigureStyle{SizeMin: c.SizeMin, SizeMax: c.SizeMax, Jitter: c.Jitter, Rotation: c.Rotation}.
		Sample(rng, p.shapes[cb.shape], p.colors[cb.color].RGB, cell)
}

// FigureStyle is how shape-color figures are drawn inside a cell: the
// shapes dataset's image is one cell, and the scenes datasets lay several
// cells side by side.
type FigureStyle struct {
	// SizeMin and SizeMax bound the figure's size: the diameter in pixels
	// of the circle it is inscribed in.
	SizeMin, SizeMax float64
	// Jitter is how far the center may move from the cell's center, as a
	// fraction (0 to 1) of the room the figure leaves.
	Jitter float64
	// Rotation turns figures uniformly over their symmetry period.
	Rotation bool
}

// Sample draws a figure of the given shape and color wholly inside cell.
// It makes four draws from rng, in order: size, center x, center y,
// rotation (drawn even when unused, so the sequence never shifts).
func (st FigureStyle) Sample(rng *rand.Rand, shape Shape, col color.RGBA, cell image.Rectangle) Figure {
	size := st.SizeMin + (st.SizeMax-st.SizeMin)*rng.Float64()
	half := size / 2
	cx0, cy0 := float64(cell.Min.X+cell.Max.X)/2, float64(cell.Min.Y+cell.Max.Y)/2
	roomX := float64(cell.Dx())/2 - half
	roomY := float64(cell.Dy())/2 - half
	cx := cx0 + st.Jitter*roomX*(2*rng.Float64()-1)
	cy := cy0 + st.Jitter*roomY*(2*rng.Float64()-1)
	rot := rng.Float64()
	if !st.Rotation || shape.Symmetry() == 0 {
		rot = 0
	} else {
		rot *= 360 / float64(shape.Symmetry())
	}
	return Figure{Shape: shape, Color: col, CenterX: cx, CenterY: cy, SizePx: size, RotationDeg: rot}
}

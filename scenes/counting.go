package scenes

import (
	"errors"
	"fmt"
	"image"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/generators"
)

// Counting is the research notes' "more complex spatial relations": several
// small and large figures, counted, described by attributes, or stacked.
type Counting struct{}

// CountingConfig configures Counting; start from DefaultConfig.
type CountingConfig struct {
	ImageSize  int      `json:"image_size" help:"width and height of the canvas in pixels"`
	MinObjects int      `json:"min_objects" help:"fewest figures in a scene"`
	MaxObjects int      `json:"max_objects" help:"most figures in a scene"`
	SmallSize  float64  `json:"small_size" help:"diameter in pixels of the circle a small figure is inscribed in"`
	LargeSize  float64  `json:"large_size" help:"likewise for a large figure; figures sit in a grid of cells this size plus 2 pixels"`
	Rotation   bool     `json:"rotation" help:"rotate figures uniformly over their symmetry period"`
	Background string   `json:"background" help:"background color: a color name or #rrggbb"`
	Shapes     []string `json:"shapes" help:"shape vocabulary"`
	Colors     []string `json:"colors" help:"color vocabulary"`
	Families   []string `json:"families" help:"caption families: counts, attributes, stacking"`
}

// CountObject is a figure of a counting scene.
type CountObject struct {
	Shape string `json:"shape"`
	Color string `json:"color"`
	// Size is "small" or "large".
	Size   string     `json:"size"`
	Center [2]float64 `json:"center"`
	BBox   [4]int     `json:"bbox"`
}

// CountingExample is one sample's samples.jsonl record.
type CountingExample struct {
	ID    string `json:"id"`
	Image string `json:"image"`
	// Mask is the instance mask: 0 background, k+1 under object k.
	Mask    string        `json:"mask"`
	Family  string        `json:"family"`
	Caption string        `json:"caption"`
	Objects []CountObject `json:"objects"`
	// Relations holds "on_top_of" edges in stacking scenes: subject rests
	// on object.
	Relations []Relation `json:"relations"`
}

// Name returns "counting".
func (Counting) Name() string { return "counting" }

// Version is 2.0.0 (1.0.1: PNG files written by the faster encoder; pixels
// as in 1.0.0. 2.0.0: each stacking column gets one caption by
// StackingCaption's rule: two figures of one shape are always "one <shape>
// on top of the other", and the base takes every figure identical to the
// bottom one; scenes and pixels as in 1.0.1, some captions changed).
func (Counting) Version() generators.Version { return generators.Version{Major: 2} }

// Description is one line for listings.
func (Counting) Description() string {
	return "1 to N small and large figures, counted, described by attributes, or stacked in a column"
}

// DefaultSplits is train=10000, test=2000.
func (Counting) DefaultSplits() []generators.SplitSize {
	return []generators.SplitSize{{Name: "train", Count: 10000}, {Name: "test", Count: 2000}}
}

// DefaultConfig: 64×64, 1 to 9 figures of the default shapes and colors,
// small 8 px and large 12 px, all three families.
func (Counting) DefaultConfig() generators.Config {
	return &CountingConfig{ImageSize: 64, MinObjects: 1, MaxObjects: 9, SmallSize: 8, LargeSize: 12, Rotation: true,
		Background: "black", Shapes: []string{"square", "circle", "triangle"}, Colors: []string{"red", "green", "blue"},
		Families: Families()}
}

// Validate rejects, up front, any config whose scenes could not be laid out.
func (c *CountingConfig) Validate() error {
	_, err := c.resolve()
	return err
}

type countingPlan struct {
	cfg    CountingConfig
	pal    generators.Palette
	grid   int // cells per side
	cellPx float64
}

func (c *CountingConfig) resolve() (*countingPlan, error) {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	p := &countingPlan{cfg: *c}
	if c.ImageSize < 16 || c.ImageSize > 4096 {
		bad("image_size %d: want 16 to 4096", c.ImageSize)
	}
	if c.SmallSize < 4 || c.LargeSize <= c.SmallSize {
		bad("small_size %g, large_size %g: want 4 <= small_size < large_size", c.SmallSize, c.LargeSize)
	}
	if c.MinObjects < 1 || c.MaxObjects < c.MinObjects {
		bad("min_objects %d, max_objects %d: want 1 <= min_objects <= max_objects", c.MinObjects, c.MaxObjects)
	}
	p.cellPx = c.LargeSize + 2
	p.grid = int(float64(c.ImageSize) / p.cellPx)
	if p.grid*p.grid < c.MaxObjects || p.grid < 2 {
		bad("max_objects %d large figures of %g px (cells of %g px) do not fit a %d px canvas: it holds a %d×%d grid; lower max_objects or large_size, or raise image_size",
			c.MaxObjects, c.LargeSize, p.cellPx, c.ImageSize, p.grid, p.grid)
	}
	pal, err := generators.ParsePalette(c.Background, c.Shapes, c.Colors, true)
	if err != nil {
		errs = append(errs, err)
	}
	p.pal = pal
	if len(c.Families) == 0 {
		bad("families: want at least one")
	}
	for _, f := range c.Families {
		if !slices.Contains(Families(), f) {
			bad("families: unknown %q; known: %s", f, strings.Join(Families(), ", "))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("counting config: %w", errors.Join(errs...))
	}
	return p, nil
}

// New validates cfg (a *CountingConfig) and returns its sampler.
func (Counting) New(cfg generators.Config) (generators.Sampler, error) {
	c, ok := cfg.(*CountingConfig)
	if !ok {
		return nil, fmt.Errorf("scenes: counting wants a *CountingConfig, got %T", cfg)
	}
	return c.resolve()
}

// Features declares the counting sample fields.
func (p *countingPlan) Features() []generators.Feature {
	n := p.cfg.ImageSize
	return []generators.Feature{
		{Name: "image", Kind: generators.ImageFeature, Shape: []int{n, n, 3}, Doc: "the scene"},
		{Name: "mask", Kind: generators.MaskFeature, Shape: []int{n, n}, Doc: "instance mask: 0 background, k+1 under object k"},
		{Name: "family", Kind: generators.LabelFeature, Vocab: p.cfg.Families, Doc: "the caption's family"},
		{Name: "caption", Kind: generators.TextFeature, MaxLen: 128, Doc: "a caption of the family, true of the scene"},
		{Name: "objects", Kind: generators.ListFeature, Doc: "the figures: shape, color, size (small/large), center, bbox"},
		{Name: "relations", Kind: generators.ListFeature, Doc: "on_top_of edges of stacking scenes"},
	}
}

// NewRenderer returns a renderer with its own canvas.
func (p *countingPlan) NewRenderer() generators.Renderer {
	return &countingRenderer{plan: p, canvas: generators.NewCanvas(p.cfg.ImageSize, p.cfg.ImageSize)}
}

type countingRenderer struct {
	plan   *countingPlan
	canvas *generators.Canvas
}

// placed is a figure to draw: what it is and which grid cell holds it.
type placed struct {
	obj  CountObject
	cell image.Point
}

// Render draws sample key: families take turns exactly (balanced), and
// each family draws its scene and writes its caption from the scene.
func (r *countingRenderer) Render(key generators.SampleKey, rng *rand.Rand) (generators.Sample, error) {
	p := r.plan
	family := p.cfg.Families[generators.Balanced(key, len(p.cfg.Families))]
	var objs []placed
	var cap CountCaption
	var rels []Relation
	switch family {
	case Stacking:
		var err error
		if objs, cap, rels, err = p.stack(rng); err != nil {
			return generators.Sample{}, fmt.Errorf("scenes: counting sample %s/%d: %w", key.Split, key.Index, err)
		}
	case Attributes:
		objs, cap = p.attributes(rng)
	default:
		objs, cap = p.counts(rng)
	}
	ex := &CountingExample{ID: key.ID(), Image: key.Path("images", "png"), Mask: key.Path("masks", "png"),
		Family: family, Caption: cap.String(), Relations: rels}
	if ex.Relations == nil {
		ex.Relations = []Relation{}
	}
	r.canvas.Clear(p.pal.Background.RGB)
	for i, o := range objs {
		size := p.cfg.SmallSize
		if o.obj.Size == "large" {
			size = p.cfg.LargeSize
		}
		cell := image.Rect(int(float64(o.cell.X)*p.cellPx), int(float64(o.cell.Y)*p.cellPx),
			int(float64(o.cell.X+1)*p.cellPx), int(float64(o.cell.Y+1)*p.cellPx))
		style := generators.FigureStyle{SizeMin: size, SizeMax: size, Jitter: 1, Rotation: p.cfg.Rotation}
		if family == Stacking {
			style.Jitter = 0 // a column stands straight
		}
		sh, _ := p.pal.Shape(o.obj.Shape)
		col, _ := p.pal.Color(o.obj.Color)
		fig := style.Sample(rng, sh, col.RGB, cell)
		box := r.canvas.Paint(fig, uint8(i+1))
		if box.Empty() {
			return generators.Sample{}, fmt.Errorf("scenes: counting sample %s/%d: figure %d drew no pixels", key.Split, key.Index, i)
		}
		o.obj.Center = [2]float64{fig.CenterX, fig.CenterY}
		o.obj.BBox = [4]int{box.Min.X, box.Min.Y, box.Max.X, box.Max.Y}
		ex.Objects = append(ex.Objects, o.obj)
	}
	return generators.Sample{Record: ex, Files: []generators.File{
		{Field: "image", Path: ex.Image, Image: r.canvas.Image}, {Field: "mask", Path: ex.Mask, Image: r.canvas.Mask}}}, nil
}

func (p *countingPlan) pick(rng *rand.Rand, list []string) string { return list[rng.IntN(len(list))] }

// cells returns n distinct grid cells in a drawn order.
func (p *countingPlan) cells(rng *rand.Rand, n int) []image.Point {
	all := rng.Perm(p.grid * p.grid)[:n]
	out := make([]image.Point, n)
	for i, k := range all {
		out[i] = image.Pt(k%p.grid, k/p.grid)
	}
	return out
}

func (p *countingPlan) count(rng *rand.Rand) int {
	return p.cfg.MinObjects + rng.IntN(p.cfg.MaxObjects-p.cfg.MinObjects+1)
}

// counts: figures of any shape, color and size; the caption counts shapes.
func (p *countingPlan) counts(rng *rand.Rand) ([]placed, CountCaption) {
	n := p.count(rng)
	cells := p.cells(rng, n)
	byShape := map[string]int{}
	var objs []placed
	for i := 0; i < n; i++ {
		o := CountObject{Shape: p.pick(rng, p.cfg.Shapes), Color: p.pick(rng, p.cfg.Colors), Size: sizeNames[rng.IntN(2)]}
		byShape[o.Shape]++
		objs = append(objs, placed{o, cells[i]})
	}
	c := CountCaption{Family: Counts}
	for _, s := range p.cfg.Shapes {
		if byShape[s] > 0 {
			c.Groups = append(c.Groups, Group{Count: byShape[s], Shape: s})
		}
	}
	return objs, c.Canonical()
}

// attributes: one or two groups of identical figures; the caption names
// each group's count, size, color and shape.
func (p *countingPlan) attributes(rng *rand.Rand) ([]placed, CountCaption) {
	n := p.count(rng)
	groups := 1
	if n >= 2 && rng.IntN(2) == 1 {
		groups = 2
	}
	first := n
	if groups == 2 {
		first = 1 + rng.IntN(n-1)
	}
	c := CountCaption{Family: Attributes}
	var kinds []Group
	for len(kinds) < groups {
		g := Group{Size: sizeNames[rng.IntN(2)], Color: p.pick(rng, p.cfg.Colors), Shape: p.pick(rng, p.cfg.Shapes)}
		if len(kinds) == 1 && g == kinds[0] {
			if len(p.cfg.Colors)*len(p.cfg.Shapes)*2 == 1 {
				break
			}
			continue
		}
		kinds = append(kinds, g)
	}
	cells := p.cells(rng, n)
	var objs []placed
	for gi, g := range kinds {
		g.Count = first
		if gi == 1 {
			g.Count = n - first
		}
		for k := 0; k < g.Count; k++ {
			objs = append(objs, placed{CountObject{Shape: g.Shape, Color: g.Color, Size: g.Size}, cells[len(objs)]})
		}
		c.Groups = append(c.Groups, g)
	}
	return objs, c.Canonical()
}

// stack: one column, a base of identical large figures at the bottom and
// figures of one shape on top; or two figures of one shape, one on the
// other. The caption is StackingCaption's, a function of the column, not
// the drawn base and top: a draw whose top figures happen to match the
// base, or two figures of one shape drawn as base and top, admits more than
// one true caption, and the generator writes one.
func (p *countingPlan) stack(rng *rand.Rand) ([]placed, CountCaption, []Relation, error) {
	col := rng.IntN(p.grid)
	height := min(p.grid, p.cfg.MaxObjects)
	var objs []placed
	if rng.IntN(4) == 0 || height < 3 {
		shape := p.pick(rng, p.cfg.Shapes)
		for k := 0; k < 2; k++ {
			objs = append(objs, placed{CountObject{Shape: shape, Color: p.pick(rng, p.cfg.Colors), Size: sizeNames[rng.IntN(2)]}, image.Pt(col, p.grid-1-k)})
		}
	} else {
		total := 2 + rng.IntN(height-1) // 2..height
		base := 1 + rng.IntN(total-1)
		b := Group{Count: base, Size: "large", Color: p.pick(rng, p.cfg.Colors), Shape: p.pick(rng, p.cfg.Shapes)}
		top := Group{Count: total - base, Shape: p.pick(rng, p.cfg.Shapes)}
		for k := 0; k < total; k++ {
			o := CountObject{Shape: b.Shape, Color: b.Color, Size: b.Size}
			if k >= base {
				o = CountObject{Shape: top.Shape, Color: p.pick(rng, p.cfg.Colors), Size: sizeNames[rng.IntN(2)]}
			}
			objs = append(objs, placed{o, image.Pt(col, p.grid-1-k)})
		}
	}
	column := make([]CountObject, len(objs))
	for k, o := range objs {
		column[k] = o.obj
	}
	c, err := StackingCaption(column)
	if err != nil {
		return nil, CountCaption{}, nil, err
	}
	var rels []Relation
	for k := 1; k < len(objs); k++ {
		rels = append(rels, Relation{Subject: k, Predicate: "on_top_of", Object: k - 1})
	}
	return objs, c, rels, nil
}

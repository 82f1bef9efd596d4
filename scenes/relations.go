package scenes

import (
	"errors"
	"fmt"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/generators"
)

// Relations is the two-figure spatial relations dataset: a canvas of 2×2
// cells, two figures in two of them, related as the caption says.
type Relations struct{}

// RelationsConfig configures Relations; start from DefaultConfig.
type RelationsConfig struct {
	ImageSize  int      `json:"image_size" help:"width and height of the canvas in pixels; each figure's cell is half of it"`
	SizeMin    float64  `json:"size_min" help:"smallest figure: the diameter in pixels of the circle it is inscribed in"`
	SizeMax    float64  `json:"size_max" help:"largest figure, likewise; at most the cell size"`
	Jitter     float64  `json:"jitter" help:"how far a figure may move from its cell's center, as a fraction (0 to 1) of the room it leaves"`
	Rotation   bool     `json:"rotation" help:"rotate figures uniformly over their symmetry period"`
	Background string   `json:"background" help:"background color: a color name or #rrggbb"`
	Shapes     []string `json:"shapes" help:"shape vocabulary"`
	Colors     []string `json:"colors" help:"color vocabulary"`
	// Relations are the predicates captions may use. With left_of or
	// right_of in the list, next_to is never written: a side-by-side pair
	// is captioned with the more precise predicate (see RelationTrue for
	// what each means).
	Relations      []string `json:"relations" help:"predicates: above, below, next_to, left_of, right_of"`
	Parts          bool     `json:"parts" help:"also write each figure alone on the canvas (parts/<id>_<k>.png), for latent arithmetic"`
	SingleFraction float64  `json:"single_fraction" help:"share of samples (0 to <1) holding one figure and no relation"`
	Holdout        []string `json:"holdout" help:"only in the test split: relation captions (\"red square above blue circle\", any equivalent wording) or pairs (\"red square + blue circle\")"`
}

// Object is a figure in a scene graph.
type Object struct {
	Shape string `json:"shape"`
	Color string `json:"color"`
	// BBox is the tight box of the figure's mask, [x0, y0, x1, y1) pixels.
	BBox   [4]int     `json:"bbox"`
	Center [2]float64 `json:"center"`
	// Size is the diameter of the circle the figure is inscribed in.
	Size     float64 `json:"size"`
	Rotation float64 `json:"rotation"`
}

// Relation is an edge of the scene graph: Subject Predicate Object, by
// object index.
type Relation struct {
	Subject   int    `json:"subject"`
	Predicate string `json:"predicate"`
	Object    int    `json:"object"`
}

// RelationsExample is one sample's samples.jsonl record.
type RelationsExample struct {
	ID    string `json:"id"`
	Image string `json:"image"`
	// Mask is the instance mask: 0 background, k+1 under object k.
	Mask      string     `json:"mask"`
	Parts     []string   `json:"parts,omitempty"`
	Caption   string     `json:"caption"`
	Objects   []Object   `json:"objects"`
	Relations []Relation `json:"relations"`
	Heldout   bool       `json:"heldout"`
}

// Name returns "relations".
func (Relations) Name() string { return "relations" }

// Version is 2.0.0 (1.0.1: PNG files written by the faster encoder; pixels
// as in 1.0.0. 2.0.0: in a config with next_to and left_of or right_of, a
// side-by-side pair is captioned with left_of or right_of, never next_to
// (the default config's samples are as in 1.0.1)).
func (Relations) Version() generators.Version { return generators.Version{Major: 2} }

// Description is one line for listings.
func (Relations) Description() string {
	return "two figures in a spatial relation, with caption, scene graph, instance mask and optional parts"
}

// DefaultSplits is train=10000, test=2000.
func (Relations) DefaultSplits() []generators.SplitSize {
	return []generators.SplitSize{{Name: "train", Count: 10000}, {Name: "test", Count: 2000}}
}

// DefaultConfig is the research notes' set-up: 56×56, two 28×28 figures of
// the default shapes, related by "above" or "next_to".
func (Relations) DefaultConfig() generators.Config {
	return &RelationsConfig{ImageSize: 56, SizeMin: 12, SizeMax: 24, Jitter: 1, Rotation: true, Background: "black",
		Shapes: []string{"square", "circle", "triangle"}, Colors: []string{"red", "green", "blue"},
		Relations: []string{"above", "next_to"}, Holdout: []string{}}
}

// Validate checks the config and says what would be right.
func (c *RelationsConfig) Validate() error {
	_, err := c.resolve()
	return err
}

type relationsPlan struct {
	cfg     RelationsConfig
	style   generators.FigureStyle
	pal     generators.Palette
	figs    []Figure
	pairs   []Caption // every (A, rel, B) class
	seen    []Caption // pairs minus the held out
	heldout func(Caption) bool
}

func (c *RelationsConfig) resolve() (*relationsPlan, error) {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if c.ImageSize < 16 || c.ImageSize > 4096 || c.ImageSize%2 != 0 {
		bad("image_size %d: want an even number from 16 to 4096", c.ImageSize)
	}
	cell := float64(c.ImageSize / 2)
	if c.SizeMin < 4 || c.SizeMax < c.SizeMin || c.SizeMax > cell {
		bad("sizes %g to %g: want 4 <= size_min <= size_max <= %g (the cell, half of image_size)", c.SizeMin, c.SizeMax, cell)
	}
	if c.Jitter < 0 || c.Jitter > 1 || math.IsNaN(c.Jitter) {
		bad("jitter %g: want 0 to 1", c.Jitter)
	}
	if c.SingleFraction < 0 || c.SingleFraction >= 1 || math.IsNaN(c.SingleFraction) {
		bad("single_fraction %g: want at least 0 and below 1", c.SingleFraction)
	}
	p := &relationsPlan{cfg: *c,
		style: generators.FigureStyle{SizeMin: c.SizeMin, SizeMax: c.SizeMax, Jitter: c.Jitter, Rotation: c.Rotation}}
	pal, err := generators.ParsePalette(c.Background, c.Shapes, c.Colors, true)
	if err != nil {
		errs = append(errs, err)
	}
	p.pal = pal
	if len(c.Relations) == 0 {
		bad("relations: want at least one")
	}
	for _, r := range c.Relations {
		if !slices.Contains(relationNames, r) {
			bad("relations: unknown %q; known: %s", r, strings.Join(relationNames, ", "))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("relations config: %w", errors.Join(errs...))
	}
	for _, col := range c.Colors {
		for _, sh := range c.Shapes {
			p.figs = append(p.figs, Figure{col, sh})
		}
	}
	for _, r := range captionedRelations(c.Relations) {
		for _, a := range p.figs {
			for _, b := range p.figs {
				p.pairs = append(p.pairs, Caption{a, r, b})
			}
		}
	}
	triples, pairs := map[Caption]bool{}, map[[2]Figure]bool{}
	for _, h := range c.Holdout {
		if a, b, ok := strings.Cut(h, " + "); ok {
			fa, err1 := ParseCaption(strings.TrimSpace(a))
			fb, err2 := ParseCaption(strings.TrimSpace(b))
			if err1 != nil || err2 != nil || !fa.Single() || !fb.Single() {
				bad("holdout %q: a pair is \"<color> <shape> + <color> <shape>\"", h)
				continue
			}
			pairs[[2]Figure{fa.A, fb.A}], pairs[[2]Figure{fb.A, fa.A}] = true, true
			continue
		}
		cp, err := ParseCaption(h)
		if err != nil || cp.Single() {
			bad("holdout %q: want a relation caption like \"red square above blue circle\" or a pair like \"red square + blue circle\"", h)
			continue
		}
		triples[cp.Canonical()] = true
	}
	p.heldout = func(cp Caption) bool {
		// A held-out "A next_to B" holds out the left_of and right_of
		// wordings of A and B side by side, which say it more precisely.
		horizontal := cp.Rel == "left_of" || cp.Rel == "right_of"
		return triples[cp.Canonical()] || pairs[[2]Figure{cp.A, cp.B}] ||
			(horizontal && triples[Caption{A: cp.A, Rel: "next_to", B: cp.B}.Canonical()])
	}
	for _, cp := range p.pairs {
		if !p.heldout(cp) {
			p.seen = append(p.seen, cp)
		}
	}
	if len(p.seen) == 0 {
		bad("holdout: every figure pair is held out")
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("relations config: %w", errors.Join(errs...))
	}
	return p, nil
}

// captionedRelations is the predicates the generator writes captions
// with: the config's, less next_to when left_of or right_of is there too.
// A side-by-side pair is true as next_to and as left_of or right_of; the
// generator writes the more precise one, so that each scene has one
// caption up to Caption.Canonical. A config with next_to and left_of but
// not right_of still captions every side-by-side pair: "B left_of A" says
// "A right_of B".
func captionedRelations(rels []string) []string {
	if !slices.Contains(rels, "left_of") && !slices.Contains(rels, "right_of") {
		return rels
	}
	return slices.DeleteFunc(slices.Clone(rels), func(r string) bool { return r == "next_to" })
}

// New validates cfg (a *RelationsConfig) and returns its sampler.
func (Relations) New(cfg generators.Config) (generators.Sampler, error) {
	c, ok := cfg.(*RelationsConfig)
	if !ok {
		return nil, fmt.Errorf("scenes: relations wants a *RelationsConfig, got %T", cfg)
	}
	return c.resolve()
}

// Features declares the relations sample fields.
func (p *relationsPlan) Features() []generators.Feature {
	n := p.cfg.ImageSize
	fs := []generators.Feature{
		{Name: "image", Kind: generators.ImageFeature, Shape: []int{n, n, 3}, Doc: "the scene"},
		{Name: "mask", Kind: generators.MaskFeature, Shape: []int{n, n}, Doc: "instance mask: 0 background, k+1 under object k"},
		{Name: "caption", Kind: generators.TextFeature, MaxLen: 64, Doc: "\"<color> <shape> <relation> <color> <shape>\", or one figure"},
		{Name: "objects", Kind: generators.ListFeature, Doc: "the figures: shape, color, bbox, center, size, rotation"},
		{Name: "relations", Kind: generators.ListFeature, Doc: "scene-graph edges {subject, predicate, object}"},
		{Name: "heldout", Kind: generators.BoolFeature, Doc: "the pair is one of the config's holdout"},
	}
	if p.cfg.Parts {
		fs = append(fs, generators.Feature{Name: "parts", Kind: generators.ListFeature, Doc: "each figure alone on the canvas, in object order"})
	}
	return fs
}

// NewRenderer returns a renderer with its own canvases.
func (p *relationsPlan) NewRenderer() generators.Renderer {
	n := p.cfg.ImageSize
	r := &relationsRenderer{plan: p, canvas: generators.NewCanvas(n, n)}
	if p.cfg.Parts {
		r.parts = [2]*generators.Canvas{generators.NewCanvas(n, n), generators.NewCanvas(n, n)}
	}
	return r
}

type relationsRenderer struct {
	plan   *relationsPlan
	canvas *generators.Canvas
	parts  [2]*generators.Canvas
}

// cells for each predicate: where A and B go, given a draw of which
// column or row (k) and, for next_to, which side A takes (side).
func placement(rel string, k, side int) (a, b image.Point) {
	switch rel {
	case "above":
		return image.Pt(k, 0), image.Pt(k, 1)
	case "below":
		return image.Pt(k, 1), image.Pt(k, 0)
	case "left_of":
		return image.Pt(0, k), image.Pt(1, k)
	case "right_of":
		return image.Pt(1, k), image.Pt(0, k)
	}
	// next_to: side by side in row k, A on either side.
	return image.Pt(side, k), image.Pt(1-side, k)
}

// Render draws sample key. A sample is single (one figure) when the
// running share of singles falls behind single_fraction; pairs and singles
// are each exactly balanced over their classes. Draws from rng, in order:
// the row or column, the side, then four per figure (see FigureStyle).
func (r *relationsRenderer) Render(key generators.SampleKey, rng *rand.Rand) (generators.Sample, error) {
	p := r.plan
	f := p.cfg.SingleFraction
	singlesBefore := int(math.Floor(float64(key.Index) * f))
	single := int(math.Floor(float64(key.Index+1)*f)) > singlesBefore
	var cp Caption
	if single {
		sub := key
		sub.Split, sub.Index = key.Split+"/single", singlesBefore
		cp = Caption{A: p.figs[generators.Balanced(sub, len(p.figs))]}
	} else {
		choices := p.seen
		if key.Split == generators.HoldoutSplit {
			choices = p.pairs
		}
		sub := key
		sub.Split, sub.Index = key.Split+"/pair", key.Index-singlesBefore
		cp = choices[generators.Balanced(sub, len(choices))]
	}
	k, side := rng.IntN(2), rng.IntN(2)
	cellA, cellB := placement(cp.Rel, k, side)
	if single {
		cellA = image.Pt(rng.IntN(2), rng.IntN(2)) // drawn after k and side, so pairs never see it
	}
	half := p.cfg.ImageSize / 2
	cellRect := func(c image.Point) image.Rectangle {
		return image.Rect(c.X*half, c.Y*half, (c.X+1)*half, (c.Y+1)*half)
	}
	figs := []Figure{cp.A}
	cells := []image.Point{cellA}
	if !single {
		figs, cells = append(figs, cp.B), append(cells, cellB)
	}
	ex := &RelationsExample{ID: key.ID(), Image: key.Path("images", "png"), Mask: key.Path("masks", "png"),
		Caption: cp.String(), Relations: []Relation{}, Heldout: !single && p.heldout(cp)}
	r.canvas.Clear(p.pal.Background.RGB)
	files := []generators.File{{Field: "image", Path: ex.Image, Image: r.canvas.Image}, {Field: "mask", Path: ex.Mask, Image: r.canvas.Mask}}
	for i, fg := range figs {
		sh, _ := p.pal.Shape(fg.Shape)
		col, _ := p.pal.Color(fg.Color)
		fig := p.style.Sample(rng, sh, col.RGB, cellRect(cells[i]))
		box := r.canvas.Paint(fig, uint8(i+1))
		if box.Empty() {
			return generators.Sample{}, fmt.Errorf("scenes: relations sample %s/%d: figure %d drew no pixels", key.Split, key.Index, i)
		}
		ex.Objects = append(ex.Objects, Object{Shape: fg.Shape, Color: fg.Color, BBox: [4]int{box.Min.X, box.Min.Y, box.Max.X, box.Max.Y},
			Center: [2]float64{fig.CenterX, fig.CenterY}, Size: fig.SizePx, Rotation: fig.RotationDeg})
		if p.cfg.Parts {
			part := r.parts[i]
			part.Clear(p.pal.Background.RGB)
			part.Paint(fig, uint8(i+1))
			path := fmt.Sprintf("parts/%s_%d.png", ex.ID, i)
			ex.Parts = append(ex.Parts, path)
			files = append(files, generators.File{Field: "parts", Path: path, Image: part.Image})
		}
	}
	if !single {
		ex.Relations = append(ex.Relations, Relation{Subject: 0, Predicate: cp.Rel, Object: 1})
	}
	return generators.Sample{Record: ex, Files: files}, nil
}

package clevrlite

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/generators"
)

// SortOfCLEVR is the sort-of-CLEVR dataset ("clevrlite").
type SortOfCLEVR struct{}

// Config configures SortOfCLEVR; start from DefaultConfig.
type Config struct {
	ImageSize int `json:"image_size" help:"width and height in pixels (the reference: 75)"`
	// HalfSize is the reference's "size": squares span center±HalfSize,
	// circles have radius HalfSize; centers keep 2·HalfSize apart.
	HalfSize int `json:"half_size" help:"squares span center ± half_size, circles have radius half_size (the reference: 5)"`
	// PerGroup is the number of questions of each group per image.
	PerGroup int `json:"questions_per_group" help:"questions per group (non-relational, binary, ternary) per image (the reference: 10)"`
	// Balance chooses what each question asks about so that answers are
	// balanced within each family; false asks uniformly, as the reference.
	Balance bool `json:"balance" help:"balance answers within each question family"`
	// Sequence adds the research notes' sequence and causal groups.
	Sequence bool `json:"sequence" help:"also ask questions_per_group sequence questions (positions counted from the left) and causal ones (intervention, counterfactual)"`
}

// The reference colors, as RGB.
var colorRGB = map[string]color.RGBA{
	"red": {255, 0, 0, 255}, "green": {0, 255, 0, 255}, "blue": {0, 0, 255, 255},
	"orange": {255, 156, 0, 255}, "gray": {128, 128, 128, 255}, "yellow": {255, 255, 0, 255},
}

// Question is one question of a sample, answered by executing Program.
type Question struct {
	Family string `json:"family"`
	// Type is the reference's group: "non_relational", "binary" or "ternary".
	Type    string `json:"type"`
	Text    string `json:"text"`
	Program string `json:"program"`
	Answer  string `json:"answer"`
	// AnswerIndex is the answer in the reference's 10-word vocabulary (see
	// AnswerVocab), or −1 for an answer it lacks (a color).
	AnswerIndex int `json:"answer_index"`
	// Encoding is the reference's 18-element question vector; all zeros
	// for the sequence and causal groups, which it cannot express.
	Encoding [18]uint8 `json:"encoding"`
}

// Example is one sample's samples.jsonl record.
type Example struct {
	ID        string     `json:"id"`
	Image     string     `json:"image"`
	Mask      string     `json:"mask"`
	Objects   []Object   `json:"objects"`
	Questions []Question `json:"questions"`
}

// AnswerVocab is the reference's answer vocabulary. Indices 4–9 are
// counts: for the binary same-shape count (which includes the object
// itself, 1–6) index = count + 3; for the ternary between and obtuse
// counts (0–4) index = count + 4, exactly as the reference encodes them
// (its printout of these as 1–5 is off by one).
var AnswerVocab = [10]string{"yes", "no", "rectangle", "circle", "1", "2", "3", "4", "5", "6"}

// Name returns "clevrlite".
func (SortOfCLEVR) Name() string { return "clevrlite" }

// Version is 0.1.0: the sortofclevr config only.
func (SortOfCLEVR) Version() generators.Version { return generators.Version{Minor: 1} }

// Description is one line for listings.
func (SortOfCLEVR) Description() string {
	return "sort-of-CLEVR scenes with questions answered by executing functional programs"
}

// DefaultSplits is the reference's train=9800, test=200.
func (SortOfCLEVR) DefaultSplits() []generators.SplitSize {
	return []generators.SplitSize{{Name: "train", Count: 9800}, {Name: "test", Count: 200}}
}

// DefaultConfig is the sortofclevr config.
func (SortOfCLEVR) DefaultConfig() generators.Config {
	return &Config{ImageSize: 75, HalfSize: 5, PerGroup: 10, Balance: true}
}

// Validate checks that six objects fit.
func (c *Config) Validate() error {
	var errs []error
	if c.HalfSize < 2 || c.HalfSize > 50 {
		errs = append(errs, fmt.Errorf("half_size %d: want 2 to 50", c.HalfSize))
	}
	// Six centers 2·h apart inside [h, n−h): a generous bound keeps the
	// rejection sampling quick; below it, say so rather than loop.
	if free := c.ImageSize - 2*c.HalfSize; free < 6*c.HalfSize {
		errs = append(errs, fmt.Errorf("image_size %d is too small for six objects of half_size %d: want at least %d", c.ImageSize, c.HalfSize, 8*c.HalfSize))
	}
	if c.PerGroup < 1 || c.PerGroup > 100 {
		errs = append(errs, fmt.Errorf("questions_per_group %d: want 1 to 100", c.PerGroup))
	}
	return errors.Join(errs...)
}

// New validates cfg and calibrates the answer balancing.
func (SortOfCLEVR) New(cfg generators.Config) (generators.Sampler, error) {
	c, ok := cfg.(*Config)
	if !ok {
		return nil, fmt.Errorf("clevrlite: wants a *Config, got %T", cfg)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("clevrlite config: %w", err)
	}
	used := referenceGroups
	if c.Sequence {
		used = len(groups)
	}
	p := &plan{cfg: *c, cands: allCandidates(used), groups: used}
	p.calibrate()
	return p, nil
}

type plan struct {
	cfg Config
	// accept[f][a] is the chance to keep a drawn target answer a of family f.
	accept []map[int]float64
	cands  [][]candidate
	groups int // how many of groups are asked
}

// Features declares the clevrlite sample fields.
func (p *plan) Features() []generators.Feature {
	n, q := p.cfg.ImageSize, p.groups*p.cfg.PerGroup
	return []generators.Feature{
		{Name: "image", Kind: generators.ImageFeature, Shape: []int{n, n, 3}, Doc: "the scene on white"},
		{Name: "mask", Kind: generators.MaskFeature, Shape: []int{n, n}, Doc: "instance mask: object index + 1"},
		{Name: "objects", Kind: generators.ListFeature, NPZ: "omit", Doc: "the scene: color, shape, center, bbox, size"},
		{Name: "questions", Kind: generators.ListFeature, NPZ: "omit", Doc: "family, type, text, program, answer, answer_index, encoding"},
		// The npz arrays: objects are in the fixed color order, questions
		// in group order (non-relational, binary, ternary).
		{Name: "object_shapes", Kind: generators.IntFeature, Shape: []int{6}, NPZ: "only", Doc: "per object, in color order: 0 square, 1 circle"},
		{Name: "object_centers", Kind: generators.FloatFeature, Shape: []int{6, 2}, NPZ: "only", Doc: "per object, in color order: center [x, y]"},
		{Name: "question_encodings", Kind: generators.IntFeature, Shape: []int{q, 18}, NPZ: "only", Doc: "the reference's 18-element question vectors"},
		{Name: "answers", Kind: generators.IntFeature, Shape: []int{q}, NPZ: "only", Doc: "answer indices into the reference vocabulary (yes, no, rectangle, circle, 1–6)"},
		{Name: "question_types", Kind: generators.IntFeature, Shape: []int{q}, NPZ: "only", Doc: "0 non-relational, 1 binary, 2 ternary"},
		{Name: "question_families", Kind: generators.IntFeature, Shape: []int{q}, NPZ: "only", Doc: "index into: " + strings.Join(FamilyNames(), ", ")},
	}
}

// NewRenderer returns a renderer with its own canvas.
func (p *plan) NewRenderer() generators.Renderer {
	return &renderer{plan: p, canvas: generators.NewCanvas(p.cfg.ImageSize, p.cfg.ImageSize)}
}

type renderer struct {
	plan   *plan
	canvas *generators.Canvas
	table  table
}

// scene draws the reference's scene distribution: for each color in
// order, a center uniform on [h, n−h) in whole pixels, redrawn while it is
// closer than 2h to an earlier one, and a square or a circle, 50/50.
func (p *plan) scene(rng *rand.Rand) *Scene {
	h, n := p.cfg.HalfSize, p.cfg.ImageSize
	s := &Scene{Width: n, Height: n}
	for _, c := range colorNames {
		var x, y int
		for {
			x, y = h+rng.IntN(n-2*h), h+rng.IntN(n-2*h)
			ok := true
			for _, o := range s.Objects {
				dx, dy := float64(x)-o.Center[0], float64(y)-o.Center[1]
				if dx*dx+dy*dy < float64(4*h*h) {
					ok = false
				}
			}
			if ok {
				break
			}
		}
		shape := "square"
		if rng.Float64() >= 0.5 {
			shape = "circle"
		}
		s.Objects = append(s.Objects, Object{Color: c, Shape: shape, Center: [2]float64{float64(x), float64(y)}, Size: float64(2*h + 1)})
	}
	return s
}

// paint draws a scene: a square covers pixels center±h, a circle the
// pixels within h of the center, as the reference's OpenCV calls do.
func (p *plan) paint(c *generators.Canvas, s *Scene) {
	c.Clear(color.RGBA{255, 255, 255, 255})
	h := float64(p.cfg.HalfSize)
	for i := range s.Objects {
		o := &s.Objects[i]
		fig := generators.Figure{Color: colorRGB[o.Color], CenterX: o.Center[0] + 0.5, CenterY: o.Center[1] + 0.5}
		if o.Shape == "square" {
			fig.Shape, fig.SizePx = generators.Square, (2*h+1)*math.Sqrt2
		} else {
			fig.Shape, fig.SizePx = generators.Circle, 2*h+1
		}
		box := c.Paint(fig, uint8(i+1))
		o.BBox = [4]int{box.Min.X, box.Min.Y, box.Max.X, box.Max.Y}
	}
}

// Render draws sample key and asks its questions.
func (r *renderer) Render(key generators.SampleKey, rng *rand.Rand) (generators.Sample, error) {
	p := r.plan
	s := p.scene(rng)
	p.paint(r.canvas, s)
	ex := &Example{ID: key.ID(), Image: key.Path("images", "png"), Mask: key.Path("masks", "png"), Objects: s.Objects}
	var t table
	if p.cfg.Balance {
		r.table = p.answers(s, r.table)
		t = r.table
	}
	for g := 0; g < p.groups; g++ {
		for q := 0; q < p.cfg.PerGroup; q++ {
			question, err := p.ask(g, s, t, rng)
			if err != nil {
				return generators.Sample{}, fmt.Errorf("clevrlite: sample %s/%d: %w", key.Split, key.Index, err)
			}
			ex.Questions = append(ex.Questions, question)
		}
	}
	return generators.Sample{Record: ex, Arrays: arrays(ex), Files: []generators.File{
		{Field: "image", Path: ex.Image, Image: r.canvas.Image}, {Field: "mask", Path: ex.Mask, Image: r.canvas.Mask}}}, nil
}

// arrays is the npz form of a sample's scene and questions.
func arrays(ex *Example) map[string]any {
	shapes := make([]int, len(ex.Objects))
	centers := make([][2]float64, len(ex.Objects))
	for i, o := range ex.Objects {
		if o.Shape == "circle" {
			shapes[i] = 1
		}
		centers[i] = o.Center
	}
	n := len(ex.Questions)
	enc, ans, typ, fam := make([][18]uint8, n), make([]int, n), make([]int, n), make([]int, n)
	for i, q := range ex.Questions {
		enc[i], ans[i] = q.Encoding, q.AnswerIndex
		typ[i] = slices.Index(groups, q.Type)
		fam[i] = slices.Index(FamilyNames(), q.Family)
	}
	return map[string]any{"object_shapes": shapes, "object_centers": centers, "question_encodings": enc,
		"answers": ans, "question_types": typ, "question_families": fam}
}

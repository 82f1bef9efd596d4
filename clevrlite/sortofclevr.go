package clevrlite

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/hiddendim/hiddendim/generators"
)

// SortOfCLEVR is the sort-of-CLEVR dataset ("clevrlite").
type SortOfCLEVR struct{}

// Config configures SortOfCLEVR; start from DefaultConfig. Zero sizes
// mean the mode's default.
type Config struct {
	// Questions is "sortofclevr" (the reference's scenes and question
	// groups) or "programs" (CLEVR-style scenes and templated families).
	Questions string `json:"questions" help:"sortofclevr (the reference's scenes and questions) or programs (CLEVR-style scenes and families)"`
	ImageSize int    `json:"image_size" help:"width and height in pixels; 0: 75 for sortofclevr, 128 for programs"`
	// HalfSize is the reference's "size": squares span center±HalfSize,
	// circles have radius HalfSize; centers keep 2·HalfSize apart. In the
	// programs mode small objects have this radius and large ones twice it.
	HalfSize int `json:"half_size" help:"object half-width in pixels; 0: 5 for sortofclevr, 6 for programs (large objects twice that)"`
	// PerGroup is the number of questions of each group per image.
	PerGroup int `json:"questions_per_group" help:"questions per group per image (the reference: 10)"`
	// Balance chooses what each question asks about so that answers are
	// balanced within each family, as Mix says; false asks uniformly, as
	// the reference.
	Balance bool `json:"balance" help:"balance answers within each question family (as mix says); false: ask uniformly, as the reference"`
	// Mix says what a balanced config holds equal first. "subtypes": each
	// family (the reference's subtype) is asked equally often within its
	// group, as the reference asks, and answers are balanced within the
	// family as far as the scenes allow: each answer is asked as often as
	// the family's median answer (within sampling noise), or less only if
	// the scenes offer it too rarely (then it is asked nearly whenever
	// offered), or more only if they force it (it was nearly always the
	// only answer the family could still give). "answers": answers are balanced
	// within each family, each family asked as often as that leaves it
	// (clevrlite 0.1; the sortofclevr groups then ask closest, furthest,
	// count about 49/45/6%). Empty means subtypes for sortofclevr and
	// answers for programs.
	Mix string `json:"mix" help:"with balance: subtypes (each family equally often in its group, answers balanced within it as far as scenes allow) or answers (clevrlite 0.1: answers balanced per family first); empty: subtypes for sortofclevr, answers for programs"`
	// Sequence adds the sequence questions (positions counted from the left)
	// and the causal ones (intervention, counterfactual).
	Sequence   bool     `json:"sequence" help:"sortofclevr: also ask sequence questions (positions counted from the left) and causal ones (intervention, counterfactual)"`
	MinObjects int      `json:"min_objects" help:"programs: fewest objects in a scene"`
	MaxObjects int      `json:"max_objects" help:"programs: most objects in a scene"`
	Shapes     []string `json:"shapes" help:"programs: shape vocabulary"`
	Colors     []string `json:"colors" help:"programs: color vocabulary"`
}

// The Mix values.
const (
	// MixSubtypes asks each family equally often within its group.
	MixSubtypes = "subtypes"
	// MixAnswers balances answers within each family first.
	MixAnswers = "answers"
)

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
	key      int       // the answer's balancing key
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

// Version is 0.2.0. 0.2.0: the sortofclevr default asks each family a
// third of its group (mix subtypes; 0.1's mix is mix=answers); obtuse is
// decided exactly; circles are OpenCV's raster (81 px at radius 5, not
// 97); the npz gains question_texts and question_programs. 0.1.1: PNG
// files written by the faster encoder; pixels as in 0.1.0.
func (SortOfCLEVR) Version() generators.Version { return generators.Version{Minor: 2} }

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
	return &Config{Questions: "sortofclevr", PerGroup: 10, Balance: true, MinObjects: 3, MaxObjects: 10,
		Shapes: []string{"square", "circle", "triangle"}, Colors: []string{"red", "green", "blue", "yellow", "gray", "purple", "cyan", "orange"}}
}

// resolved fills the mode's defaults into a copy.
func (c Config) resolved() Config {
	programs := c.Questions == "programs"
	if c.ImageSize == 0 {
		c.ImageSize = map[bool]int{false: 75, true: 128}[programs]
	}
	if c.HalfSize == 0 {
		c.HalfSize = map[bool]int{false: 5, true: 6}[programs]
	}
	if c.Mix == "" {
		c.Mix = map[bool]string{false: MixSubtypes, true: MixAnswers}[programs]
	}
	return c
}

// Validate checks the config and that its objects fit, so that scene
// sampling never loops.
func (c *Config) Validate() error {
	r := c.resolved()
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if r.HalfSize < 2 || r.HalfSize > 50 {
		bad("half_size %d: want 2 to 50", r.HalfSize)
	}
	if r.PerGroup < 1 || r.PerGroup > 100 {
		bad("questions_per_group %d: want 1 to 100", r.PerGroup)
	}
	if r.Mix != MixSubtypes && r.Mix != MixAnswers {
		bad("mix %q: want %s or %s", r.Mix, MixSubtypes, MixAnswers)
	}
	switch r.Questions {
	case "sortofclevr":
		// Six centers 2·h apart inside [h, n−h): a generous bound keeps the
		// rejection sampling quick; below it, say so rather than loop.
		if free := r.ImageSize - 2*r.HalfSize; free < 6*r.HalfSize {
			bad("image_size %d is too small for six objects of half_size %d: want at least %d", r.ImageSize, r.HalfSize, 8*r.HalfSize)
		}
	case "programs":
		if r.MinObjects < 1 || r.MaxObjects < r.MinObjects || r.MaxObjects > 64 {
			bad("min_objects %d, max_objects %d: want 1 <= min_objects <= max_objects <= 64", r.MinObjects, r.MaxObjects)
		}
		// Large discs (radius 2h, plus a 2 px gap) may cover at most a
		// third of the canvas, which rejection sampling fills quickly.
		if disc := math.Pi * math.Pow(float64(2*r.HalfSize+1), 2); float64(r.MaxObjects)*disc > float64(r.ImageSize*r.ImageSize)/3 {
			bad("max_objects %d large objects of half_size %d crowd a %d px canvas; lower them or raise image_size", r.MaxObjects, r.HalfSize, r.ImageSize)
		}
		if r.Sequence {
			bad("sequence: the sequence and causal groups belong to the sortofclevr questions")
		}
		if _, err := generators.ParsePalette("white", r.Shapes, r.Colors, true); err != nil {
			errs = append(errs, err)
		}
	default:
		bad("questions %q: want sortofclevr or programs", r.Questions)
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
	p := &plan{cfg: c.resolved()}
	switch p.cfg.Questions {
	case "programs":
		p.fams, p.groups = programFamilies, programGroups
		p.vocab = vocab{colors: p.cfg.Colors, shapes: p.cfg.Shapes, objects: p.cfg.MaxObjects}
		p.pal, _ = generators.ParsePalette("white", p.cfg.Shapes, p.cfg.Colors, true)
	default:
		p.fams, p.groups = sortOfCLEVRFamilies[:9], referenceGroups
		if p.cfg.Sequence {
			p.fams, p.groups = sortOfCLEVRFamilies, append(slices.Clone(referenceGroups), sequenceGroups...)
		}
		p.vocab = vocab{colors: colorNames[:], shapes: shapeNames[:], objects: len(colorNames)}
	}
	p.compiled.share = true
	var err error
	if p.cands, err = candidates(p.fams, p.vocab, &p.compiled); err != nil {
		return nil, err
	}
	p.byGroup = map[string][]int{}
	for fi, f := range p.fams {
		p.byGroup[f.group] = append(p.byGroup[f.group], fi)
	}
	if p.cfg.Balance {
		if p.cfg.Mix == MixSubtypes {
			if w, ok := calibratedWeights(p.cfg); ok {
				p.weight = w
			} else {
				p.calibrateWeights()
			}
		} else {
			p.calibrate()
		}
	}
	return p, nil
}

type plan struct {
	cfg Config
	// accept[f][a] is the chance to keep a drawn target answer a of family
	// f (mix answers).
	accept []map[int]float64
	// weight[f][a] is how likely family f is to ask answer a, among those
	// the scene can yield (mix subtypes); 0 where f never gave a in
	// calibration.
	weight [][]float64
	chance [][]float64 // accept as ask reads it
	fams   []family
	cands  [][]candidate
	// compiled holds the candidates' programs, equal subprograms shared.
	compiled compiler
	groups   []string // the groups asked, in order
	// byGroup lists each group's families; targets each family's askable
	// answers, sorted (the keys of accept, fixed once calibrated).
	byGroup map[string][]int
	targets [][]int
	vocab   vocab
	pal     generators.Palette // programs mode
}

// Features declares the clevrlite sample fields.
func (p *plan) Features() []generators.Feature {
	n, q := p.cfg.ImageSize, len(p.groups)*p.cfg.PerGroup
	if p.cfg.Questions == "programs" {
		// Scenes vary in size: no npz form.
		return []generators.Feature{
			{Name: "image", Kind: generators.ImageFeature, Shape: []int{n, n, 3}, Doc: "the scene on white"},
			{Name: "mask", Kind: generators.MaskFeature, Shape: []int{n, n}, Doc: "instance mask: object index + 1"},
			{Name: "objects", Kind: generators.ListFeature, Doc: "the scene: color, shape, size class, center, bbox, size"},
			{Name: "questions", Kind: generators.ListFeature, Doc: "family, type, text, program, answer"},
		}
	}
	return []generators.Feature{
		{Name: "image", Kind: generators.ImageFeature, Shape: []int{n, n, 3}, Doc: "the scene on white"},
		{Name: "mask", Kind: generators.MaskFeature, Shape: []int{n, n}, Doc: "instance mask: object index + 1"},
		{Name: "objects", Kind: generators.ListFeature, NPZ: generators.NotInNPZ, Doc: "the scene: color, shape, center, bbox, size"},
		{Name: "questions", Kind: generators.ListFeature, NPZ: generators.NotInNPZ, Doc: "family, type, text, program, answer, answer_index, encoding"},
		// The npz arrays: objects are in the fixed color order, questions
		// in group order (non-relational, binary, ternary).
		{Name: "object_shapes", Kind: generators.IntFeature, Shape: []int{6}, NPZ: generators.NPZOnly, Doc: "per object, in color order: 0 square, 1 circle"},
		{Name: "object_centers", Kind: generators.FloatFeature, Shape: []int{6, 2}, NPZ: generators.NPZOnly, Doc: "per object, in color order: center [x, y]"},
		{Name: "question_encodings", Kind: generators.IntFeature, Shape: []int{q, 18}, NPZ: generators.NPZOnly, Doc: "the reference's 18-element question vectors"},
		{Name: "answers", Kind: generators.IntFeature, Shape: []int{q}, NPZ: generators.NPZOnly, Doc: "answer indices into the reference vocabulary (yes, no, rectangle, circle, 1–6)"},
		{Name: "question_types", Kind: generators.IntFeature, Shape: []int{q}, NPZ: generators.NPZOnly, Doc: "0 non-relational, 1 binary, 2 ternary"},
		{Name: "question_families", Kind: generators.IntFeature, Shape: []int{q}, NPZ: generators.NPZOnly, Doc: "index into: " + strings.Join(FamilyNames(), ", ")},
		{Name: "question_texts", Kind: generators.TextFeature, Shape: []int{q}, MaxLen: p.longest(func(q Question) string { return q.Text }), NPZ: generators.NPZOnly, Doc: "the questions in words"},
		{Name: "question_programs", Kind: generators.TextFeature, Shape: []int{q}, MaxLen: p.longest(func(q Question) string { return q.Program }), NPZ: generators.NPZOnly, Doc: "the questions' functional programs, whose results are the answers"},
	}
}

// longest is the most runes field takes in any question the plan can ask.
func (p *plan) longest(field func(Question) string) int {
	n := 1
	for _, cs := range p.cands {
		for _, c := range cs {
			n = max(n, utf8.RuneCountInString(field(c.q)))
		}
	}
	return n
}

// NewRenderer returns a renderer with its own canvas.
func (p *plan) NewRenderer() generators.Renderer {
	return &renderer{plan: p, canvas: generators.NewCanvas(p.cfg.ImageSize, p.cfg.ImageSize)}
}

type renderer struct {
	plan   *plan
	canvas *generators.Canvas
	table  table
	env    env
	// asked holds the programs the image being rendered has asked.
	asked map[*Program]bool
}

// scene draws the reference's scene distribution: for each color in
// order, a center uniform on [h, n−h) in whole pixels, redrawn while it is
// closer than 2h to an earlier one, and a square or a circle, 50/50.
func (p *plan) scene(rng *rand.Rand) *Scene {
	if p.cfg.Questions == "programs" {
		return p.programScene(rng)
	}
	h, n := p.cfg.HalfSize, p.cfg.ImageSize
	s := &Scene{Width: n, Height: n, Objects: make([]Object, 0, len(colorNames))}
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

// programScene draws a CLEVR-style scene: min to max objects of any color,
// shape and size class (small: radius h; large: 2h), centers uniform where
// the object fits, redrawn while it would come within 2 px of another;
// after 200 redraws of one object the whole scene is drawn again.
func (p *plan) programScene(rng *rand.Rand) *Scene {
	c, n := p.cfg, p.cfg.ImageSize
	for {
		s := &Scene{Width: n, Height: n}
		count := c.MinObjects + rng.IntN(c.MaxObjects-c.MinObjects+1)
		ok := true
		for k := 0; k < count && ok; k++ {
			o := Object{Color: c.Colors[rng.IntN(len(c.Colors))], Shape: c.Shapes[rng.IntN(len(c.Shapes))], SizeClass: "small"}
			r := c.HalfSize
			if rng.IntN(2) == 1 {
				o.SizeClass, r = "large", 2*c.HalfSize
			}
			o.Size = float64(2*r + 1)
			ok = false
			for range 200 {
				x, y := r+rng.IntN(n-2*r), r+rng.IntN(n-2*r)
				clear := true
				for _, q := range s.Objects {
					if math.Hypot(float64(x)-q.Center[0], float64(y)-q.Center[1]) < (o.Size+q.Size)/2+2 {
						clear = false
						break
					}
				}
				if clear {
					o.Center = [2]float64{float64(x), float64(y)}
					s.Objects = append(s.Objects, o)
					ok = true
					break
				}
			}
		}
		if ok {
			return s
		}
	}
}

// paint draws a scene. The sortofclevr scenes are drawn as the
// reference's OpenCV calls draw them: a square covers the pixels center±h,
// a circle the pixels within h of the center (dx² + dy² ≤ h², what
// cv2.circle fills at a whole-pixel center; testdata/opencv_circles.json
// holds OpenCV's own pixels for every allowed h). The programs scenes
// use the generators' figures.
func (p *plan) paint(c *generators.Canvas, s *Scene) {
	c.Clear(color.RGBA{255, 255, 255, 255})
	for i := range s.Objects {
		o := &s.Objects[i]
		if p.cfg.Questions != "programs" {
			box := paintReference(c, o.Shape == "circle", int(o.Center[0]), int(o.Center[1]), p.cfg.HalfSize, colorRGB[o.Color], uint8(i+1))
			o.BBox = [4]int{box.Min.X, box.Min.Y, box.Max.X, box.Max.Y}
			continue
		}
		col, _ := p.pal.Color(o.Color)
		fig := generators.Figure{Color: col.RGB, CenterX: o.Center[0] + 0.5, CenterY: o.Center[1] + 0.5, SizePx: o.Size}
		fig.Shape, _ = generators.ParseShape(o.Shape)
		if o.Shape == "square" {
			fig.SizePx = o.Size * math.Sqrt2 // the square's side, not its circumcircle, spans the size
		}
		box := c.Paint(fig, uint8(i+1))
		o.BBox = [4]int{box.Min.X, box.Min.Y, box.Max.X, box.Max.Y}
	}
}

// paintReference fills a square (|dx|, |dy| ≤ h) or a circle (dx² + dy² ≤
// h²) around pixel (x, y) with col, writes m into the mask under it, and
// returns the tight box of the pixels inside the canvas.
func paintReference(c *generators.Canvas, circle bool, x, y, h int, col color.RGBA, m uint8) image.Rectangle {
	var box image.Rectangle
	b := c.Image.Bounds()
	for dy := -h; dy <= h; dy++ {
		half := h
		if circle {
			half = isqrt(h*h - dy*dy)
		}
		row := image.Rect(x-half, y+dy, x+half+1, y+dy+1).Intersect(b)
		if row.Empty() {
			continue
		}
		box = box.Union(row)
		ii, mi := c.Image.PixOffset(row.Min.X, row.Min.Y), c.Mask.PixOffset(row.Min.X, row.Min.Y)
		for range row.Dx() {
			c.Image.Pix[ii], c.Image.Pix[ii+1], c.Image.Pix[ii+2], c.Image.Pix[ii+3] = col.R, col.G, col.B, 255
			c.Mask.Pix[mi] = m
			ii, mi = ii+4, mi+1
		}
	}
	return box
}

// isqrt is ⌊√n⌋ for n ≥ 0.
func isqrt(n int) int {
	r := int(math.Sqrt(float64(n)))
	for r*r > n {
		r--
	}
	for (r+1)*(r+1) <= n {
		r++
	}
	return r
}

// Render draws sample key and asks its questions.
func (r *renderer) Render(key generators.SampleKey, rng *rand.Rand) (generators.Sample, error) {
	p := r.plan
	s := p.scene(rng)
	p.paint(r.canvas, s)
	ex := &Example{ID: key.ID(), Image: key.Path("images", "png"), Mask: key.Path("masks", "png"), Objects: s.Objects,
		Questions: make([]Question, 0, len(p.groups)*p.cfg.PerGroup)}
	e := p.newEnv(&r.env, s)
	var t table
	if p.cfg.Balance {
		r.table = p.answers(e, r.table)
		t = r.table
	}
	if r.asked == nil {
		r.asked = map[*Program]bool{}
	}
	clear(r.asked) // keeps its room for the next image's questions
	for _, g := range p.groups {
		var err error
		if ex.Questions, err = p.askGroup(ex.Questions, g, e, t, r.asked, rng); err != nil {
			return generators.Sample{}, fmt.Errorf("clevrlite: sample %s/%d: %w", key.Split, key.Index, err)
		}
	}
	var arr map[string]any
	if p.cfg.Questions != "programs" {
		arr = p.arrays(ex)
	}
	return generators.Sample{Record: ex, Arrays: arr, Files: []generators.File{
		{Field: "image", Path: ex.Image, Image: r.canvas.Image}, {Field: "mask", Path: ex.Mask, Image: r.canvas.Mask}}}, nil
}

// arrays is the npz form of a sample's scene and questions.
func (p *plan) arrays(ex *Example) map[string]any {
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
	texts, progs := make([]string, n), make([]string, n)
	for i, q := range ex.Questions {
		enc[i], ans[i] = q.Encoding, q.AnswerIndex
		typ[i] = slices.Index(p.groups, q.Type)
		fam[i] = indexOf(familyOrder, q.Family)
		texts[i], progs[i] = q.Text, q.Program
	}
	return map[string]any{"object_shapes": shapes, "object_centers": centers, "question_encodings": enc,
		"answers": ans, "question_types": typ, "question_families": fam, "question_texts": texts, "question_programs": progs}
}

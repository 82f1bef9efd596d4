package vae

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/models/latent"
	"github.com/hiddendim/hiddendim/scenes"
	"github.com/hiddendim/hiddendim/webpages"
)

// Split is a split read for the VAE and its latent-space analyses: the
// images, a class per image (what clustering and few-shot are scored
// against), the generator's factors, and, for relations and pages
// written with parts, the composites of latent arithmetic.
type Split struct {
	Images *models.Images
	// Class is each image's class index into ClassNames: "color shape"
	// for shapes, the predicate for relations, the menu for pages.
	Class      []int
	ClassNames []string
	// ShapeOf and ColorOf split shapes' classes (nil for the others).
	ShapeOf, ColorOf []int
	Factors          latent.Factors
	// Parts are the parts of the images drawn alone; nil when the dataset
	// has none.
	Parts *Parts
	// Background is one image of the empty canvas.
	Background  []float32
	SplitSHA256 string
}

// Parts are the parts of wholes, each drawn alone on the canvas: a
// relation's subject and object, a page's header, menu, container and
// footer. Composite k is whole image Whole[k]; Of[k][s] indexes its part
// in slot s in Images, or is −1 when it has none there; Labels[k][s] says
// what that part is, whatever the slot and wherever it is drawn (−1 for
// none): a relation's figure is shape·len(colors) + color; a page's part
// is 100·slot + its variant (the header's buttons, the container's rows,
// 0 for a menu or footer). Hard distractors are chosen by these labels
// (latent.HardDistractors).
type Parts struct {
	Images        *models.Images
	Whole         []int
	Of            [][]int
	Labels        [][]int
	Relation      []int
	SlotNames     []string
	RelationNames []string
}

func (p *Parts) add(whole, relation int, slots, labels []int) {
	p.Whole = append(p.Whole, whole)
	p.Relation = append(p.Relation, relation)
	p.Of = append(p.Of, slots)
	p.Labels = append(p.Labels, labels)
}

// factorBins is how finely continuous factors (size, position, rotation)
// are discretised for MIG and DCI.
const factorBins = 10

// adapter is how the VAE reads one generator's samples: their classes,
// factors and parts, and which of its configs it can read.
type adapter struct {
	// classes names the classes of a dataset generated with c.
	classes func(c *manifestConfig) []string
	// discrete and continuous name the factors add records, in this
	// order: discrete ones as indices into Factors.Values, continuous
	// ones as values into reading.cont, discretised into factorBins
	// once the split is read.
	discrete, continuous []string
	// canvas is the background when the config names none.
	canvas string
	// add reads one sample's class, factors and parts into d; the
	// sample's image is already appended.
	add func(d *Split, rec generators.Record, r *reading) error
	// parts reports whether samples generated with cfg have parts, the
	// data of latent arithmetic; nil for a generator that draws none.
	parts func(cfg generators.Config) bool
	// check refuses, naming the setting, a config whose samples the VAE
	// cannot read; nil accepts every config.
	check func(cfg generators.Config) error
	// metrics are the scores only this generator's splits yield, besides
	// every dataset's and arithmetic's.
	metrics []string
}

// adapters are the datasets the VAE reads, by generator name.
var adapters = map[string]adapter{
	"shapes": {
		classes: func(c *manifestConfig) []string {
			var names []string
			for _, s := range c.Colors {
				for _, sh := range c.Shapes {
					names = append(names, s+" "+sh)
				}
			}
			return names
		},
		discrete:   []string{"shape", "color"},
		continuous: []string{"size", "x", "y", "rotation"},
		add:        addShape,
		metrics:    append([]string{"kmeans_homogeneity_shape", "kmeans_homogeneity_color"}, walkMetrics("size", "x", "y")...),
	},
	"relations": {
		classes:  func(c *manifestConfig) []string { return c.Relations },
		discrete: []string{"relation", "subject_shape", "subject_color", "object_shape", "object_color"},
		add:      addRelation,
		parts: func(cfg generators.Config) bool {
			c, ok := cfg.(*scenes.RelationsConfig)
			return ok && c.Parts
		},
		check: func(cfg generators.Config) error {
			if c, ok := cfg.(*scenes.RelationsConfig); ok && c.SingleFraction != 0 {
				return bench.Fieldf("dataset.settings", "single_fraction %g: a sample of one figure holds no relation; the VAE reads relations generated with single_fraction 0", c.SingleFraction)
			}
			return nil
		},
	},
	"webpages": {
		classes:  func(*manifestConfig) []string { return []string{"no menu", "left menu", "right menu"} },
		discrete: []string{"menu", "footer", "rows", "header_buttons"},
		canvas:   "white",
		add:      addPage,
		parts: func(cfg generators.Config) bool {
			c, ok := cfg.(*webpages.Config)
			return ok && c.Parts
		},
	},
}

// Datasets lists, in name order, the generators whose datasets the VAE
// reads.
func Datasets() []string {
	names := make([]string, 0, len(adapters))
	for n := range adapters {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// manifestConfig is the part of a dataset's config the VAE reads.
type manifestConfig struct {
	ImageSize  int      `json:"image_size"`
	Background string   `json:"background"`
	Shapes     []string `json:"shapes"`
	Colors     []string `json:"colors"`
	Relations  []string `json:"relations"`
}

// reading is what an adapter's add needs besides the sample: the
// config, its names as indices, and the continuous factors so far.
type reading struct {
	cfg                    manifestConfig
	shape, color, relation map[string]int
	cont                   [][]float64
}

// LoadSplit reads a split of a dataset whose generator the VAE reads (see
// Datasets).
func LoadSplit(dir, split string) (*Split, error) {
	r, err := generators.Open(dir)
	if err != nil {
		return nil, err
	}
	ad, ok := adapters[r.Manifest.Dataset]
	if !ok {
		return nil, fmt.Errorf("vae: the VAE reads %s datasets; %s is %s", strings.Join(Datasets(), ", "), dir, r.Manifest.Dataset)
	}
	info, ok := r.Manifest.Splits[split]
	if !ok {
		return nil, fmt.Errorf("vae: %s has no split %q", dir, split)
	}
	rd := &reading{}
	if err := json.Unmarshal(r.Manifest.Config, &rd.cfg); err != nil {
		return nil, fmt.Errorf("vae: %s: config: %w", dir, err)
	}
	cfg := &rd.cfg
	if cfg.Background == "" {
		cfg.Background = ad.canvas
	}
	bg, err := generators.ParseColor(cfg.Background)
	if err != nil {
		return nil, fmt.Errorf("vae: %s: background: %w", dir, err)
	}
	n := cfg.ImageSize
	d := &Split{Images: &models.Images{Shape: [3]int{3, n, n}}, SplitSHA256: info.SHA256}
	d.Background = bench.AppendCHW(nil, uniform(n, bg.RGB))
	rd.shape, rd.color, rd.relation = indexOf(cfg.Shapes), indexOf(cfg.Colors), indexOf(cfg.Relations)
	sr, err := r.Split(split)
	if err != nil {
		return nil, err
	}
	defer sr.Close()
	d.ClassNames = ad.classes(cfg)
	d.Factors.Names = append(slices.Clone(ad.discrete), ad.continuous...)
	d.Factors.Values = make([][]int, len(ad.discrete))
	rd.cont = make([][]float64, len(ad.continuous))
	for sr.Next() {
		rec := sr.Record()
		img, err := rec.Image("image")
		if err != nil {
			return nil, err
		}
		d.Images.X = bench.AppendCHW(d.Images.X, img)
		if err := ad.add(d, rec, rd); err != nil {
			return nil, err
		}
	}
	if err := sr.Err(); err != nil {
		return nil, err
	}
	for _, c := range rd.cont {
		d.Factors.Values = append(d.Factors.Values, latent.Discretize(c, factorBins))
	}
	d.Factors = varying(d.Factors)
	if d.Images.Len() == 0 {
		return nil, fmt.Errorf("vae: %s split %q is empty", dir, split)
	}
	return d, nil
}

// addShape reads a shapes sample's class (color and shape) and factors.
func addShape(d *Split, rec generators.Record, r *reading) error {
	var ex generators.ShapesExample
	if err := rec.Decode(&ex); err != nil {
		return err
	}
	sh, co := r.shape[ex.Shape], r.color[ex.Color]
	d.Class = append(d.Class, co*len(r.cfg.Shapes)+sh)
	d.ShapeOf, d.ColorOf = append(d.ShapeOf, sh), append(d.ColorOf, co)
	d.Factors.Values[0] = append(d.Factors.Values[0], sh)
	d.Factors.Values[1] = append(d.Factors.Values[1], co)
	for k, v := range []float64{ex.Size, ex.Center[0], ex.Center[1], ex.Rotation} {
		r.cont[k] = append(r.cont[k], v)
	}
	return nil
}

// relationsRecord is the part of a relations sample the VAE reads.
type relationsRecord struct {
	Parts   []string `json:"parts"`
	Objects []struct {
		Shape string `json:"shape"`
		Color string `json:"color"`
	} `json:"objects"`
	Relations []struct {
		Subject   int    `json:"subject"`
		Predicate string `json:"predicate"`
		Object    int    `json:"object"`
	} `json:"relations"`
}

// addRelation reads a relations sample's class (its first relation's
// predicate), factors and parts.
func addRelation(d *Split, rec generators.Record, r *reading) error {
	var ex relationsRecord
	if err := rec.Decode(&ex); err != nil {
		return err
	}
	if len(ex.Relations) == 0 || len(ex.Objects) < 2 {
		return fmt.Errorf("vae: relations sample %d has no relation: generate with single_fraction=0 for the VAE", rec.Index)
	}
	colors := len(r.cfg.Colors)
	rel := ex.Relations[0]
	subj, obj := ex.Objects[rel.Subject], ex.Objects[rel.Object]
	ri := r.relation[rel.Predicate]
	d.Class = append(d.Class, ri)
	for k, v := range []int{ri, r.shape[subj.Shape], r.color[subj.Color], r.shape[obj.Shape], r.color[obj.Color]} {
		d.Factors.Values[k] = append(d.Factors.Values[k], v)
	}
	if len(ex.Parts) == 0 {
		return nil
	}
	if d.Parts == nil {
		if d.Images.Len() > 1 {
			return errors.New("vae: some relations samples have parts and some do not")
		}
		d.Parts = &Parts{Images: &models.Images{Shape: d.Images.Shape}, SlotNames: []string{"subject", "object"}, RelationNames: d.ClassNames}
	}
	slots := make([]int, 2)
	labels := []int{r.shape[subj.Shape]*colors + r.color[subj.Color], r.shape[obj.Shape]*colors + r.color[obj.Color]}
	for k, idx := range []int{rel.Subject, rel.Object} {
		img, err := rec.File(ex.Parts[idx])
		if err != nil {
			return err
		}
		slots[k] = d.Parts.Images.Len()
		d.Parts.Images.X = bench.AppendCHW(d.Parts.Images.X, img)
	}
	d.Parts.add(d.Images.Len()-1, ri, slots, labels)
	return nil
}

// pageSlots are a page's top-level parts, as VAE arithmetic slots.
var pageSlots = []string{"header", "menu-left", "menu-right", "container", "footer"}

// addPage reads a webpages sample's class (its menu), factors and parts.
func addPage(d *Split, rec generators.Record, _ *reading) error {
	var ex webpages.Example
	if err := rec.Decode(&ex); err != nil {
		return err
	}
	menu, footer, rows, buttons := 0, 0, 0, 0
	slotOf := func(e *webpages.Element) int {
		name := e.Kind
		if e.Kind == "menu" {
			name += "-" + e.Style
		}
		return slices.Index(pageSlots, name)
	}
	for _, part := range ex.Tree.Children {
		switch part.Kind {
		case "menu":
			menu = 1 + slices.Index([]string{"left", "right"}, part.Style)
		case "footer":
			footer = 1
		case "container":
			rows = len(part.Children)
		case "header":
			buttons = len(part.Children)
		}
	}
	d.Class = append(d.Class, menu)
	for k, v := range []int{menu, footer, rows, buttons} {
		d.Factors.Values[k] = append(d.Factors.Values[k], v)
	}
	if len(ex.Parts) == 0 {
		return nil
	}
	if d.Parts == nil {
		if d.Images.Len() > 1 {
			return errors.New("vae: some pages have parts and some do not")
		}
		d.Parts = &Parts{Images: &models.Images{Shape: d.Images.Shape}, SlotNames: pageSlots, RelationNames: []string{"page"}}
	}
	slots := []int{-1, -1, -1, -1, -1}
	labels := []int{-1, -1, -1, -1, -1}
	for k, part := range ex.Tree.Children {
		img, err := rec.File(ex.Parts[k])
		if err != nil {
			return err
		}
		s := slotOf(part)
		if s < 0 {
			return fmt.Errorf("vae: page %d has a top-level %s, not one of %v", rec.Index, part.Kind, pageSlots)
		}
		variant := 0
		if part.Kind == "header" || part.Kind == "container" {
			variant = len(part.Children)
		}
		slots[s], labels[s] = d.Parts.Images.Len(), 100*s+variant
		d.Parts.Images.X = bench.AppendCHW(d.Parts.Images.X, img)
	}
	d.Parts.add(d.Images.Len()-1, 0, slots, labels)
	return nil
}

func indexOf(names []string) map[string]int {
	m := map[string]int{}
	for i, n := range names {
		m[strings.ToLower(n)] = i
	}
	return m
}

func uniform(n int, c color.RGBA) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, n, n))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return img
}

// varying drops the factors that take one value (a config that fixes the
// size, say): they carry no information to disentangle.
func varying(f latent.Factors) latent.Factors {
	var out latent.Factors
	for j, v := range f.Values {
		if slices.Min(v) != slices.Max(v) {
			out.Names = append(out.Names, f.Names[j])
			out.Values = append(out.Values, v)
		}
	}
	return out
}

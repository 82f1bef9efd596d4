package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/models/latent"
	"github.com/hiddendim/hiddendim/webpages"
)

// VAEData is a split read for the VAE and its latent-space analyses: the
// images, a class per image (what clustering and few-shot are scored
// against), the generator's factors, and, for relations and pages
// written with parts, the composites of latent arithmetic.
type VAEData struct {
	Images *models.Images
	// Class is each image's class index into ClassNames: "color shape"
	// for shapes, the predicate for relations, the menu for pages.
	Class      []int
	ClassNames []string
	// ShapeOf and ColorOf split shapes' classes (nil for relations).
	ShapeOf, ColorOf []int
	Factors          latent.Factors
	// Parts are the parts of the images drawn alone; nil when the dataset
	// has none.
	Parts *VAEParts
	// Background is one image of the empty canvas.
	Background  []float32
	SplitSHA256 string
}

// VAEParts are the parts of wholes, each drawn alone on the canvas: a
// relation's subject and object, a page's header, menu, container and
// footer. Composite k is whole image Whole[k]; Of[k][s] indexes its part
// in slot s in Images, or is −1 when it has none there; Labels[k][s] says
// what that part is, whatever the slot and wherever it is drawn (−1 for
// none): a relation's figure is shape·len(colors) + color; a page's part
// is 100·slot + its variant (the header's buttons, the container's rows,
// 0 for a menu or footer). Hard distractors are chosen by these labels
// (latent.HardDistractors).
type VAEParts struct {
	Images        *models.Images
	Whole         []int
	Of            [][]int
	Labels        [][]int
	Relation      []int
	SlotNames     []string
	RelationNames []string
}

func (p *VAEParts) add(whole, relation int, slots, labels []int) {
	p.Whole = append(p.Whole, whole)
	p.Relation = append(p.Relation, relation)
	p.Of = append(p.Of, slots)
	p.Labels = append(p.Labels, labels)
}

// factorBins is how finely continuous factors (size, position, rotation)
// are discretised for MIG and DCI.
const factorBins = 10

// LoadVAEData reads a split of a shapes or relations dataset.
func LoadVAEData(dir, split string) (*VAEData, error) {
	r, err := generators.Open(dir)
	if err != nil {
		return nil, err
	}
	if r.Manifest.Dataset != "shapes" && r.Manifest.Dataset != "relations" && r.Manifest.Dataset != "webpages" {
		return nil, fmt.Errorf("bench: the VAE reads shapes, relations and webpages datasets; %s is %s", dir, r.Manifest.Dataset)
	}
	info, ok := r.Manifest.Splits[split]
	if !ok {
		return nil, fmt.Errorf("bench: %s has no split %q", dir, split)
	}
	var cfg struct {
		ImageSize  int      `json:"image_size"`
		Background string   `json:"background"`
		Shapes     []string `json:"shapes"`
		Colors     []string `json:"colors"`
		Relations  []string `json:"relations"`
	}
	if err := json.Unmarshal(r.Manifest.Config, &cfg); err != nil {
		return nil, fmt.Errorf("bench: %s: config: %w", dir, err)
	}
	if cfg.Background == "" {
		cfg.Background = "white" // pages
	}
	bg, err := generators.ParseColor(cfg.Background)
	if err != nil {
		return nil, fmt.Errorf("bench: %s: background: %w", dir, err)
	}
	n := cfg.ImageSize
	d := &VAEData{Images: &models.Images{Shape: [3]int{3, n, n}}, SplitSHA256: info.SHA256}
	d.Background = appendCHW(nil, uniform(n, bg.RGB))
	shapeIdx, colorIdx := indexOf(cfg.Shapes), indexOf(cfg.Colors)
	relIdx := indexOf(cfg.Relations)
	var cont [][]float64 // continuous factors, discretised at the end
	sr, err := r.Split(split)
	if err != nil {
		return nil, err
	}
	defer sr.Close()
	switch r.Manifest.Dataset {
	case "shapes":
		for _, s := range cfg.Colors {
			for _, sh := range cfg.Shapes {
				d.ClassNames = append(d.ClassNames, s+" "+sh)
			}
		}
		d.Factors.Names = []string{"shape", "color", "size", "x", "y", "rotation"}
		d.Factors.Values = make([][]int, 2)
		cont = make([][]float64, 4)
	case "relations":
		d.ClassNames = cfg.Relations
		d.Factors.Names = []string{"relation", "subject_shape", "subject_color", "object_shape", "object_color"}
		d.Factors.Values = make([][]int, 5)
	case "webpages":
		d.ClassNames = []string{"no menu", "left menu", "right menu"}
		d.Factors.Names = []string{"menu", "footer", "rows", "header_buttons"}
		d.Factors.Values = make([][]int, 4)
	}
	for sr.Next() {
		rec := sr.Record()
		img, err := rec.Image("image")
		if err != nil {
			return nil, err
		}
		d.Images.X = appendCHW(d.Images.X, img)
		switch r.Manifest.Dataset {
		case "shapes":
			var ex generators.ShapesExample
			if err := rec.Decode(&ex); err != nil {
				return nil, err
			}
			sh, co := shapeIdx[ex.Shape], colorIdx[ex.Color]
			d.Class = append(d.Class, co*len(cfg.Shapes)+sh)
			d.ShapeOf, d.ColorOf = append(d.ShapeOf, sh), append(d.ColorOf, co)
			d.Factors.Values[0] = append(d.Factors.Values[0], sh)
			d.Factors.Values[1] = append(d.Factors.Values[1], co)
			for k, v := range []float64{ex.Size, ex.Center[0], ex.Center[1], ex.Rotation} {
				cont[k] = append(cont[k], v)
			}
		case "relations":
			if err := d.addRelation(rec, relIdx, shapeIdx, colorIdx, len(cfg.Colors)); err != nil {
				return nil, err
			}
		case "webpages":
			if err := d.addPage(rec); err != nil {
				return nil, err
			}
		}
	}
	if err := sr.Err(); err != nil {
		return nil, err
	}
	for _, c := range cont {
		d.Factors.Values = append(d.Factors.Values, latent.Discretize(c, factorBins))
	}
	d.Factors = varying(d.Factors)
	if d.Images.Len() == 0 {
		return nil, fmt.Errorf("bench: %s split %q is empty", dir, split)
	}
	return d, nil
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

func (d *VAEData) addRelation(rec generators.Record, relIdx, shapeIdx, colorIdx map[string]int, colors int) error {
	var ex relationsRecord
	if err := rec.Decode(&ex); err != nil {
		return err
	}
	if len(ex.Relations) == 0 || len(ex.Objects) < 2 {
		return fmt.Errorf("bench: relations sample %d has no relation: generate with single_fraction=0 for the VAE", rec.Index)
	}
	rel := ex.Relations[0]
	subj, obj := ex.Objects[rel.Subject], ex.Objects[rel.Object]
	ri := relIdx[rel.Predicate]
	d.Class = append(d.Class, ri)
	for k, v := range []int{ri, shapeIdx[subj.Shape], colorIdx[subj.Color], shapeIdx[obj.Shape], colorIdx[obj.Color]} {
		d.Factors.Values[k] = append(d.Factors.Values[k], v)
	}
	if len(ex.Parts) == 0 {
		return nil
	}
	if d.Parts == nil {
		if d.Images.Len() > 1 {
			return errors.New("bench: some relations samples have parts and some do not")
		}
		d.Parts = &VAEParts{Images: &models.Images{Shape: d.Images.Shape}, SlotNames: []string{"subject", "object"}, RelationNames: d.ClassNames}
	}
	slots := make([]int, 2)
	labels := []int{shapeIdx[subj.Shape]*colors + colorIdx[subj.Color], shapeIdx[obj.Shape]*colors + colorIdx[obj.Color]}
	for k, idx := range []int{rel.Subject, rel.Object} {
		img, err := rec.File(ex.Parts[idx])
		if err != nil {
			return err
		}
		slots[k] = d.Parts.Images.Len()
		d.Parts.Images.X = appendCHW(d.Parts.Images.X, img)
	}
	d.Parts.add(d.Images.Len()-1, ri, slots, labels)
	return nil
}

// pageSlots are a page's top-level parts, as VAE arithmetic slots.
var pageSlots = []string{"header", "menu-left", "menu-right", "container", "footer"}

// addPage reads a webpages sample's class (its menu), factors and parts.
func (d *VAEData) addPage(rec generators.Record) error {
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
			return errors.New("bench: some pages have parts and some do not")
		}
		d.Parts = &VAEParts{Images: &models.Images{Shape: d.Images.Shape}, SlotNames: pageSlots, RelationNames: []string{"page"}}
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
			return fmt.Errorf("bench: page %d has a top-level %s, not one of %v", rec.Index, part.Kind, pageSlots)
		}
		variant := 0
		if part.Kind == "header" || part.Kind == "container" {
			variant = len(part.Children)
		}
		slots[s], labels[s] = d.Parts.Images.Len(), 100*s+variant
		d.Parts.Images.X = appendCHW(d.Parts.Images.X, img)
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

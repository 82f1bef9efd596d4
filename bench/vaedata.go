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
)

// VAEData is a split read for the VAE and its latent-space analyses: the
// images, a class per image (what clustering and few-shot are scored
// against), the generator's factors, and, for relations written with
// parts, the composites of latent arithmetic.
type VAEData struct {
	Images *models.Images
	// Class is each image's class index into ClassNames: "color shape"
	// for shapes, the predicate for relations.
	Class      []int
	ClassNames []string
	// ShapeOf and ColorOf split shapes' classes (nil for relations).
	ShapeOf, ColorOf []int
	Factors          latent.Factors
	// Parts[i] holds image i's parts, indexed like Parts.Images; nil
	// when the dataset has none.
	Parts *VAEParts
	// Background is one image of the empty canvas.
	Background  []float32
	SplitSHA256 string
}

// VAEParts are the relations' parts: for composite i, the images of its
// subject and object alone, and the relation between them.
type VAEParts struct {
	Subject, Object *models.Images
	// Composite[i] is the index of the whole image of part pair i.
	Composite     []int
	Relation      []int
	RelationNames []string
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
	if r.Manifest.Dataset != "shapes" && r.Manifest.Dataset != "relations" {
		return nil, fmt.Errorf("bench: the VAE reads shapes and relations datasets; %s is %s", dir, r.Manifest.Dataset)
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
			if err := d.addRelation(rec, relIdx, shapeIdx, colorIdx); err != nil {
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

func (d *VAEData) addRelation(rec generators.Record, relIdx, shapeIdx, colorIdx map[string]int) error {
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
		shape := d.Images.Shape
		d.Parts = &VAEParts{Subject: &models.Images{Shape: shape}, Object: &models.Images{Shape: shape}}
		d.Parts.RelationNames = d.ClassNames
	}
	for k, idx := range []int{rel.Subject, rel.Object} {
		img, err := rec.File(ex.Parts[idx])
		if err != nil {
			return err
		}
		im := []*models.Images{d.Parts.Subject, d.Parts.Object}[k]
		im.X = appendCHW(im.X, img)
	}
	d.Parts.Composite = append(d.Parts.Composite, d.Images.Len()-1)
	d.Parts.Relation = append(d.Parts.Relation, ri)
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

package structure

import (
	"encoding/json"
	"fmt"
	"image"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/webpages"
)

// Set is one split of a webpages dataset read for page structure: the
// screenshots, the class masks and the true trees, in the dataset's order.
type Set struct {
	// Pixels are the screenshots, N × 3×H×W channels first in [0, 1].
	Pixels []float32
	// Shape is the screenshots' 3, H, W.
	Shape [3]int
	// Masks are the class masks, N × H×W class ids (webpages.Class).
	Masks []uint8
	// Trees are the true page trees, with their classes set.
	Trees []*webpages.Element
	// Pix2Code are the pages in pix2code's DSL, "" where it cannot say
	// the page (a menu, a footer or an image).
	Pix2Code []string
	// SplitSHA256 is the split's content hash from the manifest.
	SplitSHA256 string
	// Config is the webpages config the pages were drawn with, from the
	// manifest; nil means unknown, and trees are then decoded without
	// the grammar's layout (see DecodePage).
	Config *webpages.Config
}

// Len is the number of pages.
func (s *Set) Len() int { return len(s.Trees) }

// plane is the number of pixels in one page.
func (s *Set) plane() int { return s.Shape[1] * s.Shape[2] }

// Mask returns page i's class mask as an image; it shares the set's
// pixels.
func (s *Set) Mask(i int) *image.Gray {
	return maskImage(s.Masks[i*s.plane():(i+1)*s.plane()], s.Shape[1], s.Shape[2])
}

// Screenshot returns page i's screenshot, rebuilt from its pixels (which
// hold the PNG's 8-bit values exactly).
func (s *Set) Screenshot(i int) image.Image {
	n := 3 * s.plane()
	return bench.CHWImage(s.Pixels[i*n:(i+1)*n], s.Shape)
}

// head returns the set's first n pages, sharing its slices.
func (s *Set) head(n int) *Set {
	n = min(n, s.Len())
	return &Set{Pixels: s.Pixels[:n*3*s.plane()], Shape: s.Shape, Masks: s.Masks[:n*s.plane()],
		Trees: s.Trees[:n], Pix2Code: s.Pix2Code[:n], SplitSHA256: s.SplitSHA256, Config: s.Config}
}

// maskImage wraps h×w class ids as a gray image.
func maskImage(ids []uint8, h, w int) *image.Gray {
	return &image.Gray{Pix: ids, Stride: w, Rect: image.Rect(0, 0, w, h)}
}

// OpenDataset opens a webpages dataset folder for page structure,
// refusing as a bench.MismatchError another dataset, the npz format, which
// keeps no trees, and splits it lacks.
func OpenDataset(dir string, splits ...string) (*generators.Reader, error) {
	r, err := generators.Open(dir)
	if err != nil {
		return nil, err
	}
	m := r.Manifest
	if m.Dataset != (webpages.Pages{}).Name() {
		return nil, bench.Mismatchf("structure: page structure is read from webpages datasets; %s is a %s dataset", dir, m.Dataset)
	}
	if !m.Format.Records() {
		return nil, bench.Mismatchf("structure: %s is in the %s format, which keeps no trees; generate it with --format png, tar or parquet", dir, m.Format)
	}
	if err := bench.CheckSplits(m, dir, splits...); err != nil {
		return nil, err
	}
	return r, nil
}

// LoadSet reads a split of the webpages dataset in dir, with the config
// its manifest records. Every page must be square and of one size, and
// its tree's classes must be webpages'; the config must be valid.
func LoadSet(dir, split string) (*Set, error) {
	r, err := OpenDataset(dir, split)
	if err != nil {
		return nil, err
	}
	sr, err := r.Split(split)
	if err != nil {
		return nil, err
	}
	defer sr.Close()
	cfg, err := pageConfig(r.Manifest)
	if err != nil {
		return nil, bench.Mismatchf("structure: %s: the manifest's webpages config: %v", dir, err)
	}
	s := &Set{SplitSHA256: r.Manifest.Splits[split].SHA256, Config: &cfg}
	for sr.Next() {
		rec := sr.Record()
		if err := s.appendRecord(rec); err != nil {
			return nil, fmt.Errorf("structure: %s/%s page %d: %w", dir, split, rec.Index, err)
		}
	}
	if err := sr.Err(); err != nil {
		return nil, err
	}
	if s.Len() == 0 {
		return nil, bench.Mismatchf("structure: %s/%s holds no pages", dir, split)
	}
	return s, nil
}

// appendRecord appends one page to s; on an error s may hold part of it,
// and is not used.
func (s *Set) appendRecord(rec generators.Record) error {
	var ex struct {
		Tree     *webpages.Element `json:"tree"`
		Pix2Code string            `json:"pix2code"`
	}
	if err := rec.Decode(&ex); err != nil {
		return err
	}
	if ex.Tree == nil {
		return fmt.Errorf("no tree")
	}
	if err := setClasses(ex.Tree); err != nil {
		return err
	}
	shot, err := rec.Image("image")
	if err != nil {
		return err
	}
	mask, err := rec.Image("class_mask")
	if err != nil {
		return err
	}
	b := shot.Bounds()
	if b.Dx() != b.Dy() || mask.Bounds().Size() != b.Size() {
		return fmt.Errorf("a %dx%d screenshot with a %dx%d class mask; pages are square, their masks of the same size",
			b.Dx(), b.Dy(), mask.Bounds().Dx(), mask.Bounds().Dy())
	}
	if s.Len() == 0 {
		s.Shape = [3]int{3, b.Dy(), b.Dx()}
	} else if b.Dx() != s.Shape[2] {
		return fmt.Errorf("a %d px page after %d px ones", b.Dx(), s.Shape[2])
	}
	start := len(s.Masks)
	s.Masks = appendGray(s.Masks, mask)
	for _, c := range s.Masks[start:] {
		if int(c) >= numClasses {
			return fmt.Errorf("class mask holds id %d; webpages has %d classes (0 to %d)", c, numClasses, numClasses-1)
		}
	}
	s.Pixels = bench.AppendCHW(s.Pixels, shot)
	s.Trees = append(s.Trees, ex.Tree)
	s.Pix2Code = append(s.Pix2Code, ex.Pix2Code)
	return nil
}

// numClasses is the number of webpages classes, the segmentation's
// output size.
var numClasses = len(webpages.ClassNames())

// setClasses sets every element's Class from its class name, which is
// all a tree read from JSON holds.
func setClasses(root *webpages.Element) error {
	names := webpages.ClassNames()
	var err error
	root.Walk(func(e *webpages.Element) {
		if e.Kind == "page" {
			e.Class = webpages.Background
			return
		}
		c := slices.Index(names, e.Kind)
		if c <= 0 && err == nil {
			err = fmt.Errorf("tree element %d has class %q; want page or one of %s", e.ID, e.Kind, strings.Join(names[1:], ", "))
		}
		e.Class = webpages.Class(max(c, 0))
	})
	return err
}

// appendGray appends an 8-bit image's values, row after row.
func appendGray(dst []uint8, img image.Image) []uint8 {
	b := img.Bounds()
	if g, ok := img.(*image.Gray); ok {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			dst = append(dst, g.Pix[g.PixOffset(b.Min.X, y):g.PixOffset(b.Max.X, y)]...)
		}
		return dst
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v, _, _, _ := img.At(x, y).RGBA()
			dst = append(dst, uint8(v>>8))
		}
	}
	return dst
}

// pageConfig reads a dataset's webpages config from its manifest and
// validates it.
func pageConfig(m *generators.Manifest) (webpages.Config, error) {
	var c webpages.Config
	if err := json.Unmarshal(m.Config, &c); err != nil {
		return c, err
	}
	return c, c.Validate()
}

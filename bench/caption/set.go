package caption

import (
	"encoding/json"
	"fmt"
	"image"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/scenes"
)

// CaptionSet is a split read for captioning: images, captions, and what
// attention is scored against — each sample's instance mask and objects.
// For webpages the captions are the pages in pix2code's DSL, and there are
// no masks or objects.
type CaptionSet struct {
	// Dataset names the generator the split came from ("relations",
	// "counting", "webpages"), and so which grammar and scores apply.
	Dataset string
	// Images hold the pictures; their Tokens are filled by Encode.
	Images   *models.CaptionData
	Captions []string
	// Masks hold each image's instance mask (0 background, k+1 object k).
	Masks [][]uint8
	// Objects hold each object's color and shape.
	Objects [][]scenes.Figure
	// Scenes hold each sample's scene graph, which caption_truth judges
	// generated captions against (relations and counting; nil for pages).
	Scenes []scenes.Scene
	// SplitSHA256 is the split's content hash, as the manifest records it.
	SplitSHA256 string
}

// LoadCaptionSet reads a split of a dataset captioning reads (see
// TrainsOn).
func LoadCaptionSet(dir, split string) (*CaptionSet, error) {
	r, err := generators.Open(dir)
	if err != nil {
		return nil, err
	}
	name := r.Manifest.Dataset
	a, ok := adapters[name]
	if !ok {
		return nil, fmt.Errorf("caption: captioning reads %s datasets; %s is %s", strings.Join(TrainsOn(), ", "), dir, name)
	}
	info, ok := r.Manifest.Splits[split]
	if !ok {
		return nil, fmt.Errorf("caption: %s has no split %q", dir, split)
	}
	var cfg struct {
		ImageSize int `json:"image_size"`
	}
	if err := json.Unmarshal(r.Manifest.Config, &cfg); err != nil {
		return nil, err
	}
	n := cfg.ImageSize
	s := &CaptionSet{Dataset: name, Images: &models.CaptionData{Shape: [3]int{3, n, n}}, SplitSHA256: info.SHA256}
	sr, err := r.Split(split)
	if err != nil {
		return nil, err
	}
	defer sr.Close()
	for sr.Next() {
		rec := sr.Record()
		smp, err := a.read(rec, n, dir)
		if err != nil {
			return nil, err
		}
		img, err := rec.Image("image")
		if err != nil {
			return nil, err
		}
		s.Images.X = bench.AppendCHW(s.Images.X, img)
		s.Captions = append(s.Captions, smp.caption)
		if a.scenes {
			s.Objects = append(s.Objects, smp.objects)
			s.Scenes = append(s.Scenes, smp.scene)
			s.Masks = append(s.Masks, smp.mask)
		}
	}
	if err := sr.Err(); err != nil {
		return nil, err
	}
	if len(s.Captions) == 0 {
		return nil, fmt.Errorf("caption: %s split %q is empty", dir, split)
	}
	return s, nil
}

// grayPix returns an 8-bit image's pixels, row after row.
func grayPix(img image.Image) []uint8 {
	if g, ok := img.(*image.Gray); ok && g.Stride == g.Rect.Dx() {
		return slices.Clone(g.Pix)
	}
	b := img.Bounds()
	out := make([]uint8, 0, b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			v, _, _, _ := img.At(x, y).RGBA()
			out = append(out, uint8(v>>8))
		}
	}
	return out
}

// Encode fills the token ids for a captioner of the given steps.
func (s *CaptionSet) Encode(v *Vocab, steps int) {
	s.Images.Tokens = s.Images.Tokens[:0]
	for _, c := range s.Captions {
		s.Images.Tokens = append(s.Images.Tokens, v.Encode(c, steps))
	}
}

// Len is the number of samples.
func (s *CaptionSet) Len() int { return len(s.Captions) }

// MaxWords is the longest caption in words.
func (s *CaptionSet) MaxWords() int {
	m := 0
	for _, c := range s.Captions {
		m = max(m, len(Tokenize(c)))
	}
	return m
}

// head returns the set's first n samples' captions and truth (the images
// are shared, whole).
func (s *CaptionSet) head(n int) *CaptionSet {
	sub := &CaptionSet{Dataset: s.Dataset, Images: s.Images, Captions: s.Captions[:n], SplitSHA256: s.SplitSHA256}
	if s.Masks != nil {
		sub.Masks = s.Masks[:n]
	}
	if s.Objects != nil {
		sub.Objects = s.Objects[:n]
	}
	if s.Scenes != nil {
		sub.Scenes = s.Scenes[:n]
	}
	return sub
}

package bench

import (
	"encoding/json"
	"fmt"
	"image"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/scenes"
)

// Vocab maps caption words to token ids; the first four are models.PadID,
// StartID, EndID and UnkID.
type Vocab struct {
	Words []string `json:"words"`
	index map[string]int
}

// Tokenize splits a caption into words; a comma is a word of its own.
func Tokenize(s string) []string { return strings.Fields(strings.ReplaceAll(s, ",", " ,")) }

// Detokenize joins words back into a caption.
func Detokenize(ws []string) string { return strings.ReplaceAll(strings.Join(ws, " "), " ,", ",") }

// BuildVocab collects the words of the captions, sorted.
func BuildVocab(captions []string) *Vocab {
	seen := map[string]bool{}
	var words []string
	for _, c := range captions {
		for _, w := range Tokenize(c) {
			if !seen[w] {
				seen[w] = true
				words = append(words, w)
			}
		}
	}
	slices.Sort(words)
	return NewVocab(append([]string{"<pad>", "<start>", "<end>", "<unk>"}, words...))
}

// NewVocab indexes a stored word list.
func NewVocab(words []string) *Vocab {
	v := &Vocab{Words: words, index: map[string]int{}}
	for i, w := range words {
		v.index[w] = i
	}
	return v
}

// Encode gives <start>, the caption's ids, <end>, then <pad> up to
// steps+1 tokens; captions longer than steps−1 words are cut.
func (v *Vocab) Encode(caption string, steps int) []int {
	ids := []int{models.StartID}
	for _, w := range Tokenize(caption) {
		if len(ids) == steps {
			break
		}
		id, ok := v.index[w]
		if !ok {
			id = models.UnkID
		}
		ids = append(ids, id)
	}
	ids = append(ids, models.EndID)
	for len(ids) < steps+1 {
		ids = append(ids, models.PadID)
	}
	return ids
}

// Words of token ids (without specials).
func (v *Vocab) String(ids []int) string {
	var ws []string
	for _, id := range ids {
		if id >= 0 && id < len(v.Words) && id > models.UnkID {
			ws = append(ws, v.Words[id])
		} else if id == models.UnkID {
			ws = append(ws, "<unk>")
		}
	}
	return Detokenize(ws)
}

// CaptionSet is a split read for captioning: images, captions, and what
// attention is scored against — each sample's instance mask and objects.
// For webpages the captions are the pages in pix2code's DSL, and there are
// no masks or objects.
type CaptionSet struct {
	// Kind is "relations", "counting" or "webpages": which grammar applies.
	Kind     string
	Images   *models.CaptionData // Tokens are filled by Encode
	Captions []string
	// Masks hold each image's instance mask (0 background, k+1 object k).
	Masks [][]uint8
	// Objects hold each object's color and shape.
	Objects [][]scenes.Figure
	// Scenes hold each sample's scene graph, which caption_truth judges
	// generated captions against (relations and counting; nil for pages).
	Scenes      []scenes.Scene
	SplitSHA256 string
}

// LoadCaptionSet reads a split of a relations or counting dataset.
func LoadCaptionSet(dir, split string) (*CaptionSet, error) {
	r, err := generators.Open(dir)
	if err != nil {
		return nil, err
	}
	kind := r.Manifest.Dataset
	if kind != "relations" && kind != "counting" && kind != "webpages" {
		return nil, fmt.Errorf("bench: captioning reads relations, counting and webpages datasets; %s is %s", dir, kind)
	}
	info, ok := r.Manifest.Splits[split]
	if !ok {
		return nil, fmt.Errorf("bench: %s has no split %q", dir, split)
	}
	var cfg struct {
		ImageSize int `json:"image_size"`
	}
	if err := json.Unmarshal(r.Manifest.Config, &cfg); err != nil {
		return nil, err
	}
	n := cfg.ImageSize
	s := &CaptionSet{Kind: kind, Images: &models.CaptionData{Shape: [3]int{3, n, n}}, SplitSHA256: info.SHA256}
	sr, err := r.Split(split)
	if err != nil {
		return nil, err
	}
	defer sr.Close()
	for sr.Next() {
		rec := sr.Record()
		var ex struct {
			Caption  string          `json:"caption"`
			Pix2Code *string         `json:"pix2code"`
			Objects  []scenes.Figure `json:"objects"`
		}
		if err := rec.Decode(&ex); err != nil {
			return nil, err
		}
		img, err := rec.Image("image")
		if err != nil {
			return nil, err
		}
		s.Images.X = appendCHW(s.Images.X, img)
		if kind == "webpages" {
			// A page's "caption" for screenshot-to-code is its pix2code.
			if ex.Pix2Code == nil || *ex.Pix2Code == "" {
				return nil, fmt.Errorf("bench: page %d of %s has no pix2code; generate with --set pix2code=true", rec.Index, dir)
			}
			s.Captions = append(s.Captions, *ex.Pix2Code)
			continue
		}
		mask, err := rec.Image("mask")
		if err != nil {
			return nil, err
		}
		scene, err := decodeScene(rec, kind, n)
		if err != nil {
			return nil, err
		}
		s.Captions = append(s.Captions, ex.Caption)
		s.Objects = append(s.Objects, ex.Objects)
		s.Scenes = append(s.Scenes, scene)
		s.Masks = append(s.Masks, grayPix(mask))
	}
	if err := sr.Err(); err != nil {
		return nil, err
	}
	if len(s.Captions) == 0 {
		return nil, fmt.Errorf("bench: %s split %q is empty", dir, split)
	}
	return s, nil
}

// decodeScene reads a relations or counting record's scene graph.
func decodeScene(rec generators.Record, kind string, imageSize int) (scenes.Scene, error) {
	if kind == "counting" {
		var ex scenes.CountingExample
		if err := rec.Decode(&ex); err != nil {
			return nil, err
		}
		return scenes.CountScene{Objects: ex.Objects, Relations: ex.Relations}, nil
	}
	var ex scenes.RelationsExample
	if err := rec.Decode(&ex); err != nil {
		return nil, err
	}
	return scenes.RelationScene{ImageSize: imageSize, Objects: ex.Objects}, nil
}

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

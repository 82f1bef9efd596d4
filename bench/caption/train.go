package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"

	"github.com/fogleman/gg"
	"golang.org/x/image/font/basicfont"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
)

// CaptionerKind is the checkpoint kind of captioners.
const CaptionerKind = "captioner"

// CaptionTrainOptions configure TrainCaptioner.
type CaptionTrainOptions struct {
	Training
	Arch string // AttentionArch or NoAttentionArch
	// Beam is the beam width the test split is scored with (1: greedy).
	Beam int
	// Lambda, when not negative, replaces the reference λ of the doubly
	// stochastic attention penalty.
	Lambda float64
	// Resume continues from Out/model.ckpt when it exists.
	Resume bool
}

// TrainCaptioner trains a captioner on a relations or counting dataset,
// saving a checkpoint (weights, config, vocabulary) after every epoch, and
// scores it on the test split (metrics.json) if there is one.
func TrainCaptioner(ctx context.Context, o CaptionTrainOptions) (map[string]float64, error) {
	r, err := generators.Open(o.Data)
	if err != nil {
		return nil, err
	}
	if err := checkTrainData(o.Arch, r.Manifest, o.Data); err != nil {
		return nil, err
	}
	if err := checkSplits(r.Manifest, o.Data, o.Train, o.Test); err != nil {
		return nil, err
	}
	train, err := LoadCaptionSet(o.Data, o.Train)
	if err != nil {
		return nil, err
	}
	c, vocab, err := NewCaptionerFor(train, o.Arch, o.Seed, o.Lambda)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	train.Encode(vocab, c.Config.Steps)
	meta := CaptionerMeta{Model: c.Config, Words: vocab.Words, Dataset: train.Kind, Budget: o.Budget}
	secs, err := o.fit(ctx, CaptionerKind, meta, c, train.Len(), func(int) models.Feeder { return c.Feeder(train.Images) }, o.Resume)
	if err != nil {
		return nil, err
	}
	if o.Test == "" {
		return nil, nil
	}
	test, err := LoadCaptionSet(o.Data, o.Test)
	if err != nil {
		return nil, err
	}
	gen, err := GenerateCaptions(c, vocab, test, nil, max(o.Beam, 1))
	if err != nil {
		return nil, err
	}
	gh, gw := c.Grid()
	scores := CaptionScores(test, gen, gh, gw)
	b, _ := json.MarshalIndent(map[string]any{"metrics": scores, "beam": max(o.Beam, 1), "train_seconds": secs, "split": o.Test, "model": meta}, "", "  ")
	return scores, os.WriteFile(filepath.Join(o.Out, "metrics.json"), append(b, '\n'), 0o644)
}

// LoadCaptioner rebuilds a captioner and its vocabulary from a checkpoint.
func LoadCaptioner(path string) (*models.Captioner, *Vocab, error) {
	c, vocab, _, err := loadCaptioner(path)
	return c, vocab, err
}

func loadCaptioner(path string) (*models.Captioner, *Vocab, CaptionerMeta, error) {
	var meta CaptionerMeta
	ck, err := models.LoadCheckpoint(path)
	if err != nil {
		return nil, nil, meta, err
	}
	if ck.Kind != CaptionerKind {
		return nil, nil, meta, mismatchf("bench: %s holds a %s, not a captioner (train attention or no-attention makes one)", path, ck.Kind)
	}
	if err := json.Unmarshal(ck.Config, &meta); err != nil {
		return nil, nil, meta, fmt.Errorf("bench: %s: %w", path, err)
	}
	c, err := models.NewCaptioner(meta.Model)
	if err != nil {
		return nil, nil, meta, err
	}
	if _, err := ck.Restore(c.Params()); err != nil {
		c.Close()
		return nil, nil, meta, err
	}
	return c, NewVocab(meta.Words), meta, nil
}

// CaptionPictures writes, for the first n samples of a split, one strip
// per sample (caption_<i>.png): the image with the true and generated
// captions, then one attention overlay per generated word (the grid's
// weights upsampled over the image as a yellow heat map). It returns the
// files written and the scores over those n samples.
func CaptionPictures(checkpoint, data, split, out string, n, beam int) ([]string, map[string]float64, error) {
	c, vocab, meta, err := loadCaptioner(checkpoint)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	r, err := generators.Open(data)
	if err != nil {
		return nil, nil, err
	}
	if r.Manifest.Dataset != meta.Dataset {
		return nil, nil, mismatchf("bench: %s was trained on %s captions; %s is a %s dataset", checkpoint, meta.Dataset, data, r.Manifest.Dataset)
	}
	if err := checkSplits(r.Manifest, data, split); err != nil {
		return nil, nil, err
	}
	set, err := LoadCaptionSet(data, split)
	if err != nil {
		return nil, nil, err
	}
	if set.Images.Shape != meta.Model.Input {
		return nil, nil, mismatchf("bench: %s images are %v, the captioner takes %v", data, set.Images.Shape, meta.Model.Input)
	}
	n = min(n, set.Len())
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	gen, err := GenerateCaptions(c, vocab, set, idx, beam)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, nil, fmt.Errorf("bench: %w", err)
	}
	gh, gw := c.Grid()
	var files []string
	for i, g := range gen {
		p := filepath.Join(out, fmt.Sprintf("caption_%d.png", i))
		if err := captionStrip(p, set, i, g, gh, gw); err != nil {
			return files, nil, err
		}
		files = append(files, p)
	}
	// Pages have no masks, objects or scene graphs: only scenes' sets are cut to n.
	sub := &CaptionSet{Kind: set.Kind, Images: set.Images, Captions: set.Captions[:n]}
	if set.Masks != nil {
		sub.Masks = set.Masks[:n]
	}
	if set.Objects != nil {
		sub.Objects = set.Objects[:n]
	}
	if set.Scenes != nil {
		sub.Scenes = set.Scenes[:n]
	}
	return files, CaptionScores(sub, gen, gh, gw), nil
}

func captionStrip(path string, set *CaptionSet, i int, g Generated, gh, gw int) error {
	const scale, pad, text = 3, 6, 16
	shape := set.Images.Shape
	w, h := shape[2]*scale, shape[1]*scale
	cols := 1 + len(g.Words)
	dc := gg.NewContext(pad+cols*(w+pad), pad+2*text+h+text+pad)
	dc.SetRGB(0.12, 0.12, 0.12)
	dc.Clear()
	dc.SetFontFace(basicfont.Face7x13)
	dc.SetColor(color.White)
	dc.DrawString("truth:     "+set.Captions[i], pad, pad+11)
	dc.DrawString("generated: "+Detokenize(g.Words), pad, pad+text+11)
	y := pad + 2*text
	base := bench.CHWImage(set.Images.Image(i), shape)
	dc.DrawImage(bench.Upscale(base, scale), pad, y)
	dc.DrawString("image", pad, float64(y+h+12))
	for k, word := range g.Words {
		x := pad + (k+1)*(w+pad)
		if k < len(g.Alphas) {
			dc.DrawImage(bench.Upscale(overlay(base, g.Alphas[k], gh, gw), scale), x, y)
		} else {
			dc.DrawImage(bench.Upscale(base, scale), x, y)
		}
		dc.DrawString(word, float64(x), float64(y+h+12))
	}
	return dc.SavePNG(path)
}

// overlay dims the image where attention is low and lays a yellow heat
// map over it where attention is high: each pixel takes its grid cell's
// weight, scaled by the largest weight.
func overlay(img image.Image, alpha []float32, gh, gw int) image.Image {
	b := img.Bounds()
	var peak float32
	for _, a := range alpha {
		peak = max(peak, a)
	}
	out := image.NewRGBA(b)
	for y := range b.Dy() {
		for x := range b.Dx() {
			a := float64(alpha[(y*gh/b.Dy())*gw+x*gw/b.Dx()] / max(peak, 1e-9))
			r, g, bl, _ := img.At(x, y).RGBA()
			f := 0.3 + 0.4*a
			heat := 150 * a
			out.Set(x, y, color.RGBA{uint8(min(255, f*float64(r>>8)+heat)), uint8(min(255, f*float64(g>>8)+heat)), uint8(f * float64(bl>>8)), 255})
		}
	}
	return out
}

package caption

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"github.com/fogleman/gg"
	"golang.org/x/image/font/basicfont"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
)

// CheckpointKind is the checkpoint kind of captioners.
const CheckpointKind = "captioner"

// TrainOptions configure Train.
type TrainOptions struct {
	bench.Training
	// Arch is the captioner's architecture.
	Arch Arch
	// Beam is the beam width the test split is scored with (1: greedy).
	Beam int
	// Grammar scores the test split decoded under the captions' grammar
	// (pages only; see GenerateOptions).
	Grammar bool
	// Lambda, when not negative, replaces the reference λ of the doubly
	// stochastic attention penalty.
	Lambda float64
	// Resume continues from Out/model.ckpt when it exists.
	Resume bool
}

// Meta is what a captioner checkpoint records besides the weights.
type Meta struct {
	// Model is the captioner's configuration, its seed and λ included.
	Model models.CaptionerConfig `json:"model"`
	// Words is the vocabulary (see Vocab).
	Words []string `json:"vocab"`
	// Dataset names the generator of the captions it was trained on.
	Dataset string `json:"dataset"`
	// Budget is the training budget; a resumed run may only add epochs.
	Budget bench.Budget `json:"budget"`
}

// Train trains a captioner on a dataset captioning reads (see TrainsOn),
// saving a checkpoint (weights, config, vocabulary) after every epoch, and
// scores it on the test split (metrics.json) if there is one.
func Train(ctx context.Context, o TrainOptions) (map[string]float64, error) {
	if !o.Arch.valid() {
		return nil, fmt.Errorf("caption: unknown captioner %v; known: %s", o.Arch, knownArchs())
	}
	r, err := generators.Open(o.Data)
	if err != nil {
		return nil, err
	}
	a, ok := adapters[r.Manifest.Dataset]
	if !ok {
		return nil, bench.Mismatchf("caption: %s trains on %s datasets; %s is a %s dataset", o.Arch, strings.Join(TrainsOn(), ", "), o.Data, r.Manifest.Dataset)
	}
	if o.Grammar && a.grammar == nil {
		return nil, bench.Mismatchf("caption: --grammar constrains decoding to pix2code's grammar, which only webpages captions have; %s is a %s dataset", o.Data, r.Manifest.Dataset)
	}
	if err := bench.CheckSplits(r.Manifest, o.Data, o.Train, o.Test); err != nil {
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
	meta := Meta{Model: c.Config, Words: vocab.Words, Dataset: train.Dataset, Budget: o.Budget}
	secs, err := o.Fit(ctx, CheckpointKind, meta, c, train.Len(), func(int) models.Feeder { return c.Feeder(train.Images) }, o.Resume)
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
	gen, err := GenerateCaptionsWith(c, vocab, test, nil, GenerateOptions{Beam: o.Beam, Grammar: o.Grammar})
	if err != nil {
		return nil, err
	}
	gh, gw := c.Grid()
	scores := CaptionScores(test, gen, gh, gw)
	b, _ := json.MarshalIndent(map[string]any{"metrics": scores, "beam": max(o.Beam, 1), "grammar": o.Grammar, "train_seconds": secs, "split": o.Test, "model": meta}, "", "  ")
	return scores, os.WriteFile(filepath.Join(o.Out, "metrics.json"), append(b, '\n'), 0o644)
}

// Load rebuilds a captioner and its vocabulary from a checkpoint.
func Load(path string) (*models.Captioner, *Vocab, error) {
	c, vocab, _, err := load(path)
	return c, vocab, err
}

func load(path string) (*models.Captioner, *Vocab, Meta, error) {
	var meta Meta
	ck, err := bench.LoadCheckpoint(path, CheckpointKind, "train attention or no-attention", &meta)
	if err != nil {
		return nil, nil, meta, err
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

// Pictures writes, for the first n samples of a split, one strip per
// sample (caption_<i>.png): the image with the true and generated
// captions, then one attention overlay per generated word (the grid's
// weights upsampled over the image as a yellow heat map). It returns the
// files written and the scores over those n samples, decoded as o says.
func Pictures(checkpoint, data, split, out string, n int, o GenerateOptions) ([]string, map[string]float64, error) {
	c, vocab, meta, err := load(checkpoint)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	r, err := generators.Open(data)
	if err != nil {
		return nil, nil, err
	}
	if r.Manifest.Dataset != meta.Dataset {
		return nil, nil, bench.Mismatchf("caption: %s was trained on %s captions; %s is a %s dataset", checkpoint, meta.Dataset, data, r.Manifest.Dataset)
	}
	if o.Grammar && adapters[meta.Dataset].grammar == nil {
		return nil, nil, bench.Mismatchf("caption: --grammar constrains decoding to pix2code's grammar, which only webpages captions have; %s is a %s captioner", checkpoint, meta.Dataset)
	}
	if err := bench.CheckSplits(r.Manifest, data, split); err != nil {
		return nil, nil, err
	}
	set, err := LoadCaptionSet(data, split)
	if err != nil {
		return nil, nil, err
	}
	if set.Images.Shape != meta.Model.Input {
		return nil, nil, bench.Mismatchf("caption: %s images are %v, the captioner takes %v", data, set.Images.Shape, meta.Model.Input)
	}
	n = min(n, set.Len())
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	gen, err := GenerateCaptionsWith(c, vocab, set, idx, o)
	if err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, nil, fmt.Errorf("caption: %w", err)
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
	return files, CaptionScores(set.head(n), gen, gh, gw), nil
}

// stripsPerRun is how many test samples a bench run draws a caption
// strip of.
const stripsPerRun = 4

// writeStrips draws the first test samples' caption strips
// (caption_<i>.png, as `hiddendim caption` does) into dir.
func writeStrips(dir string, set *CaptionSet, gen []Generated, gh, gw int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := range min(stripsPerRun, len(gen)) {
		if err := captionStrip(filepath.Join(dir, fmt.Sprintf("caption_%d.png", i)), set, i, gen[i], gh, gw); err != nil {
			return err
		}
	}
	return nil
}

// captionStrip draws sample i of set and its generated caption g, one
// attention overlay per word, into a PNG at path.
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

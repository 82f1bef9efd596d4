package classify

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
)

// adapter is what classification knows of one dataset beyond its
// manifest: every dataset with an image and label features trains
// classifiers, whether it has an adapter or not.
type adapter struct {
	// holdout reports whether a config of the dataset holds combinations
	// out of training, which heldout_subset_accuracy scores.
	holdout func(generators.Config) bool
}

// adapters are the datasets classification knows more of, by generator
// name: the one table of per-dataset behaviour.
var adapters = map[string]adapter{
	"shapes": {holdout: func(c generators.Config) bool {
		cfg, ok := c.(*generators.ShapesConfig)
		return ok && len(cfg.Holdout) > 0
	}},
}

// hasHoldout reports whether the dataset generator with config cfg holds
// label combinations out of training.
func hasHoldout(generator string, cfg generators.Config) bool {
	a, ok := adapters[generator]
	return ok && a.holdout != nil && a.holdout(cfg)
}

// LabeledImages is a split read for classification.
type LabeledImages struct {
	// Examples are the images, channels first in [0, 1], and each one's
	// class index of every label asked for.
	Examples *models.Examples
	// Classes[h] is label h's vocabulary.
	Classes [][]string
	// Heldout marks samples of held-out combinations; nil if the dataset has none.
	Heldout []bool
	// SplitSHA256 is the split's content hash from the manifest.
	SplitSHA256 string
}

// LoadLabeledImages reads a split's images (scaled to [0, 1], channels
// first) and the named label features as class indices. A label the
// dataset does not have is a bench.MismatchError naming its labels.
func LoadLabeledImages(dir, split string, labels []string) (*LabeledImages, error) {
	r, err := generators.Open(dir)
	if err != nil {
		return nil, err
	}
	var imgFeat *generators.Feature
	for i, f := range r.Manifest.Features {
		if f.Kind == generators.ImageFeature {
			imgFeat = &r.Manifest.Features[i]
			break
		}
	}
	if imgFeat == nil {
		return nil, errors.New("classify: dataset has no image feature")
	}
	if err := bench.CheckSplits(r.Manifest, dir, split); err != nil {
		return nil, err
	}
	out := &LabeledImages{SplitSHA256: r.Manifest.Splits[split].SHA256}
	index := make([]map[string]int, len(labels))
	for h, name := range labels {
		f, ok := r.Feature(name)
		if !ok || f.Kind != generators.LabelFeature {
			known := "none"
			if l := bench.LabelNames(r.Manifest); len(l) > 0 {
				known = strings.Join(l, ", ")
			}
			return nil, bench.Mismatchf("classify: %s (%s) has no label %q; its labels: %s", dir, r.Manifest.Dataset, name, known)
		}
		out.Classes = append(out.Classes, f.Vocab)
		index[h] = map[string]int{}
		for i, v := range f.Vocab {
			index[h][v] = i
		}
	}
	_, hasHeldout := r.Feature("heldout")
	sr, err := r.Split(split)
	if err != nil {
		return nil, err
	}
	defer sr.Close()
	H, W := imgFeat.Shape[0], imgFeat.Shape[1]
	ex := &models.Examples{Shape: [3]int{3, H, W}, X: make([]float32, 0, sr.Len()*3*H*W)}
	for sr.Next() {
		rec := sr.Record()
		var fields map[string]any
		if err := rec.Decode(&fields); err != nil {
			return nil, err
		}
		lab := make([]int, len(labels))
		for h, name := range labels {
			v, _ := fields[name].(string)
			i, ok := index[h][v]
			if !ok {
				return nil, fmt.Errorf("classify: sample %d: %s %q is not in the vocabulary", rec.Index, name, v)
			}
			lab[h] = i
		}
		ex.Labels = append(ex.Labels, lab)
		if hasHeldout {
			b, _ := fields["heldout"].(bool)
			out.Heldout = append(out.Heldout, b)
		}
		img, err := rec.Image(imgFeat.Name)
		if err != nil {
			return nil, err
		}
		ex.X = bench.AppendCHW(ex.X, img)
	}
	if err := sr.Err(); err != nil {
		return nil, err
	}
	out.Examples = ex
	return out, nil
}

// taskData is a task's train and test splits: the bench.Data of Load.
type taskData struct {
	trainSplit, testSplit string
	train, test           *LabeledImages
}

// SplitHashes maps the train and test split names to their content
// hashes.
func (d *taskData) SplitHashes() map[string]string {
	return map[string]string{d.trainSplit: d.train.SplitSHA256, d.testSplit: d.test.SplitSHA256}
}

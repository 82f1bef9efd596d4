package classify

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
)

var _ bench.Kind = Kind{}

// CheckpointKind is the kind a classifier checkpoint records.
const CheckpointKind = "classifier"

// Archs lists the classifier architectures, in the order the command line
// lists them.
var Archs = []models.ClassifierArch{models.MultiLabel, models.Combo, models.PerLabel}

// ParseArch returns the architecture named name ("multilabel", "combo",
// "perlabel") and whether there is one.
func ParseArch(name string) (models.ClassifierArch, bool) {
	a, err := models.ParseClassifierArch(name)
	return a, err == nil
}

// archList names the architectures: "multilabel, combo or perlabel".
func archList() string {
	names := make([]string, len(Archs))
	for i, a := range Archs {
		names[i] = a.String()
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Meta is what a classifier checkpoint records besides the weights: the
// model, the label names and vocabularies it predicts, and the data it was
// trained on.
type Meta struct {
	// Model is the classifier's full configuration.
	Model models.ClassifierConfig `json:"model"`
	// Labels are the label features it predicts, one head each.
	Labels []string `json:"labels"`
	// Classes[h] is label h's vocabulary, in class-index order.
	Classes [][]string `json:"classes"`
	// Dataset is the training data's generator@version.
	Dataset string `json:"dataset"`
	// Budget is the training budget; resuming may raise its epochs only.
	Budget bench.Budget `json:"budget"`
}

// TrainOptions configure Train.
type TrainOptions struct {
	bench.Training
	// Arch is models.MultiLabel, Combo or PerLabel.
	Arch models.ClassifierArch
	// Labels to predict; nil means every label feature of the dataset.
	Labels []string
	// Resume continues from Out/model.ckpt when it exists (see
	// bench.Training.Fit).
	Resume bool
}

// Train trains one reference-sized classifier outside the suites, saving a
// checkpoint after every epoch (so an interrupted run loses at most one),
// and scores it on the test split if there is one, writing the scores to
// Out/metrics.json. A dataset without label features is a
// bench.MismatchError.
func Train(ctx context.Context, o TrainOptions) (map[string]bench.Metric, error) {
	r, err := generators.Open(o.Data)
	if err != nil {
		return nil, err
	}
	have := bench.LabelNames(r.Manifest)
	if len(have) == 0 {
		return nil, bench.Mismatchf("classify: classifiers train on datasets with label features; %s is a %s dataset, which has none", o.Data, r.Manifest.Dataset)
	}
	if o.Labels == nil {
		o.Labels = have
	}
	if err := bench.CheckSplits(r.Manifest, o.Data, o.Train, o.Test); err != nil {
		return nil, err
	}
	if len(o.Labels) == 0 {
		return nil, bench.Mismatchf("classify: no labels to predict; %s has %s", o.Data, strings.Join(have, ", "))
	}
	train, err := LoadLabeledImages(o.Data, o.Train, o.Labels)
	if err != nil {
		return nil, err
	}
	var heads []int
	for _, c := range train.Classes {
		heads = append(heads, len(c))
	}
	meta := Meta{
		Model:  models.ClassifierConfig{Arch: o.Arch, Input: train.Examples.Shape, Heads: heads, Conv: reference.Conv, Hidden: reference.Hidden, Seed: o.Seed},
		Labels: o.Labels, Classes: train.Classes, Dataset: r.Manifest.Dataset + "@" + r.Manifest.Version, Budget: o.Budget,
	}
	c, err := models.NewClassifier(meta.Model)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	secs, err := o.Fit(ctx, CheckpointKind, meta, c, train.Examples.Len(), func(int) models.Feeder { return c.Feeder(train.Examples) }, o.Resume)
	if err != nil {
		return nil, err
	}
	if o.Test == "" {
		return nil, nil
	}
	scores, err := evaluate(c, meta, o.Data, o.Test, o.Seed)
	if err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(map[string]any{"metrics": scores, "train_seconds": secs, "split": o.Test, "model": meta}, "", "  ")
	return scores, os.WriteFile(filepath.Join(o.Out, "metrics.json"), append(b, '\n'), 0o644)
}

// Load rebuilds a classifier from its checkpoint. A checkpoint of another
// kind is a bench.MismatchError.
func Load(path string) (*models.Classifier, Meta, error) {
	var meta Meta
	ck, err := bench.LoadCheckpoint(path, CheckpointKind, "train "+archList(), &meta)
	if err != nil {
		return nil, meta, err
	}
	c, err := models.NewClassifier(meta.Model)
	if err != nil {
		return nil, meta, err
	}
	if _, err := ck.Restore(c.Params()); err != nil {
		c.Close()
		return nil, meta, err
	}
	return c, meta, nil
}

// Evaluate scores a classifier checkpoint on a split of a dataset. Images
// of another size, or labels with other values, than the classifier was
// trained on are a bench.MismatchError.
func Evaluate(checkpoint, data, split string) (map[string]bench.Metric, error) {
	c, meta, err := Load(checkpoint)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return evaluate(c, meta, data, split, meta.Model.Seed)
}

// evaluate scores c on a split; its scores include "params".
func evaluate(c *models.Classifier, meta Meta, data, split string, seed uint64) (map[string]bench.Metric, error) {
	test, err := LoadLabeledImages(data, split, meta.Labels)
	if err != nil {
		return nil, err
	}
	if err := fits(meta, data, test); err != nil {
		return nil, err
	}
	pred, err := c.PredictLabels(test.Examples, 256)
	if err != nil {
		return nil, err
	}
	scores := ClassificationScores(meta.Labels, meta.Model.Heads, test.Examples.Labels, pred, test.Heldout, seed)
	scores["params"] = bench.Exact(float64(models.Count(c.Params())))
	return scores, nil
}

// fits refuses, as a bench.MismatchError, images of another size or
// labels with other values than the classifier was trained on.
func fits(meta Meta, data string, d *LabeledImages) error {
	for h := range meta.Classes {
		if !slices.Equal(d.Classes[h], meta.Classes[h]) {
			return bench.Mismatchf("classify: label %s has values %v in %s, the model was trained on %v", meta.Labels[h], d.Classes[h], data, meta.Classes[h])
		}
	}
	if d.Examples.Shape != meta.Model.Input {
		return bench.Mismatchf("classify: %s images are %v, the model takes %v", data, d.Examples.Shape, meta.Model.Input)
	}
	return nil
}

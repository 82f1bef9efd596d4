package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
)

// ClassifierMeta is what a classifier checkpoint records besides the
// weights: the model, the label names and vocabularies it predicts, and
// the data it was trained on.
type ClassifierMeta struct {
	Model   models.ClassifierConfig `json:"model"`
	Labels  []string                `json:"labels"`
	Classes [][]string              `json:"classes"`
	Dataset string                  `json:"dataset"` // generator@version
	Budget  Budget                  `json:"budget"`
}

// Training is what every training run outside the suites needs: where its data
// and results are, its budget and seed, and its progress hooks.
type Training struct {
	Data string // dataset folder
	Out  string // folder for model.ckpt and metrics.json
	// Train and Test are split names; Test "" skips scoring.
	Train, Test string
	Budget      Budget
	Seed        uint64
	// Overwrite lets a run without resume replace a checkpoint in Out.
	Overwrite bool
	// OnStep and OnEpoch report progress.
	OnStep  func(step, total int, loss float64)
	OnEpoch func(epoch int, loss float64)
}

// TrainOptions configure TrainClassifier.
type TrainOptions struct {
	Training
	// Arch is models.MultiLabel, Combo or PerLabel.
	Arch string
	// Labels to predict; nil means every label feature of the dataset.
	Labels []string
	// Resume continues from Out/model.ckpt when it exists (see Training.fit).
	Resume bool
}

// CheckpointFile is the checkpoint's name in a training folder.
const CheckpointFile = "model.ckpt"

// TrainClassifier trains one classifier outside the suites, saving a
// checkpoint after every epoch (so an interrupted run loses at most one),
// and scores it on the test split if there is one.
func TrainClassifier(ctx context.Context, o TrainOptions) (map[string]Metric, error) {
	r, err := generators.Open(o.Data)
	if err != nil {
		return nil, err
	}
	if o.Labels == nil {
		for _, f := range r.Manifest.Features {
			if f.Kind == generators.LabelFeature {
				o.Labels = append(o.Labels, f.Name)
			}
		}
	}
	if err := checkTrainData(o.Arch, r.Manifest, o.Data); err != nil {
		return nil, err
	}
	if err := checkSplits(r.Manifest, o.Data, o.Train, o.Test); err != nil {
		return nil, err
	}
	if len(o.Labels) == 0 {
		return nil, mismatchf("bench: %s has no label features to classify", o.Data)
	}
	train, err := LoadLabeledImages(o.Data, o.Train, o.Labels)
	if err != nil {
		return nil, err
	}
	var heads []int
	for _, c := range train.Classes {
		heads = append(heads, len(c))
	}
	meta := ClassifierMeta{
		Model:  models.ClassifierConfig{Arch: o.Arch, Input: train.Examples.Shape, Heads: heads, Conv: reference.Conv, Hidden: reference.Hidden, Seed: o.Seed},
		Labels: o.Labels, Classes: train.Classes, Dataset: r.Manifest.Dataset + "@" + r.Manifest.Version, Budget: o.Budget,
	}
	c, err := models.NewClassifier(meta.Model)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	secs, err := o.fit(ctx, "classifier", meta, c, train.Examples.Len(), func(int) models.Feeder { return c.Feeder(train.Examples) }, o.Resume)
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

// ErrCheckpointExists is wrapped when a training run would replace a
// checkpoint without being told to resume from it or overwrite it.
var ErrCheckpointExists = errors.New("already holds a checkpoint")

// fit trains model on n examples with the run's budget, saving a
// checkpoint of kind with meta into Out after every epoch. With resume it
// continues from the checkpoint there (see resumeFrom); without, a
// checkpoint there is an error unless Overwrite, which removes it and the
// old metrics.json first. feed gets the steps already made (so a resumed
// VAE's noise continues where it stopped). It returns the training seconds.
func (o Training) fit(ctx context.Context, kind string, meta any, model models.Model, n int, feed func(start int) models.Feeder, resume bool) (float64, error) {
	if resume && o.Overwrite {
		return 0, mismatchf("bench: resume or overwrite, not both")
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	ckpt := filepath.Join(o.Out, CheckpointFile)
	_, statErr := os.Stat(ckpt)
	exists := statErr == nil
	var st *models.State
	switch {
	case exists && resume:
		var err error
		if st, err = resumeFrom(ckpt, kind, meta, o.Budget, model.Params()); err != nil {
			return 0, err
		}
	case exists && !o.Overwrite:
		return 0, fmt.Errorf("bench: %s %w; pass --resume to continue it or --overwrite to train afresh", o.Out, ErrCheckpointExists)
	case exists:
		// The old run's files go first, so that an interrupted new run never
		// leaves the old checkpoint or scores looking like its own.
		for _, f := range []string{ckpt, filepath.Join(o.Out, "metrics.json")} {
			if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				return 0, fmt.Errorf("bench: %w", err)
			}
		}
	}
	start := 0
	if st != nil {
		start = st.Step
	}
	tc := models.TrainConfig{Epochs: o.Budget.Epochs, Batch: o.Budget.Batch, LR: o.Budget.LR, Schedule: o.Budget.Schedule, Seed: o.Seed, OnStep: o.OnStep,
		OnEpoch: saveEachEpoch(kind, meta, model.Params(), ckpt, o.OnEpoch)}
	t0 := time.Now()
	if _, err := models.Train(ctx, model, n, feed(start), tc, st); err != nil {
		return 0, err
	}
	return time.Since(t0).Seconds(), nil
}

// saveEachEpoch is a training hook that saves a checkpoint of kind with
// meta after every epoch (so an interrupted run loses at most one) and
// then reports the epoch's mean loss.
func saveEachEpoch(kind string, meta any, params []*models.Param, path string, report func(epoch int, loss float64)) func(int, *models.State) error {
	return func(epoch int, st *models.State) error {
		ck, err := models.NewCheckpoint(kind, meta, params, st)
		if err != nil {
			return err
		}
		if err := ck.Save(path); err != nil {
			return err
		}
		if report != nil {
			report(epoch, st.Losses[len(st.Losses)-1])
		}
		return nil
	}
}

// resumeFrom restores params from the checkpoint at path and returns the
// training state to continue from. The checkpoint must be of kind and its
// meta equal to meta in everything but the budget's epochs, which may grow:
// a constant-rate run of 2 epochs resumed with 3 continues to the weights a
// 3-epoch run reaches. A cosine run's rate depends on its total epochs (it
// anneals to 0 at the last), so its epochs cannot change. Every refusal is
// a MismatchError naming what differs.
func resumeFrom(path, kind string, meta any, budget Budget, params []*models.Param) (*models.State, error) {
	ck, err := models.LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if ck.Kind != kind {
		return nil, mismatchf("bench: %s holds a %s, not a %s; train the same model, or start afresh with --overwrite", path, ck.Kind, kind)
	}
	want, err := json.Marshal(meta)
	if err != nil {
		return nil, err
	}
	var old, now any
	if err := json.Unmarshal(ck.Config, &old); err != nil {
		return nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	if err := json.Unmarshal(want, &now); err != nil {
		return nil, err
	}
	was, is := map[string]string{}, map[string]string{}
	flattenJSON("", old, was)
	flattenJSON("", now, is)
	var diffs []string
	for _, k := range sortedKeys(mergeKeys(was, is)) {
		if k == "budget.epochs" || was[k] == is[k] {
			continue
		}
		diffs = append(diffs, fmt.Sprintf("%s %s → %s", settingName(k), orNone(was[k]), orNone(is[k])))
	}
	if len(diffs) > 0 {
		return nil, mismatchf("bench: %s was trained with other settings (%s); resume with the same ones, or start afresh with --overwrite", path, strings.Join(diffs, ", "))
	}
	oldEpochs, _ := strconv.Atoi(was["budget.epochs"])
	switch {
	case budget.Epochs < ck.Epoch:
		return nil, mismatchf("bench: %s has %d epochs done; --epochs %d is fewer (keep --epochs %d or more)", path, ck.Epoch, budget.Epochs, ck.Epoch)
	case budget.Epochs != oldEpochs && budget.Schedule == "cosine":
		return nil, mismatchf("bench: %s is a cosine run of %d epochs; its rate depends on the total epochs, so --epochs %d would not give the run a %d-epoch cosine schedule gives; keep --epochs %d, or start afresh with --overwrite", path, oldEpochs, budget.Epochs, budget.Epochs, oldEpochs)
	}
	return ck.Restore(params)
}

// flattenJSON records each leaf of a decoded JSON value under its dotted
// path, as JSON; arrays are leaves.
func flattenJSON(prefix string, v any, out map[string]string) {
	if m, ok := v.(map[string]any); ok {
		for _, k := range sortedKeys(m) {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flattenJSON(p, m[k], out)
		}
		return
	}
	b, _ := json.Marshal(v)
	out[prefix] = strings.Trim(string(b), `"`)
}

func mergeKeys(a, b map[string]string) map[string]bool {
	all := map[string]bool{}
	for k := range a {
		all[k] = true
	}
	for k := range b {
		all[k] = true
	}
	return all
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// settingName names a checkpoint meta field by the train flag that sets it.
func settingName(path string) string {
	switch path {
	case "model.arch":
		return "MODEL"
	case "budget.lr":
		return "--lr"
	case "budget.batch":
		return "--batch"
	case "budget.schedule":
		return "--schedule"
	case "model.seed":
		return "--seed"
	case "model.latent":
		return "--latent"
	case "model.beta":
		return "--beta"
	case "model.likelihood", "model.sigma":
		return "--likelihood (" + path + ")"
	case "model.lambda":
		return "--lambda"
	case "labels":
		return "--labels"
	case "dataset", "classes", "vocab", "model.input", "model.heads", "model.vocab", "model.steps":
		return "--data (" + path + ")"
	}
	return path
}

// LoadClassifier rebuilds a classifier from its checkpoint.
func LoadClassifier(path string) (*models.Classifier, ClassifierMeta, error) {
	var meta ClassifierMeta
	ck, err := models.LoadCheckpoint(path)
	if err != nil {
		return nil, meta, err
	}
	if ck.Kind != "classifier" {
		return nil, meta, mismatchf("bench: %s holds a %s, not a classifier (train multilabel, combo or perlabel makes one)", path, ck.Kind)
	}
	if err := json.Unmarshal(ck.Config, &meta); err != nil {
		return nil, meta, fmt.Errorf("bench: %s: %w", path, err)
	}
	c, err := models.NewClassifier(meta.Model)
	if err != nil {
		return nil, meta, err
	}
	if _, err := ck.Restore(c.Params()); err != nil {
		return nil, meta, err
	}
	return c, meta, nil
}

// EvaluateCheckpoint scores a classifier checkpoint on a split of a dataset.
func EvaluateCheckpoint(path, data, split string) (map[string]Metric, error) {
	c, meta, err := LoadClassifier(path)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return evaluate(c, meta, data, split, meta.Model.Seed)
}

func evaluate(c *models.Classifier, meta ClassifierMeta, data, split string, seed uint64) (map[string]Metric, error) {
	test, err := LoadLabeledImages(data, split, meta.Labels)
	if err != nil {
		return nil, err
	}
	if err := fitsClassifier(meta, data, test); err != nil {
		return nil, err
	}
	pred, err := c.PredictLabels(test.Examples, 256)
	if err != nil {
		return nil, err
	}
	scores := ClassificationScores(meta.Labels, meta.Model.Heads, test.Examples.Labels, pred, test.Heldout, seed)
	scores["params"] = exact(float64(models.Count(c.Params())))
	return scores, nil
}

// fitsClassifier refuses, as a MismatchError, images of another size or
// labels with other values than the classifier was trained on.
func fitsClassifier(meta ClassifierMeta, data string, d *LabeledImages) error {
	for h := range meta.Classes {
		if hashJSON(d.Classes[h]) != hashJSON(meta.Classes[h]) {
			return mismatchf("bench: label %s has values %v in %s, the model was trained on %v", meta.Labels[h], d.Classes[h], data, meta.Classes[h])
		}
	}
	if d.Examples.Shape != meta.Model.Input {
		return mismatchf("bench: %s images are %v, the model takes %v", data, d.Examples.Shape, meta.Model.Input)
	}
	return nil
}

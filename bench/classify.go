package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	// Resume continues from Out/model.ckpt when it exists.
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
	if len(o.Labels) == 0 {
		return nil, fmt.Errorf("bench: %s has no label features to classify", o.Data)
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

// fit trains model on n examples with the run's budget, saving a
// checkpoint of kind with meta into Out after every epoch and, with
// resume, continuing from the one there. feed gets the steps already made
// (so a resumed VAE's noise continues where it stopped). It returns the
// training seconds.
func (o Training) fit(ctx context.Context, kind string, meta any, model models.Model, n int, feed func(start int) models.Feeder, resume bool) (float64, error) {
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	ckpt := filepath.Join(o.Out, CheckpointFile)
	var st *models.State
	if resume {
		var err error
		if st, err = resumeFrom(ckpt, meta, model.Params()); err != nil {
			return 0, err
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

// resumeFrom restores params from the checkpoint at path, when there is
// one, and returns the training state to continue from; nil when there is
// no checkpoint. A checkpoint of another model, data or budget (its meta
// differs) is an error rather than a silent restart.
func resumeFrom(path string, meta any, params []*models.Param) (*models.State, error) {
	ck, err := models.LoadCheckpoint(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
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
	if hashJSON(old) != hashJSON(now) {
		return nil, fmt.Errorf("bench: %s was trained with another model, data or budget; remove it or drop --resume", path)
	}
	return ck.Restore(params)
}

// LoadClassifier rebuilds a classifier from its checkpoint.
func LoadClassifier(path string) (*models.Classifier, ClassifierMeta, error) {
	var meta ClassifierMeta
	ck, err := models.LoadCheckpoint(path)
	if err != nil {
		return nil, meta, err
	}
	if ck.Kind != "classifier" {
		return nil, meta, fmt.Errorf("bench: %s holds a %q, not a classifier", path, ck.Kind)
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
	for h := range meta.Classes {
		if hashJSON(test.Classes[h]) != hashJSON(meta.Classes[h]) {
			return nil, fmt.Errorf("bench: label %s has values %v in %s, the model was trained on %v", meta.Labels[h], test.Classes[h], data, meta.Classes[h])
		}
	}
	if test.Examples.Shape != meta.Model.Input {
		return nil, fmt.Errorf("bench: %s images are %v, the model takes %v", data, test.Examples.Shape, meta.Model.Input)
	}
	pred, err := c.PredictLabels(test.Examples, 256)
	if err != nil {
		return nil, err
	}
	scores := ClassificationScores(meta.Labels, meta.Model.Heads, test.Examples.Labels, pred, test.Heldout, seed)
	scores["params"] = exact(float64(models.Count(c.Params())))
	return scores, nil
}

package vae

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
)

// ModelName is the VAE's name on the train command line (`hiddendim
// train vae`).
const ModelName = "vae"

// CheckpointKind is the kind a VAE's checkpoint records.
const CheckpointKind = "vae"

// Meta is what a VAE checkpoint records besides the weights.
type Meta struct {
	Model   models.VAEConfig `json:"model"`
	Dataset string           `json:"dataset"` // generator@version
	Budget  bench.Budget     `json:"budget"`
}

// TrainOptions configure Train.
type TrainOptions struct {
	bench.Training
	// Resume continues the checkpoint in Out (see bench.Training.Fit).
	Resume bool
	// Latent, Beta and Likelihood override the reference VAE's when set
	// (above 0, not ""); a Gaussian likelihood has σ = 0.1.
	Latent     int
	Beta       float64
	Likelihood string
}

// Likelihoods lists the observation models a VAE can train with, the
// default first.
func Likelihoods() []string { return []string{models.Bernoulli, models.Gaussian} }

// CheckLikelihood refuses a likelihood that is neither "" (the default)
// nor one of Likelihoods, with an error naming them.
func CheckLikelihood(s string) error {
	if s == "" || slices.Contains(Likelihoods(), s) {
		return nil
	}
	return fmt.Errorf("vae: unknown likelihood %q; want %s", s, strings.Join(Likelihoods(), " or "))
}

// checkData refuses, as a MismatchError, a dataset the VAE does not read.
func checkData(m *generators.Manifest, dir string) error {
	if _, ok := adapters[m.Dataset]; ok {
		return nil
	}
	return bench.Mismatchf("vae: %s trains on %s datasets; %s is a %s dataset", ModelName, strings.Join(Datasets(), ", "), dir, m.Dataset)
}

// Train trains the reference VAE on a dataset it reads (see Datasets),
// saving a checkpoint after every epoch, and analyses it on the test split
// (metrics.json in Out) if there is one, returning its scores.
func Train(ctx context.Context, o TrainOptions) (map[string]float64, error) {
	if err := CheckLikelihood(o.Likelihood); err != nil {
		return nil, err
	}
	r, err := generators.Open(o.Data)
	if err != nil {
		return nil, err
	}
	if err := checkData(r.Manifest, o.Data); err != nil {
		return nil, err
	}
	if err := bench.CheckSplits(r.Manifest, o.Data, o.Train, o.Test); err != nil {
		return nil, err
	}
	train, err := LoadSplit(o.Data, o.Train)
	if err != nil {
		return nil, err
	}
	cfg := models.ReferenceVAE(train.Images.Shape, o.Seed)
	if o.Latent > 0 {
		cfg.Latent = o.Latent
	}
	if o.Beta > 0 {
		cfg.Beta = o.Beta
	}
	if o.Likelihood != "" {
		cfg.Likelihood = o.Likelihood
		if cfg.Likelihood == models.Gaussian {
			cfg.Sigma = 0.1
		}
	}
	meta := Meta{Model: cfg, Dataset: r.Manifest.Dataset + "@" + r.Manifest.Version, Budget: o.Budget}
	v, err := models.NewVAE(cfg)
	if err != nil {
		return nil, err
	}
	defer v.Close()
	secs, err := o.Fit(ctx, CheckpointKind, meta, v, train.Images.Len(), func(start int) models.Feeder { return v.Feeder(train.Images, o.Seed, start) }, o.Resume)
	if err != nil {
		return nil, err
	}
	if o.Test == "" {
		return nil, nil
	}
	test, err := LoadSplit(o.Data, o.Test)
	if err != nil {
		return nil, err
	}
	an, err := AnalyzeModel(v, train, test, Analysis{Seed: o.Seed})
	if err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(map[string]any{"metrics": an.Metrics, "train_seconds": secs, "split": o.Test, "model": meta}, "", "  ")
	return an.Metrics, os.WriteFile(filepath.Join(o.Out, "metrics.json"), append(b, '\n'), 0o644)
}

// Load rebuilds a VAE from its checkpoint, with its meta and training
// losses. A checkpoint of another model is a MismatchError.
func Load(path string) (*models.VAE, Meta, []float64, error) {
	var meta Meta
	ck, err := models.LoadCheckpoint(path)
	if err != nil {
		return nil, meta, nil, err
	}
	if ck.Kind != CheckpointKind {
		return nil, meta, nil, bench.Mismatchf("vae: %s holds a %s, not a VAE (train %s makes one)", path, ck.Kind, ModelName)
	}
	if err := json.Unmarshal(ck.Config, &meta); err != nil {
		return nil, meta, nil, fmt.Errorf("vae: %s: %w", path, err)
	}
	v, err := models.NewVAE(meta.Model)
	if err != nil {
		return nil, meta, nil, err
	}
	if _, err := ck.Restore(v.Params()); err != nil {
		v.Close()
		return nil, meta, nil, err
	}
	return v, meta, ck.Losses, nil
}

// AnalyzeOptions configure Analyze.
type AnalyzeOptions struct {
	// Checkpoint is the VAE's model.ckpt, Data the dataset folder, Out
	// the folder the pictures and summary.json are written into.
	Checkpoint, Data, Out string
	// Train names the split few-shot landmarks, DCI's predictors and the
	// arithmetic operator are fitted on; Test the split analysed.
	Train, Test string
	// Seed drives the ELBO's noise, k-means, the SOM, few-shot draws and
	// the pairs and walks of latent navigation.
	Seed uint64
	// NavPairs is the number of test image pairs paths are drawn between;
	// 0 means Analysis's default, 24.
	NavPairs int
}

// Analyze analyses a VAE checkpoint on a dataset and writes the pictures
// and summary.json (see WritePictures) into Out. It returns the files
// written and the scores.
func Analyze(o AnalyzeOptions) ([]string, map[string]float64, error) {
	v, meta, losses, err := Load(o.Checkpoint)
	if err != nil {
		return nil, nil, err
	}
	defer v.Close()
	r, err := generators.Open(o.Data)
	if err != nil {
		return nil, nil, err
	}
	if err := checkData(r.Manifest, o.Data); err != nil {
		return nil, nil, err
	}
	if err := bench.CheckSplits(r.Manifest, o.Data, o.Train, o.Test); err != nil {
		return nil, nil, err
	}
	train, err := LoadSplit(o.Data, o.Train)
	if err != nil {
		return nil, nil, err
	}
	test, err := LoadSplit(o.Data, o.Test)
	if err != nil {
		return nil, nil, err
	}
	if test.Images.Shape != meta.Model.Input {
		return nil, nil, bench.Mismatchf("vae: %s images are %v, the VAE takes %v", o.Data, test.Images.Shape, meta.Model.Input)
	}
	an, err := AnalyzeModel(v, train, test, Analysis{Seed: o.Seed, NavPairs: o.NavPairs})
	if err != nil {
		return nil, nil, err
	}
	summary := map[string]any{"checkpoint": o.Checkpoint, "data": o.Data, "train_split": o.Train, "split": o.Test,
		"split_sha256": test.SplitSHA256, "model": meta, "seed": o.Seed, "metrics": an.Metrics,
		"classes": test.ClassNames, "factors": test.Factors.Names, "training_losses": losses}
	files, err := WritePictures(o.Out, v, an, test, losses, summary)
	return files, an.Metrics, err
}

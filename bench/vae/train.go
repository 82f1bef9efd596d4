package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
)

// VAEMeta is what a VAE checkpoint records besides the weights.
type VAEMeta struct {
	Model   models.VAEConfig `json:"model"`
	Dataset string           `json:"dataset"` // generator@version
	Budget  Budget           `json:"budget"`
}

// VAETrainOptions configure TrainVAE.
type VAETrainOptions struct {
	Training
	// Latent, Beta and Likelihood override the reference VAE's when set.
	Latent     int
	Beta       float64
	Likelihood string
	Resume     bool
}

// VAEKind is the checkpoint kind of VAEs.
const VAEKind = "vae"

// TrainVAE trains the reference VAE on a shapes or relations dataset,
// saving a checkpoint after every epoch, and analyses it on the test split
// (metrics.json) if there is one.
func TrainVAE(ctx context.Context, o VAETrainOptions) (map[string]float64, error) {
	r, err := generators.Open(o.Data)
	if err != nil {
		return nil, err
	}
	if err := checkTrainData(VAEKind, r.Manifest, o.Data); err != nil {
		return nil, err
	}
	if err := checkSplits(r.Manifest, o.Data, o.Train, o.Test); err != nil {
		return nil, err
	}
	train, err := LoadVAEData(o.Data, o.Train)
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
	meta := VAEMeta{Model: cfg, Dataset: r.Manifest.Dataset + "@" + r.Manifest.Version, Budget: o.Budget}
	v, err := models.NewVAE(cfg)
	if err != nil {
		return nil, err
	}
	defer v.Close()
	secs, err := o.fit(ctx, VAEKind, meta, v, train.Images.Len(), func(start int) models.Feeder { return v.Feeder(train.Images, o.Seed, start) }, o.Resume)
	if err != nil {
		return nil, err
	}
	if o.Test == "" {
		return nil, nil
	}
	test, err := LoadVAEData(o.Data, o.Test)
	if err != nil {
		return nil, err
	}
	an, err := AnalyzeVAE(v, train, test, AnalyzeOptions{Seed: o.Seed})
	if err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(map[string]any{"metrics": an.Metrics, "train_seconds": secs, "split": o.Test, "model": meta}, "", "  ")
	return an.Metrics, os.WriteFile(filepath.Join(o.Out, "metrics.json"), append(b, '\n'), 0o644)
}

// LoadVAE rebuilds a VAE from its checkpoint, with its training losses.
func LoadVAE(path string) (*models.VAE, VAEMeta, []float64, error) {
	var meta VAEMeta
	ck, err := models.LoadCheckpoint(path)
	if err != nil {
		return nil, meta, nil, err
	}
	if ck.Kind != VAEKind {
		return nil, meta, nil, mismatchf("bench: %s holds a %s, not a VAE (train vae makes one)", path, ck.Kind)
	}
	if err := json.Unmarshal(ck.Config, &meta); err != nil {
		return nil, meta, nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	v, err := models.NewVAE(meta.Model)
	if err != nil {
		return nil, meta, nil, err
	}
	if _, err := ck.Restore(v.Params()); err != nil {
		return nil, meta, nil, err
	}
	return v, meta, ck.Losses, nil
}

// AnalyzeCheckpointOptions configure AnalyzeCheckpoint.
type AnalyzeCheckpointOptions struct {
	Checkpoint, Data, Out string
	// Train names the split few-shot landmarks, DCI's predictors and the
	// arithmetic operator are fitted on; Test the split analysed.
	Train, Test string
	Seed        uint64
}

// AnalyzeCheckpoint analyses a VAE checkpoint on a dataset and writes the
// pictures and summary.json (see WriteVAEPictures) into Out. It returns
// the files written and the scores.
func AnalyzeCheckpoint(o AnalyzeCheckpointOptions) ([]string, map[string]float64, error) {
	v, meta, losses, err := LoadVAE(o.Checkpoint)
	if err != nil {
		return nil, nil, err
	}
	defer v.Close()
	r, err := generators.Open(o.Data)
	if err != nil {
		return nil, nil, err
	}
	if err := checkTrainData(VAEKind, r.Manifest, o.Data); err != nil {
		return nil, nil, err
	}
	if err := checkSplits(r.Manifest, o.Data, o.Train, o.Test); err != nil {
		return nil, nil, err
	}
	train, err := LoadVAEData(o.Data, o.Train)
	if err != nil {
		return nil, nil, err
	}
	test, err := LoadVAEData(o.Data, o.Test)
	if err != nil {
		return nil, nil, err
	}
	if test.Images.Shape != meta.Model.Input {
		return nil, nil, mismatchf("bench: %s images are %v, the VAE takes %v", o.Data, test.Images.Shape, meta.Model.Input)
	}
	an, err := AnalyzeVAE(v, train, test, AnalyzeOptions{Seed: o.Seed})
	if err != nil {
		return nil, nil, err
	}
	summary := map[string]any{"checkpoint": o.Checkpoint, "data": o.Data, "train_split": o.Train, "split": o.Test,
		"split_sha256": test.SplitSHA256, "model": meta, "seed": o.Seed, "metrics": an.Metrics,
		"classes": test.ClassNames, "factors": test.Factors.Names, "training_losses": losses}
	files, err := WriteVAEPictures(o.Out, v, an, test, losses, summary)
	return files, an.Metrics, err
}

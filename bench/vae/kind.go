package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
)

// vaeMetrics are the VAE boards' columns, in the plain names.
var vaeMetrics = []string{"neg_elbo", "recon", "kl", "kmeans_v_measure", "kmeans_ari", "silhouette", "som_qe", "som_te",
	"mig", "dci_disentanglement", "fewshot_k10"}

func vaeTask(name string, gen string, settings map[string]string, train, test int, models []ModelSpec, budget Budget, seeds []uint64, expect []Expectation) Task {
	metrics := vaeMetrics
	if settings["parts"] == "true" {
		metrics = append(append([]string{}, metrics...), "arithmetic_retrieval", "arithmetic_retrieval_add",
			"arithmetic_retrieval_untrained", "arithmetic_retrieval_pixels", "arithmetic_margin", "arithmetic_pixel_mse")
	}
	return Task{
		Name: name, Version: "1.0.0", Kind: "vae",
		Dataset: DatasetSpec{Generator: gen, Version: version(gen), Seed: 7, Settings: settings,
			Splits: []generators.SplitSize{{Name: "train", Count: train}, {Name: "test", Count: test}}, Train: "train", Test: "test"},
		Models: models, Budget: budget, Seeds: seeds, Metrics: metrics, Primary: "neg_elbo", Expect: expect,
	}
}

func vaeModel(name string, beta float64) ModelSpec {
	return ModelSpec{Name: name, Arch: "vae", Latent: 10, Beta: beta}
}

func loadVAETask(dir string, t Task) (*taskData, error) {
	train, err := LoadVAEData(dir, t.Dataset.Train)
	if err != nil {
		return nil, err
	}
	test, err := LoadVAEData(dir, t.Dataset.Test)
	if err != nil {
		return nil, err
	}
	return &taskData{vaeTrain: train, vaeTest: test, dataset: newDatasetRecord(t, train.SplitSHA256, test.SplitSHA256)}, nil
}

// runVAE trains the reference VAE with the model's latent size and β and
// records every score AnalyzeVAE computes (the board shows the task's
// Metrics; the record keeps them all).
func runVAE(ctx context.Context, suite string, t Task, m ModelSpec, seed uint64, d *taskData, opt Options) (Record, error) {
	cfg := models.ReferenceVAE(d.vaeTrain.Images.Shape, seed)
	if m.Latent > 0 {
		cfg.Latent = m.Latent
	}
	cfg.Beta = m.Beta
	v, err := models.NewVAE(cfg)
	if err != nil {
		return Record{}, err
	}
	defer v.Close()
	tim, err := trainForTask(ctx, t, m, seed, v, d.vaeTrain.Images.Len(), v.Feeder(d.vaeTrain.Images, seed, 0), opt)
	if err != nil {
		return Record{}, err
	}
	start := time.Now()
	an, err := AnalyzeVAE(v, d.vaeTrain, d.vaeTest, AnalyzeOptions{Seed: seed})
	if err != nil {
		return Record{}, fmt.Errorf("bench: %s %s seed %d: %w", t.Name, m.Name, seed, err)
	}
	tim.EvalSeconds = time.Since(start).Seconds()
	scores := map[string]Metric{}
	for k, x := range an.Metrics {
		scores[k] = exact(x)
	}
	return newRecord(suite, t, m, seed, d.dataset, cfg, models.Count(v.Params()), scores, tim, opt), nil
}

// version is the version of the named dataset this build renders.
func version(gen string) string {
	ds, err := Datasets().Lookup(gen)
	if err != nil {
		panic("bench: a suite names an unknown dataset: " + gen)
	}
	return ds.Version().String()
}

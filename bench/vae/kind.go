package vae

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
)

// Kind is the VAE kind of task ("vae" in suite files): it trains the
// reference VAE (models.ReferenceVAE) with each model's latent size and β
// and records every score AnalyzeModel computes (a task's board shows
// its Metrics; the record keeps them all).
type Kind struct{}

// Name returns "vae".
func (Kind) Name() string { return "vae" }

// Model is a VAE task's model: the reference VAE's latent size and β. It
// marshals as {"latent": 10, "beta": 1}, the fields of a suite's model
// entry after its name.
type Model struct {
	// Latent is the size of z; 0 keeps the reference VAE's.
	Latent int `json:"latent"`
	// Beta weighs the KL term: 1 is the VAE, above 1 a β-VAE, 0 an
	// autoencoder whose code is still sampled.
	Beta float64 `json:"beta"`
}

// Arch returns "reference": every VAE of a task is the reference VAE,
// sized by Latent and Beta.
func (Model) Arch() string { return "reference" }

// DecodeModel reads a model entry's latent and beta, refusing other fields
// (arch included: there is one architecture), a missing beta and negative
// values.
func (Kind) DecodeModel(raw []byte) (bench.ModelConfig, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err == nil {
		if _, ok := fields["arch"]; ok {
			return nil, bench.Fieldf("arch", "the VAE has one architecture, the reference VAE, sized by latent and beta; leave arch out")
		}
	}
	var m Model
	if err := bench.DecodeStrict(raw, &m, "latent", "beta"); err != nil {
		return nil, err
	}
	if _, ok := fields["beta"]; !ok {
		return nil, bench.Fieldf("beta", "missing; want the KL term's weight: 1 for the VAE, 4 for a β-VAE, 0 for an autoencoder")
	}
	if m.Latent < 0 {
		return nil, bench.Fieldf("latent", "%d: want the size of z, at least 1 (or 0 for the reference VAE's %d)", m.Latent, models.ReferenceVAE([3]int{3, 28, 28}, 0).Latent)
	}
	if m.Beta < 0 {
		return nil, bench.Fieldf("beta", "%v: want the KL term's weight, at least 0, like 1", m.Beta)
	}
	return m, nil
}

// Metric families: what every dataset's analysis scores, and what latent
// arithmetic adds on data with parts.
var (
	commonMetrics = []string{"neg_elbo", "recon", "kl", "kmeans_v_measure", "kmeans_homogeneity", "kmeans_completeness", "kmeans_ari",
		"silhouette", "som_qe", "som_te", "mig", "dci_disentanglement", "dci_completeness", "dci_informativeness",
		"fewshot_k1", "fewshot_k5", "fewshot_k10"}
	arithmeticMetrics = []string{"arithmetic_retrieval", "arithmetic_retrieval_add", "arithmetic_retrieval_all",
		"arithmetic_retrieval_untrained", "arithmetic_retrieval_add_untrained", "arithmetic_retrieval_pixels", "arithmetic_retrieval_add_pixels",
		"arithmetic_margin", "arithmetic_margin_add", "arithmetic_distractors", "arithmetic_pixel_mse", "arithmetic_pixel_mse_add"}
	// navigationMetrics are scored on every dataset: few-shot by hulls,
	// and paths between test images (see LatentSpace.navigate).
	navigationMetrics = navigationNames()
	// hierarchyMetrics need parts: the part–whole dendrogram's scores in
	// the model's space and the baselines'.
	hierarchyMetrics = []string{"cophenetic_part_whole", "dendrogram_purity_part_whole",
		"cophenetic_part_whole_untrained", "dendrogram_purity_part_whole_untrained",
		"cophenetic_part_whole_pixels", "dendrogram_purity_part_whole_pixels"}
)

// navigationNames lists fewshot_hull_k1, _k5, _k10; for each k,
// fewshot_k<k>_pc2 (nearest landmark mean in the hulls' two principal
// components), fewshot_hull_k<k>_pc3 and _full (hulls in three
// components and in the whole code); then
// path_validity_<kind> and path_smoothness_<kind> for every path kind,
// path_validity_ends, and the baselines' lerp and valley scores; then
// every path_validity_ score again as the classifier judge scores it
// (suffix _classifier), with the judge's accuracy and threshold.
func navigationNames() []string {
	names := []string{"fewshot_hull_k1", "fewshot_hull_k5", "fewshot_hull_k10"}
	for _, k := range []string{"k1", "k5", "k10"} {
		names = append(names, "fewshot_"+k+"_pc2", "fewshot_hull_"+k+"_pc3", "fewshot_hull_"+k+"_full")
	}
	for _, score := range []string{"path_validity_", "path_smoothness_"} {
		for _, kind := range pathKinds {
			names = append(names, score+kind)
		}
	}
	names = append(names, "path_validity_ends")
	for _, base := range []string{"_untrained", "_pixels"} {
		for _, score := range []string{"path_validity_", "path_smoothness_"} {
			for _, kind := range baselineKinds {
				names = append(names, score+kind+base)
			}
		}
	}
	for _, name := range slices.Clone(names) {
		if strings.HasPrefix(name, "path_validity_") {
			names = append(names, name+"_classifier")
		}
	}
	return append(names, "judge_classifier_accuracy", "judge_classifier_threshold")
}

// walkMetrics are the attribute walks' scores for the factors
// pixelMeasures reads, in each space.
func walkMetrics(factors ...string) []string {
	var names []string
	for _, f := range factors {
		for _, base := range []string{"", "_untrained", "_pixels"} {
			names = append(names, "attribute_monotonicity_"+f+base)
		}
	}
	return names
}

// metricInfo describes the metrics that are not higher-is-better
// proportions.
var metricInfo = map[string]bench.MetricInfo{
	// Nats per image. A Gaussian likelihood's densities can make recon
	// negative, but suites train Bernoulli VAEs, whose recon is a
	// cross-entropy.
	"neg_elbo": bench.Unbounded("neg_elbo", true),
	"recon":    bench.Unbounded("recon", true),
	"kl":       bench.Unbounded("kl", true),
	// The adjusted Rand index is about 0 for chance and below for worse.
	"kmeans_ari": {Name: "kmeans_ari", Min: -1, Max: 1},
	"silhouette": {Name: "silhouette", Min: -1, Max: 1},
	// The SOM's quantization error is a distance; its topographic error
	// a share of rows.
	"som_qe": bench.Unbounded("som_qe", true),
	"som_te": {Name: "som_te", LowerIsBetter: true, Max: 1},
	// A margin is a difference of two shares.
	"arithmetic_margin":     {Name: "arithmetic_margin", Min: -1, Max: 1},
	"arithmetic_margin_add": {Name: "arithmetic_margin_add", Min: -1, Max: 1},
	// The mean number of hard distractors per composite: more is a
	// stricter test.
	"arithmetic_distractors":   bench.Unbounded("arithmetic_distractors", false),
	"arithmetic_pixel_mse":     bench.Unbounded("arithmetic_pixel_mse", true),
	"arithmetic_pixel_mse_add": bench.Unbounded("arithmetic_pixel_mse_add", true),
}

// describe is a metric's description: metricInfo's, else by family
// (correlations from −1 to 1; a path's smoothness, a ratio at least 1
// for an even path, lower better), else a higher-is-better proportion.
func describe(name string) bench.MetricInfo {
	if m, ok := metricInfo[name]; ok {
		return m
	}
	switch {
	case strings.HasPrefix(name, "path_smoothness_"):
		return bench.MetricInfo{Name: name, LowerIsBetter: true, Min: 1, Max: math.Inf(1)}
	case strings.HasPrefix(name, "attribute_monotonicity_"), strings.HasPrefix(name, "cophenetic_"):
		return bench.MetricInfo{Name: name, Min: -1, Max: 1}
	}
	return bench.Proportion(name)
}

// allMetrics lists every metric AnalyzeModel can score, for any dataset.
func allMetrics() []string {
	var names []string
	names = append(names, commonMetrics...)
	for _, g := range Datasets() {
		names = append(names, adapters[g].metrics...)
	}
	names = append(names, navigationMetrics...)
	names = append(names, arithmeticMetrics...)
	names = append(names, hierarchyMetrics...)
	return names
}

// Metrics describes every metric a VAE task can record, whatever labels
// (a VAE predicts none).
func (Kind) Metrics([]string) []bench.MetricInfo {
	var out []bench.MetricInfo
	for _, name := range allMetrics() {
		out = append(out, describe(name))
	}
	return out
}

// scoredOn lists the metrics the VAE scores on a dataset of generator ad
// with config cfg.
func scoredOn(ad adapter, cfg generators.Config) []string {
	names := append(slices.Clone(commonMetrics), ad.metrics...)
	names = append(names, navigationMetrics...)
	if ad.parts != nil && ad.parts(cfg) {
		names = append(names, arithmeticMetrics...)
		names = append(names, hierarchyMetrics...)
	}
	return names
}

// CheckTask refuses a task whose dataset the VAE does not read, that names
// labels, or that asks for a metric its data does not yield (arithmetic
// without parts, shapes' per-factor homogeneity on other data).
func (Kind) CheckTask(t bench.Task, spec generators.Spec) error {
	ad, ok := adapters[t.Dataset.Generator]
	if !ok {
		return bench.Fieldf("dataset.generator", "%q: the VAE reads %s datasets", t.Dataset.Generator, strings.Join(Datasets(), ", "))
	}
	if len(t.Labels) > 0 {
		return bench.Fieldf("labels", "a VAE predicts no labels; leave labels out")
	}
	if ad.check != nil {
		if err := ad.check(spec.Config); err != nil {
			return err
		}
	}
	scored := scoredOn(ad, spec.Config)
	refuse := func(field, m string) error {
		if slices.Contains(hierarchyMetrics, m) {
			return bench.Fieldf(field, "%s needs parts: the VAE clusters wholes with their parts on %s datasets generated with parts=true", m, strings.Join(withParts(), ", "))
		}
		if slices.Contains(arithmeticMetrics, m) {
			return bench.Fieldf(field, "%s needs parts: the VAE does latent arithmetic on %s datasets generated with parts=true", m, strings.Join(withParts(), ", "))
		}
		return bench.Fieldf(field, "the VAE does not score %s on %s datasets; it scores %s", m, t.Dataset.Generator, strings.Join(scored, ", "))
	}
	for i, m := range t.Metrics {
		if !slices.Contains(scored, m) {
			return refuse(fmt.Sprintf("metrics[%d]", i), m)
		}
	}
	for i, e := range t.Expect {
		if !slices.Contains(scored, e.Metric) {
			return refuse(fmt.Sprintf("expect[%d].metric", i), e.Metric)
		}
	}
	return nil
}

// withParts lists the generators the VAE reads whose datasets can have
// parts.
func withParts() []string {
	var names []string
	for _, g := range Datasets() {
		if adapters[g].parts != nil {
			names = append(names, g)
		}
	}
	return names
}

// taskData is a VAE task's train and test splits.
type taskData struct {
	train, test         *Split
	trainName, testName string
}

// SplitHashes maps the train and test splits' names to their SHA-256.
func (d *taskData) SplitHashes() map[string]string {
	return map[string]string{d.trainName: d.train.SplitSHA256, d.testName: d.test.SplitSHA256}
}

// Load reads the task's train and test splits from the dataset folder dir.
func (Kind) Load(_ context.Context, dir string, t bench.Task) (bench.Data, error) {
	train, err := LoadSplit(dir, t.Dataset.Train)
	if err != nil {
		return nil, err
	}
	test, err := LoadSplit(dir, t.Dataset.Test)
	if err != nil {
		return nil, err
	}
	return &taskData{train: train, test: test, trainName: t.Dataset.Train, testName: t.Dataset.Test}, nil
}

// Run trains the reference VAE with the job's latent size (0: the
// reference's) and β, and scores it with AnalyzeModel seeded by the job's
// seed. With j.Pictures set it draws the analysis there, as
// `hiddendim analyze` does (WritePictures).
func (Kind) Run(ctx context.Context, j bench.Job, data bench.Data) (bench.Result, error) {
	d, ok := data.(*taskData)
	if !ok {
		return bench.Result{}, fmt.Errorf("vae: %s: data of type %T, not what Kind.Load returns", j, data)
	}
	var m Model
	switch c := j.Model.Config.(type) {
	case Model:
		m = c
	case *Model:
		m = *c
	default:
		return bench.Result{}, fmt.Errorf("vae: %s: model config of type %T, not a vae.Model", j, j.Model.Config)
	}
	cfg := models.ReferenceVAE(d.train.Images.Shape, j.Seed)
	if m.Latent > 0 {
		cfg.Latent = m.Latent
	}
	cfg.Beta = m.Beta
	v, err := models.NewVAE(cfg)
	if err != nil {
		return bench.Result{}, err
	}
	defer v.Close()
	tim, err := j.Train(ctx, v, d.train.Images.Len(), v.Feeder(d.train.Images, j.Seed, 0))
	if err != nil {
		return bench.Result{}, err
	}
	start := time.Now()
	an, err := AnalyzeModel(v, d.train, d.test, Analysis{Seed: j.Seed})
	if err != nil {
		return bench.Result{}, fmt.Errorf("vae: %s: %w", j, err)
	}
	tim.EvalSeconds = time.Since(start).Seconds()
	if j.Pictures != "" {
		summary := map[string]any{"task": j.Task.Name, "model": j.Model.Name, "seed": j.Seed, "config": cfg, "metrics": an.Metrics,
			"classes": d.test.ClassNames, "factors": d.test.Factors.Names, "training_losses": tim.EpochLoss}
		if _, err := WritePictures(j.Pictures, v, an, d.test, tim.EpochLoss, summary); err != nil {
			return bench.Result{}, fmt.Errorf("vae: %s: %w", j, err)
		}
	}
	scores := map[string]bench.Metric{}
	for k, x := range an.Metrics {
		scores[k] = bench.Exact(x)
	}
	return bench.Result{Config: cfg, Params: models.Count(v.Params()), Scores: scores, Timings: tim}, nil
}

package classify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
)

// Kind is the classification kind of task: CNN classifiers that predict a
// dataset's label features from its images. It is a value with no state.
type Kind struct{}

// Model is a classification task's model entry: the architecture and the
// sizes of the CNN (see models.ClassifierConfig). Its fields marshal in
// this order, after the model's name, into every record's run key.
type Model struct {
	// Architecture is models.MultiLabel, Combo or PerLabel; a suite file
	// calls it "arch". (The Go name is not Arch, which is the
	// bench.ModelConfig method.)
	Architecture models.ClassifierArch `json:"arch"`
	// Conv lists the channels of the 3×3 convolutions.
	Conv []int `json:"conv"`
	// Hidden is the width of the dense layer before the heads.
	Hidden int `json:"hidden"`
}

// Arch names the model's architecture ("multilabel").
func (m Model) Arch() string { return m.Architecture.String() }

// reference sizes the classifiers trained outside the suites: the
// reference CNN's (models.ReferenceCNN).
var reference = Model{Conv: []int{16, 32}, Hidden: 64}

// Name returns "classification".
func (Kind) Name() string { return "classification" }

// hammingLoss is the share of wrong label slots: lower is better, in [0, 1].
var hammingLoss = bench.MetricInfo{Name: "hamming_loss", LowerIsBetter: true, Max: 1}

// Metrics describes what a classification task scores: subset_accuracy,
// hamming_loss, macro_f1, heldout_subset_accuracy (on a dataset with a
// holdout) and, for each label, "<label>_accuracy".
func (Kind) Metrics(labels []string) []bench.MetricInfo {
	out := []bench.MetricInfo{bench.Proportion("subset_accuracy"), hammingLoss, bench.Proportion("macro_f1"), bench.Proportion("heldout_subset_accuracy")}
	for _, l := range labels {
		out = append(out, bench.Proportion(l+"_accuracy"))
	}
	return out
}

// DecodeModel reads a classifier's entry: "arch" (multilabel, combo or
// perlabel), "conv" (at least one convolution, each of at least one
// channel) and "hidden" (at least 1). Other fields are refused.
func (Kind) DecodeModel(raw []byte) (bench.ModelConfig, error) {
	var f struct {
		Arch   string `json:"arch"`
		Conv   []int  `json:"conv"`
		Hidden int    `json:"hidden"`
	}
	if err := bench.DecodeStrict(raw, &f, "arch", "conv", "hidden"); err != nil {
		return nil, err
	}
	arch, ok := ParseArch(f.Arch)
	switch {
	case f.Arch == "":
		return nil, bench.Fieldf("arch", "missing; want %s", archList())
	case !ok:
		return nil, bench.Fieldf("arch", "%q: want %s", f.Arch, archList())
	case len(f.Conv) == 0:
		return nil, bench.Fieldf("conv", "want the channels of each 3×3 convolution, at least one, like [16, 32]")
	}
	for i, c := range f.Conv {
		if c < 1 {
			return nil, bench.Fieldf(fmt.Sprintf("conv[%d]", i), "%d: want at least 1 channel", c)
		}
	}
	if f.Hidden < 1 {
		return nil, bench.Fieldf("hidden", "%d: want the dense layer's width, at least 1, like 64", f.Hidden)
	}
	return Model{Architecture: arch, Conv: f.Conv, Hidden: f.Hidden}, nil
}

// CheckTask refuses a task whose dataset has no image or no label
// features, whose labels are missing or not label features of the dataset,
// or that scores heldout_subset_accuracy on a dataset config without a
// holdout.
func (Kind) CheckTask(t bench.Task, spec generators.Spec) error {
	s, err := spec.Dataset.New(spec.Config)
	if err != nil {
		return bench.Fieldf("dataset.settings", "%v", err)
	}
	var labels []string
	image := false
	for _, f := range s.Features() {
		switch f.Kind {
		case generators.LabelFeature:
			labels = append(labels, f.Name)
		case generators.ImageFeature:
			image = true
		}
	}
	gen := t.Dataset.Generator
	switch {
	case len(labels) == 0:
		return bench.Fieldf("dataset.generator", "classifiers train on datasets with label features; %s has none", gen)
	case !image:
		return bench.Fieldf("dataset.generator", "classifiers read images; %s has no image feature", gen)
	case len(t.Labels) == 0:
		return bench.Fieldf("labels", "want the label features to predict; %s has %s", gen, strings.Join(labels, ", "))
	}
	for i, l := range t.Labels {
		if !slices.Contains(labels, l) {
			return bench.Fieldf(fmt.Sprintf("labels[%d]", i), "%q is not a label feature of %s; its labels: %s", l, gen, strings.Join(labels, ", "))
		}
		if slices.Index(t.Labels, l) != i {
			return bench.Fieldf(fmt.Sprintf("labels[%d]", i), "%q twice", l)
		}
	}
	if hasHoldout(gen, spec.Config) {
		return nil
	}
	const heldout = "heldout_subset_accuracy"
	noHoldout := "scores the combinations a dataset holds out of training; this task's " + gen + " config holds none"
	if i := slices.Index(t.Metrics, heldout); i >= 0 {
		return bench.Fieldf(fmt.Sprintf("metrics[%d]", i), "%s %s", heldout, noHoldout)
	}
	for i, e := range t.Expect {
		if e.Metric == heldout {
			return bench.Fieldf(fmt.Sprintf("expect[%d].metric", i), "%s %s", heldout, noHoldout)
		}
	}
	return nil
}

// Load reads the task's train and test splits with its labels.
func (Kind) Load(_ context.Context, dir string, t bench.Task) (bench.Data, error) {
	train, err := LoadLabeledImages(dir, t.Dataset.Train, t.Labels)
	if err != nil {
		return nil, err
	}
	test, err := LoadLabeledImages(dir, t.Dataset.Test, t.Labels)
	if err != nil {
		return nil, err
	}
	return &taskData{trainSplit: t.Dataset.Train, testSplit: t.Dataset.Test, train: train, test: test}, nil
}

// inspectedPerRun is how many test samples a bench run draws the
// activations of, when its job asks for pictures.
const inspectedPerRun = 2

// Run trains the job's classifier on the train split with the task's
// budget and scores it on the test split (see ClassificationScores). The
// job's seed draws the initial weights and the shuffles, and seeds the
// bootstrap of macro_f1's interval. With j.Pictures set it draws the
// first-layer filters and two test samples' activations there, as
// `hiddendim inspect` does.
func (Kind) Run(ctx context.Context, j bench.Job, d bench.Data) (bench.Result, error) {
	data, m, err := bench.Unpack[*taskData, Model](j, d)
	if err != nil {
		return bench.Result{}, err
	}
	var heads []int
	for _, c := range data.train.Classes {
		heads = append(heads, len(c))
	}
	cfg := models.ClassifierConfig{Arch: m.Architecture, Input: data.train.Examples.Shape, Heads: heads, Conv: m.Conv, Hidden: m.Hidden, Seed: j.Seed}
	c, err := models.NewClassifier(cfg)
	if err != nil {
		return bench.Result{}, err
	}
	defer c.Close()
	tim, err := j.Train(ctx, c, data.train.Examples.Len(), c.Feeder(data.train.Examples))
	if err != nil {
		return bench.Result{}, err
	}
	start := time.Now()
	pred, err := c.PredictLabels(data.test.Examples, 256)
	if err != nil {
		return bench.Result{}, err
	}
	tim.EvalSeconds = time.Since(start).Seconds()
	scores := ClassificationScores(j.Task.Labels, heads, data.test.Examples.Labels, pred, data.test.Heldout, j.Seed)
	if j.Pictures != "" {
		if _, err := drawLearned(c, data.test.Examples, inspectedPerRun, j.Pictures); err != nil {
			return bench.Result{}, fmt.Errorf("classify: %s: %w", j, err)
		}
	}
	return bench.Result{Config: cfg, Params: models.Count(c.Params()), Scores: scores, Timings: tim}, nil
}

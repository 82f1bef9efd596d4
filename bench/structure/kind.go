package structure

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/caption"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/webpages"
)

var _ bench.Kind = Kind{}

// Kind is the page-structure kind of task: a page's element tree from its
// screenshot, by segmentation and tree decoding (SegModel) or end to end
// by a captioner writing pix2code's DSL (caption.Model). It is a value
// with no state.
type Kind struct{}

// SegNetArch is the segmentation model's architecture name in a suite's
// model entry.
const SegNetArch = "segnet"

// SegModel is a page-structure task's segmentation entry: the reference
// U-Net (models.ReferenceSegNet) trained on the class masks, its masks
// decoded into trees (DecodePage). In a suite file it is
// {"name": "segnet", "arch": "segnet"}, with optional "class_weights",
// "deep" and "stem" (see NetOptions) and "epochs", "batch", "lr" and "schedule" replacing
// the task budget's for this model: the
// U-Net and the end-to-end captioner share a task and its pages, not their
// best batch or rate. Its fields are part of every record's run key.
type SegModel struct {
	// Architecture is always SegNetArch; a suite file calls it "arch".
	Architecture string `json:"arch"`
	bench.Overrides
	// NetOptions are a suite file's optional "class_weights" ("none",
	// the default, or "median"), "deep" and "stem" (channels; 0, the
	// default, none).
	NetOptions
}

// Arch returns "segnet".
func (SegModel) Arch() string { return SegNetArch }

// budget is the task's budget with the model's own epochs, batch, rate
// and schedule where it sets them.
func (m SegModel) budget(b bench.Budget) bench.Budget { return m.Overrides.Apply(b) }

// Name returns "structure".
func (Kind) Name() string { return "structure" }

// Metrics describes what a page-structure task scores:
//
//   - pixel_accuracy, miou and iou_<class> (segmentation only; see
//     SegmentationScores), proportions;
//   - tree_exact_match, a proportion, and tree_edit_distance, the mean
//     normalized Zhang–Shasha distance in [0, 1], lower is better (see
//     TreeScores; the end-to-end models' records have no
//     tree_edit_distance, as the captioning kind does not hand back its
//     captions);
//   - token_accuracy and parse_rate, proportions, for the segmentation
//     pipeline as TreeScores defines them and for the end-to-end models
//     as the captioning kind does (caption.CaptionScores), by the same
//     tokens and the same pooling;
//   - majority_pixel_accuracy, majority_miou, majority_tree_exact_match,
//     majority_tree_edit_distance and majority_token_accuracy: the
//     majority-class mask's scores (see MajorityScores), on every record.
//
// The pages per second of a model are in the record's timings
// (train_samples_per_second, and the test pages over eval_seconds), not in
// its metrics, which --verify compares bit for bit. Page structure
// predicts no labels.
func (Kind) Metrics([]string) []bench.MetricInfo { return metricInfos() }

// archList names the architectures a model entry can have.
func archList() string {
	var names []string
	for _, a := range caption.Archs {
		names = append(names, a.String())
	}
	return SegNetArch + ", or an end-to-end captioner: " + strings.Join(names, ", ")
}

// DecodeModel reads a model entry. "arch" segnet is the segmentation
// pipeline (see SegModel); a captioner's architecture is an end-to-end
// model, whose entry the captioning kind reads (caption.Kind.DecodeModel:
// "arch", "beam" and what else it takes).
func (Kind) DecodeModel(raw []byte) (bench.ModelConfig, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, bench.Fieldf("", "%v: want a JSON object", err)
	}
	var arch *string
	if a, ok := fields["arch"]; ok {
		if err := json.Unmarshal(a, &arch); err != nil {
			return nil, bench.Fieldf("arch", "%s: want string", a)
		}
	}
	if arch == nil {
		return nil, bench.Fieldf("arch", "missing; want %s", archList())
	}
	if *arch != SegNetArch {
		if _, err := caption.ParseArch(*arch); err != nil {
			return nil, bench.Fieldf("arch", "%q: want %s", *arch, archList())
		}
		return caption.Kind{}.DecodeModel(raw)
	}
	var f struct {
		Arch     string   `json:"arch"`
		Epochs   *int     `json:"epochs"`
		Batch    *int     `json:"batch"`
		LR       *float64 `json:"lr"`
		Schedule *string  `json:"schedule"`
		Weights  *string  `json:"class_weights"`
		Deep     *int     `json:"deep"`
		Stem     *int     `json:"stem"`
	}
	if err := bench.DecodeStrict(raw, &f, "arch", "epochs", "batch", "lr", "schedule", "class_weights", "deep", "stem"); err != nil {
		return nil, err
	}
	o, err := bench.DecodeOverrides(f.Epochs, f.Batch, f.LR, f.Schedule)
	if err != nil {
		return nil, err
	}
	m := SegModel{Architecture: SegNetArch, Overrides: o}
	if f.Weights != nil {
		if m.ClassWeights, err = ParseWeighting(*f.Weights); err != nil {
			return nil, bench.Fieldf("class_weights", "%q: want %s", *f.Weights, weightingList())
		}
	}
	if f.Deep != nil {
		if *f.Deep < 0 {
			return nil, bench.Fieldf("deep", "%d: want 0 (no fourth level) or its channels, e.g. 128", *f.Deep)
		}
		m.Deep = *f.Deep
	}
	if f.Stem != nil {
		if *f.Stem < 0 {
			return nil, bench.Fieldf("stem", "%d: want 0 (no stem) or its channels, e.g. 16", *f.Stem)
		}
		m.Stem = *f.Stem
	}
	return m, nil
}

var _ bench.TrainingSharer = Kind{}

// SharedTraining names the training an end-to-end entry shares with the
// task's other entries of its architecture and budget (caption.Kind's
// SharedTraining: one captioner decoded greedily, under the grammar or
// with a beam), so that a suite's shards keep them together and none
// trains the captioner twice. A segnet shares none.
func (Kind) SharedTraining(t bench.Task, spec bench.ModelSpec) string {
	if _, isSeg := spec.Config.(SegModel); isSeg {
		return ""
	}
	return caption.Kind{}.SharedTraining(t, spec)
}

var _ bench.SampleCoster = Kind{}

// SampleCost weighs a page for the shards' dealing: an end-to-end
// captioner's page costs 1, a segnet's segNetPageCost for every 128
// pixels of the page's side. Measured on one core of this 2-core machine
// on 2026-12-03: at 128 px the deep U-Net trained 17.7 pages/s
// (BenchmarkSegNetDeep/128; the reference 23.5) and the captioner 57.5
// (BenchmarkCaptionerPages/stride=2), 3.2 times as many; at 256 px the
// U-Net trained about 4 pages/s (hiddendim train segnet --deep 128) and
// the captioner 31.5 (BenchmarkCaptionerPages256/conv=4), about 7.5
// times as many: the U-Net's cost grows with the pixels, the
// captioner's grid stays 8×8 (caption.MaxGrid). A U-Net with a stem
// costs stemPageCost of one without: its other levels run at half the
// resolution.
func (Kind) SampleCost(t bench.Task, spec bench.ModelSpec) float64 {
	m, isSeg := spec.Config.(SegModel)
	if !isSeg {
		return 1
	}
	stem := 1.0
	if m.Stem > 0 {
		stem = stemPageCost
	}
	side := webpages.Pages{}.DefaultConfig().(*webpages.Config).ImageSize
	if v, err := strconv.Atoi(t.Dataset.Settings["image_size"]); err == nil && v > 0 {
		side = v
	}
	return segNetPageCost * stem * float64(side) / 128
}

// segNetPageCost is a segnet page's cost against a captioner's at 128 px
// (see SampleCost).
const segNetPageCost = 3.2

// stemPageCost is a segnet page's cost with a stem against one without:
// on one core, 2026-12-03, BenchmarkSegNetPages256 trained the deep net
// of 128 channels 4.82 pages/s without a stem and 7.47 with a stem of 16.
const stemPageCost = 4.82 / 7.47

// endToEnd returns the task as the captioning kind reads it: its
// end-to-end models only, with the metrics and expectations captioning
// scores. ok is false if the task has no end-to-end model.
func endToEnd(t bench.Task) (ct bench.Task, ok bool) {
	ct = t
	ct.Kind = caption.Kind{}.Name()
	ct.Models = nil
	for _, m := range t.Models {
		if _, isSeg := m.Config.(SegModel); !isSeg {
			ct.Models = append(ct.Models, m)
		}
	}
	ct.Metrics = slices.Clone(endToEndMetrics)
	ct.Primary = TokenAccuracyMetric
	ct.Expect = nil
	for _, e := range t.Expect {
		if slices.Contains(ct.Metrics, e.Metric) && slices.ContainsFunc(ct.Models, func(m bench.ModelSpec) bool { return m.Name == e.Model }) {
			ct.Expect = append(ct.Expect, e)
		}
	}
	return ct, len(ct.Models) > 0
}

// endToEndMetrics are the metrics an end-to-end model's record has.
var endToEndMetrics = []string{TokenAccuracyMetric, TreeExactMetric, ParseRateMetric}

// CheckTask refuses a task on another dataset than webpages, with labels,
// with an end-to-end model on pages the captioning kind cannot read
// (caption.Kind.CheckTask: pix2code=true), or expecting of an end-to-end
// model a metric only the segmentation pipeline has.
func (Kind) CheckTask(t bench.Task, spec generators.Spec) error {
	if t.Dataset.Generator != (webpages.Pages{}).Name() {
		return bench.Fieldf("dataset.generator", "%q: page structure is read from webpages pages; want webpages", t.Dataset.Generator)
	}
	if len(t.Labels) > 0 {
		return bench.Fieldf("labels", "page structure predicts trees, not labels; leave labels out")
	}
	ct, ok := endToEnd(t)
	if !ok {
		return nil
	}
	for i, e := range t.Expect {
		if slices.ContainsFunc(ct.Models, func(m bench.ModelSpec) bool { return m.Name == e.Model }) &&
			!slices.Contains(endToEndMetrics, e.Metric) && !strings.HasPrefix(e.Metric, majorityPrefix) {
			return bench.Fieldf(fmt.Sprintf("expect[%d].metric", i), "%q: the end-to-end model %s is scored by %s only", e.Metric, e.Model, strings.Join(endToEndMetrics, ", "))
		}
	}
	return caption.Kind{}.CheckTask(ct, spec)
}

// taskData is a page-structure task's splits: read for segmentation,
// and, when the task has end-to-end models, as the captioning kind reads
// them, with the task as it sees it.
type taskData struct {
	trainSplit, testSplit string
	train, test           *Set
	// majority is the majority-class baseline's scores on the test split.
	majority map[string]bench.Metric
	e2e      bench.Data
	e2eTask  bench.Task
}

// SplitHashes maps the train and test split names to their content
// hashes.
func (d *taskData) SplitHashes() map[string]string {
	return map[string]string{d.trainSplit: d.train.SplitSHA256, d.testSplit: d.test.SplitSHA256}
}

// Close frees the end-to-end models the captioning kind trained.
func (d *taskData) Close() error {
	if c, ok := d.e2e.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}

// Load reads the task's train and test splits, scores the majority-class
// baseline on the test split, and, if the task has end-to-end models,
// has the captioning kind load the same splits.
func (Kind) Load(ctx context.Context, dir string, t bench.Task) (bench.Data, error) {
	train, err := LoadSet(dir, t.Dataset.Train)
	if err != nil {
		return nil, err
	}
	test, err := LoadSet(dir, t.Dataset.Test)
	if err != nil {
		return nil, err
	}
	if train.Shape != test.Shape {
		return nil, bench.Mismatchf("structure: %s: train pages are %v, test pages %v", dir, train.Shape, test.Shape)
	}
	maj, err := MajorityScores(test, MajorityClass(train.Masks))
	if err != nil {
		return nil, err
	}
	d := &taskData{trainSplit: t.Dataset.Train, testSplit: t.Dataset.Test, train: train, test: test, majority: maj}
	if ct, ok := endToEnd(t); ok {
		d.e2eTask = ct
		if d.e2e, err = (caption.Kind{}).Load(ctx, dir, ct); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// evalBatch is the batch the U-Net predicts in.
const evalBatch = 16

// Run trains and scores one model. A segnet is trained on the train
// split's class masks with the task's budget (or its own epochs, batch
// and rate), predicts the test split's masks, and is scored through
// DecodePage (PipelineScores). An end-to-end model is the captioning
// kind's run on the same pages (caption.Kind.Run, which shares one
// training between the decodings of an architecture and seed), its
// token_accuracy, tree_exact_match and parse_rate kept. Both get the
// majority-class baseline's scores.
func (Kind) Run(ctx context.Context, j bench.Job, d bench.Data) (bench.Result, error) {
	data, ok := d.(*taskData)
	if !ok {
		return bench.Result{}, fmt.Errorf("structure: %s: data %T is not page structure's", j, d)
	}
	var res bench.Result
	var err error
	switch m := j.Model.Config.(type) {
	case SegModel:
		res, err = runSegNet(ctx, j, m, data)
	default:
		res, err = runEndToEnd(ctx, j, data)
	}
	if err != nil {
		return bench.Result{}, err
	}
	for k, v := range data.majority {
		res.Scores[k] = v
	}
	return res, nil
}

// runEndToEnd runs the job's captioner through the captioning kind.
func runEndToEnd(ctx context.Context, j bench.Job, data *taskData) (bench.Result, error) {
	if data.e2e == nil {
		return bench.Result{}, fmt.Errorf("structure: %s: model config %T, and the task loaded no end-to-end data", j, j.Model.Config)
	}
	cj := j
	cj.Task = data.e2eTask
	res, err := caption.Kind{}.Run(ctx, cj, data.e2e)
	if err != nil {
		return bench.Result{}, err
	}
	scores := map[string]bench.Metric{}
	for _, k := range endToEndMetrics {
		if v, ok := res.Scores[k]; ok {
			scores[k] = v
		}
	}
	res.Scores = scores
	return res, nil
}

// SegNetRecord is a segnet run's model_config: the U-Net and the budget
// it trained with.
type SegNetRecord struct {
	Model  models.SegNetConfig `json:"model"`
	Budget bench.Budget        `json:"budget"`
}

// parsedPerRun is how many test pages a bench run draws (as `hiddendim
// parse` does) when its job asks for pictures.
const parsedPerRun = 2

// runSegNet trains the job's U-Net and scores its masks; with j.Pictures
// set it draws its first test pages' masks and trees there.
func runSegNet(ctx context.Context, j bench.Job, m SegModel, data *taskData) (bench.Result, error) {
	cfg, err := ConfigFor(data.train, m.NetOptions, j.Seed)
	if err != nil {
		return bench.Result{}, err
	}
	net, err := models.NewSegNet(cfg)
	if err != nil {
		return bench.Result{}, err
	}
	defer net.Close()
	b := m.budget(j.Task.Budget)
	tc := models.TrainConfig{Epochs: b.Epochs, Batch: b.Batch, LR: b.LR, Schedule: b.Schedule, Seed: j.Seed}
	what := j.String()
	if j.Progress != nil {
		tc.OnStep = func(step, total int, _ float64) { j.Progress(what, step, total) }
	}
	seg := data.train.Segmentation()
	start := time.Now()
	st, err := models.Train(ctx, net, seg.Len(), net.Feeder(seg), tc, nil)
	if err != nil {
		return bench.Result{}, fmt.Errorf("structure: %s: %w", what, err)
	}
	secs := time.Since(start).Seconds()
	tim := bench.Timings{TrainSeconds: secs, TrainSamplesPerSec: float64(st.Step*b.Batch) / secs, EpochLoss: st.Losses}
	start = time.Now()
	scores, err := evaluate(net, data.test)
	if err != nil {
		return bench.Result{}, fmt.Errorf("structure: %s: %w", what, err)
	}
	tim.EvalSeconds = time.Since(start).Seconds()
	if j.Pictures != "" {
		if _, err := writeParsed(net, data.test.head(min(parsedPerRun, data.test.Len())), j.Pictures); err != nil {
			return bench.Result{}, fmt.Errorf("structure: %s: %w", what, err)
		}
	}
	return bench.Result{Config: SegNetRecord{Model: cfg, Budget: b}, Params: models.Count(net.Params()), Scores: scores, Timings: tim}, nil
}

// evaluate predicts set's masks with net and scores them (PipelineScores).
func evaluate(net *models.SegNet, set *Set) (map[string]bench.Metric, error) {
	pred, err := net.Predict(set.Segmentation(), evalBatch)
	if err != nil {
		return nil, err
	}
	return PipelineScores(set, pred)
}

// NetOptions are a segnet's departures from the reference U-Net. The
// zero value is the reference.
type NetOptions struct {
	// ClassWeights weighs the loss's pixels by class.
	ClassWeights Weighting `json:"class_weights,omitempty"`
	// Deep is the channels of a fourth level (models.SegNetConfig.Deep);
	// 0 has none.
	Deep int `json:"deep,omitempty"`
	// Stem is the channels of a full-resolution level over the others,
	// which then run at half of it (models.SegNetConfig.Stem); 0 has
	// none.
	Stem int `json:"stem,omitempty"`
}

// ConfigFor returns the U-Net for the pages of set: the reference, one
// output per webpages class, with o's deep level and stem and its loss weighted as
// o says (the weights computed from set's masks).
func ConfigFor(set *Set, o NetOptions, seed uint64) (models.SegNetConfig, error) {
	cfg := models.ReferenceSegNet(numClasses, set.Shape[1], seed)
	if o.Deep < 0 {
		return cfg, bench.Mismatchf("structure: deep level of %d channels; want 0 (none) or more", o.Deep)
	}
	if o.Stem < 0 {
		return cfg, bench.Mismatchf("structure: stem of %d channels; want 0 (none) or more", o.Stem)
	}
	cfg.Deep, cfg.Stem = o.Deep, o.Stem
	switch w := o.ClassWeights; w {
	case Unweighted:
	case MedianFrequency:
		cw, err := models.MedianFrequencyWeights(set.Masks, set.plane(), numClasses)
		if err != nil {
			return cfg, fmt.Errorf("structure: class weights: %w", err)
		}
		cfg.ClassWeights = cw
	default:
		return cfg, bench.Mismatchf("structure: class weights %q: want %s", w, weightingList())
	}
	return cfg, nil
}

// Weighting names how a segnet's loss weighs each class's pixels.
type Weighting string

const (
	// Unweighted weighs every pixel alike (the zero value, "none").
	Unweighted Weighting = ""
	// MedianFrequency weighs each class by median frequency balancing
	// of the training masks (models.MedianFrequencyWeights).
	MedianFrequency Weighting = "median"
)

// ParseWeighting reads a weighting's name: "none" (or "") or "median".
func ParseWeighting(s string) (Weighting, error) {
	switch s {
	case "", "none":
		return Unweighted, nil
	case string(MedianFrequency):
		return MedianFrequency, nil
	}
	return "", fmt.Errorf("structure: class weights %q: want %s", s, weightingList())
}

// String returns "none" or "median".
func (w Weighting) String() string {
	if w == Unweighted {
		return "none"
	}
	return string(w)
}

func weightingList() string { return "none or median" }

// Segmentation returns the set as the U-Net reads it; it shares the
// set's slices.
func (s *Set) Segmentation() *models.Segmentation {
	return &models.Segmentation{Images: s.Pixels, Shape: s.Shape, Masks: s.Masks}
}

package caption

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
)

// Arch is a captioner architecture. It marshals as its name
// ("attention", "no-attention").
type Arch int

// The captioner architectures.
const (
	// Attention looks at the encoder's grid through soft attention at
	// every step.
	Attention Arch = iota
	// NoAttention starts from the pooled grid and never looks again.
	NoAttention
)

// Archs lists every architecture, in order.
var Archs = []Arch{Attention, NoAttention}

var archNames = [...]string{Attention: "attention", NoAttention: "no-attention"}

// String returns the architecture's name.
func (a Arch) String() string {
	if !a.valid() {
		return fmt.Sprintf("Arch(%d)", int(a))
	}
	return archNames[a]
}

func (a Arch) valid() bool { return a >= 0 && int(a) < len(archNames) }

// knownArchs names every architecture, for messages.
func knownArchs() string { return strings.Join(archNames[:], ", ") }

// ParseArch returns the architecture named name.
func ParseArch(name string) (Arch, error) {
	for i, n := range archNames {
		if n == name {
			return Arch(i), nil
		}
	}
	return 0, fmt.Errorf("caption: unknown captioner %q; known: %s", name, knownArchs())
}

// MarshalText returns the architecture's name.
func (a Arch) MarshalText() ([]byte, error) {
	if !a.valid() {
		return nil, fmt.Errorf("caption: no architecture %d", int(a))
	}
	return []byte(archNames[a]), nil
}

// UnmarshalText reads an architecture's name.
func (a *Arch) UnmarshalText(b []byte) error {
	v, err := ParseArch(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Model is a captioning task's model: an architecture and how the test
// split is decoded, with a beam width and, for pages, optionally under
// pix2code's grammar. In a suite file it is {"name": "attention-greedy",
// "arch": "attention", "beam": 1}; the fields' order is part of every
// record's run key, and a field at its zero value is left out of it.
type Model struct {
	// Architecture is the captioner's (the field is named so because Arch
	// is the method bench.ModelConfig asks for).
	Architecture Arch `json:"arch"`
	// Beam is the beam width (1: greedy decoding).
	Beam int `json:"beam"`
	// Grammar constrains decoding to the captions' grammar (pix2code's,
	// for webpages; see webpages.Pix2CodeState), so that every caption
	// parses. False decodes freely.
	Grammar bool `json:"grammar,omitempty"`
	// Overrides, when set, replace the task budget's epochs, batch, rate
	// and schedule for this model's training (an end-to-end model in a
	// task whose budget suits another).
	bench.Overrides
}

// budget is the task's budget with the model's own epochs, batch, rate
// and schedule.
func (m Model) budget(b bench.Budget) bench.Budget { return m.Overrides.Apply(b) }

// Arch names the architecture, for the run log.
func (m Model) Arch() string { return m.Architecture.String() }

// Kind is the captioning kind of task: a captioner of an architecture
// trained on a dataset's captions (relations, counting, or pix2code's DSL
// for webpages), scored on its test split decoded greedily or with a beam.
type Kind struct{}

// Name returns "captioning".
func (Kind) Name() string { return "captioning" }

// Metrics describes every metric CaptionScores gives on some dataset:
// all are higher-is-better proportions. Captioning predicts no labels.
func (Kind) Metrics([]string) []bench.MetricInfo {
	seen := map[string]bool{}
	var names []string
	for _, name := range TrainsOn() {
		for _, m := range adapters[name].metrics {
			if !seen[m] {
				seen[m] = true
				names = append(names, m)
			}
		}
	}
	slices.Sort(names)
	out := make([]bench.MetricInfo, len(names))
	for i, n := range names {
		out[i] = bench.Proportion(n)
	}
	return out
}

// DecodeModel reads a model entry's arch and beam, both required, and
// the optional grammar (false), epochs, batch, lr and schedule (the task
// budget's).
func (Kind) DecodeModel(raw []byte) (bench.ModelConfig, error) {
	var f struct {
		Arch     *string  `json:"arch"`
		Beam     *int     `json:"beam"`
		Grammar  bool     `json:"grammar"`
		Epochs   *int     `json:"epochs"`
		Batch    *int     `json:"batch"`
		LR       *float64 `json:"lr"`
		Schedule *string  `json:"schedule"`
	}
	if err := bench.DecodeStrict(raw, &f, "arch", "beam", "grammar", "epochs", "batch", "lr", "schedule"); err != nil {
		return nil, err
	}
	if f.Arch == nil {
		return nil, bench.Fieldf("arch", "missing; want a captioner: %s", knownArchs())
	}
	arch, err := ParseArch(*f.Arch)
	if err != nil {
		return nil, bench.Fieldf("arch", "unknown captioner %q; known: %s", *f.Arch, knownArchs())
	}
	if f.Beam == nil {
		return nil, bench.Fieldf("beam", "missing; want the beam width, at least 1 (1: greedy decoding)")
	}
	if *f.Beam < 1 {
		return nil, bench.Fieldf("beam", "%d: want the beam width, at least 1 (1: greedy decoding)", *f.Beam)
	}
	o, err := bench.DecodeOverrides(f.Epochs, f.Batch, f.LR, f.Schedule)
	if err != nil {
		return nil, err
	}
	m := Model{Architecture: arch, Beam: *f.Beam, Grammar: f.Grammar, Overrides: o}
	return m, nil
}

// CheckTask refuses a dataset captioning does not read or cannot caption
// (pages without pix2code=true), labels (captioning predicts none),
// grammar-constrained models of captions with no grammar to constrain to,
// and metrics or targets the dataset's captions are not scored by.
func (Kind) CheckTask(t bench.Task, spec generators.Spec) error {
	gen := t.Dataset.Generator
	a, ok := adapters[gen]
	if !ok {
		return bench.Fieldf("dataset.generator", "captioning reads %s datasets, not %s", strings.Join(TrainsOn(), ", "), gen)
	}
	if len(t.Labels) > 0 {
		return bench.Fieldf("labels", "captioning predicts captions, not labels; leave labels out")
	}
	if a.check != nil {
		if err := a.check(spec.Config); err != nil {
			return bench.Fieldf("dataset.settings", "%v", err)
		}
	}
	for i, m := range t.Models {
		if mc, ok := modelOf(m.Config); ok && mc.Grammar && a.grammar == nil {
			return bench.Fieldf(fmt.Sprintf("models[%d].grammar", i), "only webpages captions (pix2code) have a grammar to constrain decoding to, not %s captions; leave grammar out", gen)
		}
	}
	for i, m := range t.Metrics {
		if !slices.Contains(a.metrics, m) {
			return bench.Fieldf(fmt.Sprintf("metrics[%d]", i), "%s captions are not scored by %q; they are by %s", gen, m, strings.Join(a.metrics, ", "))
		}
	}
	for i, e := range t.Expect {
		if !slices.Contains(a.metrics, e.Metric) {
			return bench.Fieldf(fmt.Sprintf("expect[%d].metric", i), "%s captions are not scored by %q; they are by %s", gen, e.Metric, strings.Join(a.metrics, ", "))
		}
	}
	return nil
}

// taskData is a captioning task's loaded splits and the captioners
// trained on them so far.
type taskData struct {
	train, test *CaptionSet
	splits      map[string]string
	// mu serializes runs: they share the training split's tokens and the
	// trained captioners' graphs.
	mu      sync.Mutex
	trained map[trainKey]*trainedCaptioner
}

// trainKey names one training: the decodings of an (architecture, seed,
// budget) share it within a pass.
type trainKey struct {
	arch   Arch
	seed   uint64
	pass   int
	budget bench.Budget
}

// trainedCaptioner is a trained captioner shared by the decodings of one
// (architecture, seed) within a task run.
type trainedCaptioner struct {
	c       *models.Captioner
	vocab   *Vocab
	timings bench.Timings
}

// SplitHashes maps the train and test splits to their content SHA-256.
func (d *taskData) SplitHashes() map[string]string { return d.splits }

// Close frees the trained captioners' graphs; the kernel calls it when the
// task's runs are done.
func (d *taskData) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, tr := range d.trained {
		tr.c.Close()
		delete(d.trained, k)
	}
	return nil
}

// Load reads a task's train and test splits.
func (Kind) Load(_ context.Context, dir string, t bench.Task) (bench.Data, error) {
	train, err := LoadCaptionSet(dir, t.Dataset.Train)
	if err != nil {
		return nil, err
	}
	test, err := LoadCaptionSet(dir, t.Dataset.Test)
	if err != nil {
		return nil, err
	}
	return &taskData{train: train, test: test, trained: map[trainKey]*trainedCaptioner{},
		splits: map[string]string{t.Dataset.Train: train.SplitSHA256, t.Dataset.Test: test.SplitSHA256}}, nil
}

// sampleShares are the metrics that are shares of the test samples, which
// get Wilson intervals; the others are exact.
var sampleShares = map[string]bool{"exact_match": true, "canonical_exact_match": true, "caption_truth": true, "parse_rate": true, "tree_exact_match": true}

// Run trains (or reuses) the architecture's captioner and scores its
// decoding. Training is a pure function of (architecture, seed, data,
// budget: the task's, with the model's own epochs, batch and rate), so
// the greedy, beam and grammar entries share one; each pass (j.Pass 1
// is the --verify rerun) trains its own, so a verified record is one
// trained twice.
func (Kind) Run(ctx context.Context, j bench.Job, d bench.Data) (bench.Result, error) {
	data, ok := d.(*taskData)
	if !ok {
		return bench.Result{}, fmt.Errorf("caption: %s: data of type %T, not captioning's", j, d)
	}
	m, ok := modelOf(j.Model.Config)
	if !ok {
		return bench.Result{}, fmt.Errorf("caption: %s: model config of type %T, not a caption.Model", j, j.Model.Config)
	}
	data.mu.Lock()
	defer data.mu.Unlock()
	j.Task.Budget = m.budget(j.Task.Budget)
	key := trainKey{m.Architecture, j.Seed, j.Pass, j.Task.Budget}
	tr, ok := data.trained[key]
	if !ok {
		c, vocab, err := NewCaptionerFor(data.train, m.Architecture, j.Seed, -1)
		if err != nil {
			return bench.Result{}, err
		}
		data.train.Encode(vocab, c.Config.Steps)
		tim, err := j.Train(ctx, c, data.train.Len(), c.Feeder(data.train.Images))
		if err != nil {
			c.Close()
			return bench.Result{}, err
		}
		tr = &trainedCaptioner{c: c, vocab: vocab, timings: tim}
		data.trained[key] = tr
	}
	start := time.Now()
	gen, err := GenerateCaptionsWith(tr.c, tr.vocab, data.test, nil, GenerateOptions{Beam: m.Beam, Grammar: m.Grammar})
	if err != nil {
		return bench.Result{}, err
	}
	tim := tr.timings
	tim.EvalSeconds = time.Since(start).Seconds()
	gh, gw := tr.c.Grid()
	n := data.test.Len()
	scores := map[string]bench.Metric{}
	for k, v := range CaptionScores(data.test, gen, gh, gw) {
		if sampleShares[k] {
			scores[k] = bench.Wilson(int(v*float64(n)+0.5), n)
		} else {
			scores[k] = bench.Exact(v)
		}
	}
	if j.Pictures != "" {
		if err := writeStrips(j.Pictures, data.test, gen, gh, gw); err != nil {
			return bench.Result{}, fmt.Errorf("caption: %s: %w", j, err)
		}
	}
	return bench.Result{Config: tr.c.Config, Params: models.Count(tr.c.Params()), Scores: scores, Timings: tim}, nil
}

var _ bench.TrainingSharer = Kind{}

// SharedTraining names the training a model shares with the task's other
// entries of its architecture and budget (see Run): the shards of a suite
// keep them together, so that none trains the captioner twice.
func (Kind) SharedTraining(t bench.Task, spec bench.ModelSpec) string {
	m, ok := modelOf(spec.Config)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%v %+v", m.Architecture, m.budget(t.Budget))
}

// modelOf reads a job's model config.
func modelOf(cfg bench.ModelConfig) (Model, bool) {
	switch m := cfg.(type) {
	case Model:
		return m, true
	case *Model:
		return *m, m != nil
	}
	return Model{}, false
}

// NewCaptionerFor sizes a reference captioner for a training split: the
// vocabulary from its captions (for pages, with every pix2code word), the
// steps from its longest caption, the input from its images, and for
// pages learned grid positions. Images of
// StrideFrom pixels and more (128×128 pages) are halved by a stride-2
// first convolution, and larger ones pooled by more convolutions down to
// a grid of MaxGrid×MaxGrid cells. A negative lambda keeps the reference λ.
func NewCaptionerFor(train *CaptionSet, arch Arch, seed uint64, lambda float64) (*models.Captioner, *Vocab, error) {
	if !arch.valid() {
		return nil, nil, fmt.Errorf("caption: unknown captioner %v; known: %s", arch, knownArchs())
	}
	a := adapters[train.Dataset]
	vocab := BuildVocab(train.Captions)
	if a.vocab != nil {
		vocab = a.vocab(train.Captions)
	}
	cfg := models.ReferenceCaptioner(len(vocab.Words), train.MaxWords()+1, arch == Attention, seed)
	cfg.Input = train.Images.Shape
	cfg.Positions = a.positions
	if cfg.Input[1] >= StrideFrom && cfg.Input[2] >= StrideFrom {
		cfg.Stride = 2
		// Larger pages get more convolutions of the last one's width,
		// each halving the grid, until it is at most MaxGrid cells a side.
		side := min(cfg.Input[1], cfg.Input[2]) / 2 >> len(cfg.Conv)
		for ; side > MaxGrid && side%2 == 0; side /= 2 {
			cfg.Conv = append(cfg.Conv, cfg.Conv[len(cfg.Conv)-1])
		}
	}
	if lambda >= 0 {
		cfg.Lambda = lambda
	}
	c, err := models.NewCaptioner(cfg)
	return c, vocab, err
}

// MaxGrid is the largest grid side NewCaptionerFor's captioner keeps for
// images of StrideFrom pixels and more. At 256×256 pages the stride-2
// first convolution and three more give a 16×16 grid, and the attention
// over its 256 cells at each of some 110 decoder steps took most of the
// training time: a fourth convolution (64 channels) gives 8×8, as at 128
// pixels, and trains 2.4 times as fast (BenchmarkCaptionerPages256, one
// core, 2026-12-03: 28.5 against 11.8 pages/s).
const MaxGrid = 8

// StrideFrom is the image side from which NewCaptionerFor's captioner
// halves its input with a stride-2 first convolution. At 128×128 pages,
// three convolutions without it give a 16×16 grid at 13 pages/s, and 8,000
// page-epochs (125 updates at batch 64) in the standard suite's minutes
// taught the decoder only the most frequent tokens; with it, the grid is
// 8×8 and training runs about three times as fast (BenchmarkCaptionerPages,
// batch 16: 60–64 against 19–23 pages/s, interleaved on 2 loaded cores).
const StrideFrom = 128

// GenerateCaptions decodes captions for the samples idx of a set (nil
// means all) with the given beam width (1: greedy).
func GenerateCaptions(c *models.Captioner, v *Vocab, set *CaptionSet, idx []int, beam int) ([]Generated, error) {
	return GenerateCaptionsWith(c, v, set, idx, GenerateOptions{Beam: beam})
}

// GenerateOptions configure GenerateCaptionsWith; the zero value is
// greedy decoding without a grammar.
type GenerateOptions struct {
	// Beam is the beam width; below 1 it is 1 (greedy decoding).
	Beam int
	// Grammar constrains decoding to the set's caption grammar (pages
	// only: pix2code's), so that every caption parses.
	Grammar bool
}

// GenerateCaptionsWith decodes captions for the samples idx of a set (nil
// means all) as the options say. Grammar on a set whose captions have no
// grammar is an error.
func GenerateCaptionsWith(c *models.Captioner, v *Vocab, set *CaptionSet, idx []int, o GenerateOptions) ([]Generated, error) {
	do := models.DecodeOptions{Beam: max(o.Beam, 1)}
	if o.Grammar {
		a := adapters[set.Dataset]
		if a.grammar == nil {
			return nil, fmt.Errorf("caption: %s captions have no grammar to decode under; only webpages (pix2code) do", set.Dataset)
		}
		do.Allow = a.grammar(v)
	}
	if set.Images.Shape != c.Config.Input {
		return nil, fmt.Errorf("caption: images are %v, the captioner takes %v", set.Images.Shape, c.Config.Input)
	}
	if idx == nil {
		idx = make([]int, len(set.Captions))
		for i := range idx {
			idx[i] = i
		}
	}
	dec, err := c.DecodeWith(set.Images, idx, do)
	if err != nil {
		return nil, err
	}
	out := make([]Generated, len(dec))
	for i, d := range dec {
		for _, id := range d.Tokens {
			if id < len(v.Words) {
				out[i].Words = append(out[i].Words, v.Words[id])
			}
		}
		out[i].Alphas = d.Alphas
	}
	return out, nil
}

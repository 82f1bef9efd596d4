package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
)

// Captioner architectures.
const (
	// AttentionArch looks at the grid through soft attention at every step.
	AttentionArch = "attention"
	// NoAttentionArch starts from the pooled grid and never looks again.
	NoAttentionArch = "no-attention"
)

var captionMetrics = []string{"canonical_exact_match", "caption_truth", "exact_match", "parse_rate", "slot_accuracy", "bleu4", "attention_correctness"}

// captioners are the four entries of a captioning board: attention or
// not, greedy or beam-3 decoding. The two decodings of one architecture
// share one training (see captionRun).
func captioners() []ModelSpec {
	var out []ModelSpec
	for _, arch := range []string{AttentionArch, NoAttentionArch} {
		out = append(out, ModelSpec{Name: arch + "-greedy", Arch: arch, Beam: 1}, ModelSpec{Name: arch + "-beam3", Arch: arch, Beam: 3})
	}
	return out
}

func captionTask(name, gen string, settings map[string]string, train, test int, budget Budget, seeds []uint64, expect []Expectation) Task {
	metrics, primary := captionMetrics, "canonical_exact_match"
	switch gen {
	case "relations":
		metrics = append(append([]string{}, metrics...), "relation_accuracy_given_objects")
	case "webpages":
		// Screenshot to pix2code: pix2code reports token accuracy; a page
		// has no scene graph to judge truth against, so no caption_truth.
		metrics, primary = []string{"token_accuracy", "tree_exact_match", "exact_match", "parse_rate", "bleu4"}, "token_accuracy"
	}
	return Task{
		Name: name, Version: "1.1.0", Kind: "captioning", // 1.1.0: caption_truth
		Dataset: DatasetSpec{Generator: gen, Version: version(gen), Seed: 7, Settings: settings,
			Splits: []generators.SplitSize{{Name: "train", Count: train}, {Name: "test", Count: test}}, Train: "train", Test: "test"},
		Models: captioners(), Budget: budget, Seeds: seeds, Metrics: metrics, Primary: primary, Expect: expect,
	}
}

// CaptionerMeta is what a captioner checkpoint records besides the weights.
type CaptionerMeta struct {
	Model   models.CaptionerConfig `json:"model"`
	Words   []string               `json:"vocab"`
	Dataset string                 `json:"dataset"`
	Budget  Budget                 `json:"budget"`
}

// NewCaptionerFor sizes a reference captioner for a training split: the
// vocabulary from its captions, the steps from its longest caption. A
// negative lambda keeps the reference λ.
func NewCaptionerFor(train *CaptionSet, arch string, seed uint64, lambda float64) (*models.Captioner, *Vocab, error) {
	if arch != AttentionArch && arch != NoAttentionArch {
		return nil, nil, fmt.Errorf("bench: unknown captioner %q; want %s or %s", arch, AttentionArch, NoAttentionArch)
	}
	vocab := BuildVocab(train.Captions)
	cfg := models.ReferenceCaptioner(len(vocab.Words), train.MaxWords()+1, arch == AttentionArch, seed)
	cfg.Input = train.Images.Shape
	if lambda >= 0 {
		cfg.Lambda = lambda
	}
	c, err := models.NewCaptioner(cfg)
	return c, vocab, err
}

// trainedCaptioner is a trained captioner shared by the decodings of one
// (architecture, seed) within a task run.
type trainedCaptioner struct {
	c       *models.Captioner
	vocab   *Vocab
	timings Timings
}

func loadCaptionTask(dir string, t Task) (*taskData, error) {
	train, err := LoadCaptionSet(dir, t.Dataset.Train)
	if err != nil {
		return nil, err
	}
	test, err := LoadCaptionSet(dir, t.Dataset.Test)
	if err != nil {
		return nil, err
	}
	return &taskData{capTrain: train, capTest: test, trained: map[string]*trainedCaptioner{}, passes: map[string]int{},
		dataset: newDatasetRecord(t, train.SplitSHA256, test.SplitSHA256)}, nil
}

// runCaptioning trains (or reuses) the architecture's captioner and scores
// its decoding. Training is a pure function of (architecture, seed, data,
// budget), so the greedy and beam entries share one; each --verify pass
// trains its own, so a verified record is one trained twice.
func runCaptioning(ctx context.Context, suite string, t Task, m ModelSpec, seed uint64, d *taskData, opt Options) (Record, error) {
	specKey := fmt.Sprintf("%s/%d", m.Name, seed)
	pass := d.passes[specKey]
	d.passes[specKey]++
	key := fmt.Sprintf("%s/%d/%d", m.Arch, seed, pass)
	tr, ok := d.trained[key]
	if !ok {
		c, vocab, err := NewCaptionerFor(d.capTrain, m.Arch, seed, -1)
		if err != nil {
			return Record{}, err
		}
		d.capTrain.Encode(vocab, c.Config.Steps)
		tim, err := trainForTask(ctx, t, m, seed, c, d.capTrain.Len(), c.Feeder(d.capTrain.Images), opt)
		if err != nil {
			return Record{}, err
		}
		tr = &trainedCaptioner{c: c, vocab: vocab, timings: tim}
		d.trained[key] = tr
	}
	start := time.Now()
	gen, err := GenerateCaptions(tr.c, tr.vocab, d.capTest, nil, max(m.Beam, 1))
	if err != nil {
		return Record{}, err
	}
	tim := tr.timings
	tim.EvalSeconds = time.Since(start).Seconds()
	gh, gw := tr.c.Grid()
	scores := map[string]Metric{}
	for k, v := range CaptionScores(d.capTest, gen, gh, gw) {
		switch k {
		case "exact_match", "canonical_exact_match", "caption_truth", "parse_rate", "tree_exact_match": // shares of samples: Wilson intervals
			scores[k] = Wilson(int(v*float64(d.capTest.Len())+0.5), d.capTest.Len())
		default:
			scores[k] = exact(v)
		}
	}
	return newRecord(suite, t, m, seed, d.dataset, tr.c.Config, models.Count(tr.c.Params()), scores,
		tim, opt), nil
}

// GenerateCaptions decodes captions for the samples idx of a set (nil
// means all) with the given beam width (1: greedy).
func GenerateCaptions(c *models.Captioner, v *Vocab, set *CaptionSet, idx []int, beam int) ([]Generated, error) {
	if set.Images.Shape != c.Config.Input {
		return nil, fmt.Errorf("bench: images are %v, the captioner takes %v", set.Images.Shape, c.Config.Input)
	}
	if idx == nil {
		idx = make([]int, len(set.Captions))
		for i := range idx {
			idx[i] = i
		}
	}
	dec, err := c.Decode(set.Images, idx, beam)
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

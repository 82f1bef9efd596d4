package bench

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// toyKind is a kind of task that trains nothing: a run scores its model's
// bias plus a tenth of the seed. It lets the kernel's tests exercise the
// run loop, records, the suite reader and leaderboards in milliseconds.
type toyKind struct {
	// flaky makes every second run score differently, for --verify.
	flaky *int
	// closed counts the data the kernel closed.
	closed *int
	// pictures collects each run's picture folder.
	pictures *[]string
}

type toyModel struct {
	Bias float64 `json:"bias"`
}

func (toyModel) Arch() string { return "toy" }

type toyData struct {
	splits map[string]string
	closed *int
}

func (d toyData) SplitHashes() map[string]string { return d.splits }

func (d toyData) Close() error {
	if d.closed != nil {
		*d.closed++
	}
	return nil
}

func (toyKind) Name() string { return "toy" }

func (toyKind) Metrics(labels []string) []MetricInfo {
	out := []MetricInfo{Proportion("score"), Unbounded("loss", true)}
	for _, l := range labels {
		out = append(out, Proportion(l+"_score"))
	}
	return out
}

func (toyKind) DecodeModel(raw []byte) (ModelConfig, error) {
	var m toyModel
	if err := DecodeStrict(raw, &m, "bias"); err != nil {
		return nil, err
	}
	if m.Bias < 0 {
		return nil, Fieldf("bias", "%v: want at least 0", m.Bias)
	}
	return m, nil
}

func (toyKind) CheckTask(t Task, spec generators.Spec) error {
	if len(t.Labels) > 0 {
		return Fieldf("labels", "toy predicts no labels")
	}
	return nil
}

func (k toyKind) Load(ctx context.Context, dir string, t Task) (Data, error) {
	m, err := generators.ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	return toyData{map[string]string{t.Dataset.Train: m.Splits[t.Dataset.Train].SHA256, t.Dataset.Test: m.Splits[t.Dataset.Test].SHA256}, k.closed}, nil
}

func (k toyKind) Run(ctx context.Context, j Job, d Data) (Result, error) {
	m := j.Model.Config.(toyModel)
	v := m.Bias + float64(j.Seed)/10
	if k.flaky != nil {
		*k.flaky++
		if *k.flaky%2 == 0 {
			v += 1e-9
		}
	}
	if j.Progress != nil {
		j.Progress(j.String(), 1, 1)
	}
	if k.pictures != nil {
		*k.pictures = append(*k.pictures, j.Pictures)
	}
	return Result{Config: m, Params: 7, Scores: map[string]Metric{"score": Exact(v), "loss": Exact(math.Abs(1 - v))}}, nil
}

// toySuite is a suite file of one toy task on 40 shapes samples.
func toySuite(extra string) []byte {
	return []byte(fmt.Sprintf(`{"name": "tiny", "description": "toy", "tasks": [{
  "name": "toy-task", "version": "1.0.0", "kind": "toy",
  "dataset": {"generator": "shapes", "version": %q, "seed": 7, "settings": {"image_size": "16", "size_min": "8", "size_max": "12"},
              "splits": [{"name": "train", "count": 24}, {"name": "test", "count": 16}], "train": "train", "test": "test"},
  "models": [{"name": "a", "bias": 0.5}, {"name": "b", "bias": 0.2}],
  "budget": {"epochs": 1, "batch": 8, "lr": 0.001},
  "seeds": [1, 2],
  "metrics": ["score", "loss", "params"], "primary": "score"%s}]}`, generators.Shapes{}.Version().String(), extra))
}

func toyHarness(k toyKind) *Harness {
	return NewHarness(generators.NewRegistry(generators.Shapes{}), k)
}

// otherData is data of another kind, which Unpack must refuse.
type otherData struct{}

func (otherData) SplitHashes() map[string]string { return nil }

// otherModel is another kind's model config, which Unpack must refuse.
type otherModel struct{}

func (otherModel) Arch() string { return "other" }

func TestUnpack(t *testing.T) {
	j := Job{Model: ModelSpec{Name: "m", Config: toyModel{}}}
	if _, _, err := Unpack[toyData, toyModel](j, toyData{}); err != nil {
		t.Fatalf("a toy job's own data and model: %v", err)
	}
	if _, _, err := Unpack[toyData, toyModel](j, otherData{}); err == nil || !strings.Contains(err.Error(), "data bench.otherData is not bench.toyData") {
		t.Errorf("other data: %v", err)
	}
	j.Model.Config = otherModel{}
	if _, _, err := Unpack[toyData, toyModel](j, toyData{}); err == nil || !strings.Contains(err.Error(), "model config bench.otherModel is not bench.toyModel") {
		t.Errorf("other model: %v", err)
	}
}

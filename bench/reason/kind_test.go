package reason

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/benchtest"
	"github.com/hiddendim/hiddendim/clevrlite"
	"github.com/hiddendim/hiddendim/models"
)

func harness() *bench.Harness { return bench.NewHarness(registry(), Kind{}) }

func clevrliteVersion() string { return (clevrlite.SortOfCLEVR{}).Version().String() }

// task is a reasoning task of a suite file, its fields filled in from the
// defaults below where edit leaves them.
func task(edit func(map[string]any)) map[string]any {
	tk := map[string]any{
		"name": "tiny-reasoning", "version": "1.0.0", "kind": "reasoning",
		"dataset": map[string]any{"generator": "clevrlite", "version": clevrliteVersion(), "seed": 7,
			"splits": []map[string]any{{"name": "train", "count": 24}, {"name": "test", "count": 8}},
			"train":  "train", "test": "test"},
		"models":  []map[string]any{{"name": "state-rn", "arch": "state-rn"}},
		"budget":  map[string]any{"epochs": 1, "batch": 32, "lr": 0.002},
		"seeds":   []int{1},
		"metrics": []string{"accuracy", "binary_accuracy", "majority_accuracy"},
		"primary": "accuracy",
	}
	if edit != nil {
		edit(tk)
	}
	return tk
}

func suiteJSON(t *testing.T, tasks ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"name": "tiny", "description": "reasoning tests", "tasks": tasks})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReasoningSuite runs a tiny suite with Verify: a state-rn and a
// cnn-mlp, each trained twice to the same scores, every metric recorded.
func TestReasoningSuite(t *testing.T) {
	dir := t.TempDir()
	h := harness()
	s, err := h.ReadSuite("tiny.json", suiteJSON(t, task(func(tk map[string]any) {
		tk["models"] = []map[string]any{{"name": "state-rn", "arch": "state-rn"}, {"name": "cnn-mlp", "arch": "cnn-mlp"}}
	})))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := h.Run(context.Background(), s, bench.Options{Out: filepath.Join(dir, "r.jsonl"), CacheDir: filepath.Join(dir, "cache"), Verify: true, Pictures: filepath.Join(dir, "pics")})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2", len(recs))
	}
	benchtest.CheckPictures(t, filepath.Join(dir, "pics"), recs, "explain_0.png", "explain_2.png")
	for _, r := range recs {
		for _, m := range metricInfos() {
			if m.Name == QuestionsTo90Metric {
				continue // reached or not: not after one tiny epoch
			}
			v, ok := r.Metrics[m.Name]
			if !ok || math.IsNaN(v.Value) || v.CI95 == nil {
				t.Errorf("%s: %s = %+v (present %v), want a value with its interval", r.Model, m.Name, v, ok)
			}
		}
		if r.Timings.TrainSamplesPerSec <= 0 || len(r.Dataset.Splits) != 2 {
			t.Errorf("%s: timings %+v, splits %v", r.Model, r.Timings, r.Dataset.Splits)
		}
		var cfg models.ReasonerConfig
		if err := json.Unmarshal(r.ModelConfig, &cfg); err != nil || cfg.Arch.String() != r.Model {
			t.Errorf("%s: model config %s", r.Model, r.ModelConfig)
		}
	}
	if a, b := recs[0].Metrics[MajorityMetric], recs[1].Metrics[MajorityMetric]; a.Value != b.Value || *a.CI95 != *b.CI95 {
		t.Error("the majority baseline differs between models of one task")
	}
	if recs[0].Params == recs[1].Params {
		t.Errorf("state-rn and cnn-mlp both have %d parameters", recs[0].Params)
	}
}

func TestDecodeModel(t *testing.T) {
	tests := []struct {
		raw       string
		want      models.ReasonerArch
		epochs    int
		questions int
		field     string // "" for accepted
		msg       string
	}{
		{`{"arch": "rn"}`, models.RN, 0, 0, "", ""},
		{`{"arch": "cnn-mlp"}`, models.CNNMLP, 0, 0, "", ""},
		{`{"arch": "state-rn"}`, models.StateRN, 0, 0, "", ""},
		{`{"arch": "state-rn", "epochs": 12}`, models.StateRN, 12, 0, "", ""},
		{`{"arch": "rn", "questions": 15000}`, models.RN, 0, 15000, "", ""},
		{`{}`, 0, 0, 0, "arch", "missing; want rn, cnn-mlp, state-rn, state-mlp or question-only"},
		{`{"arch": "mlp"}`, 0, 0, 0, "arch", `"mlp": want rn, cnn-mlp, state-rn, state-mlp or question-only`},
		{`{"arch": 2}`, 0, 0, 0, "arch", "want string"},
		{`{"arch": "rn", "hidden": 64}`, 0, 0, 0, "hidden", "unknown field; known: arch, epochs, questions"},
		{`{"arch": "rn", "epochs": 0}`, 0, 0, 0, "epochs", "0: want at least 1"},
		{`{"arch": "rn", "questions": 0}`, 0, 0, 0, "questions", "0: want at least 1"},
		{`{"arch": "rn", "epochs": 2, "questions": 640}`, 0, 0, 0, "questions", "want one budget: epochs or questions"},
		{`{"arch": "rn", "epochs": "3"}`, 0, 0, 0, "epochs", "want int"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			cfg, err := Kind{}.DecodeModel([]byte(tt.raw))
			if tt.field == "" {
				if err != nil || cfg.(Model).Architecture != tt.want || cfg.(Model).Epochs != tt.epochs || cfg.(Model).Questions != tt.questions {
					t.Fatalf("decoded %+v (%v), want %v with epochs %d, questions %d", cfg, err, tt.want, tt.epochs, tt.questions)
				}
				b, _ := json.Marshal(cfg)
				want := `{"arch":"` + tt.want.String() + `"}`
				if tt.epochs > 0 {
					want = fmt.Sprintf(`{"arch":"%s","epochs":%d}`, tt.want, tt.epochs)
				}
				if tt.questions > 0 {
					want = fmt.Sprintf(`{"arch":"%s","questions":%d}`, tt.want, tt.questions)
				}
				if string(b) != want {
					t.Errorf("marshals as %s, want %s", b, want)
				}
				return
			}
			var fe *bench.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Msg, tt.msg) {
				t.Fatalf("error %v, want a FieldError at %s containing %q", err, tt.field, tt.msg)
			}
		})
	}
}

// TestSuiteRefusals checks that a suite's reasoning task on data the
// reasoners cannot read is refused at the field at fault.
func TestSuiteRefusals(t *testing.T) {
	h := harness()
	setDataset := func(key string, v any) func(map[string]any) {
		return func(tk map[string]any) { tk["dataset"].(map[string]any)[key] = v }
	}
	tests := []struct {
		name  string
		edit  func(map[string]any)
		field string
		msg   string
	}{
		{"shapes", func(tk map[string]any) {
			d := tk["dataset"].(map[string]any)
			d["generator"], d["version"] = "shapes", (registryVersion("shapes"))
		}, "tasks[0].dataset.generator", `"shapes": the reasoners answer clevrlite's sortofclevr questions; want clevrlite`},
		{"programs", setDataset("settings", map[string]string{"questions": "programs"}), "tasks[0].dataset.settings", `questions "programs"`},
		{"sequence", setDataset("settings", map[string]string{"sequence": "true"}), "tasks[0].dataset.settings", "sequence: the sequence and causal questions"},
		{"labels", func(tk map[string]any) { tk["labels"] = []string{"shape"} }, "tasks[0].labels", "reasoning predicts answers, not labels"},
		{"an unknown arch", func(tk map[string]any) { tk["models"] = []map[string]any{{"name": "x", "arch": "lstm"}} }, "tasks[0].models[0].arch", `"lstm": want rn, cnn-mlp, state-rn, state-mlp or question-only`},
		{"a size", func(tk map[string]any) { tk["models"] = []map[string]any{{"name": "x", "arch": "rn", "width": 128}} }, "tasks[0].models[0].width", "unknown field; known: arch"},
		{"a metric of another kind", func(tk map[string]any) { tk["metrics"] = []string{"accuracy", "subset_accuracy"} }, "tasks[0].metrics[1]", `reasoning does not score "subset_accuracy"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.ReadSuite("tiny.json", suiteJSON(t, task(tt.edit)))
			var fe *bench.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Msg, tt.msg) {
				t.Fatalf("error %v, want a FieldError at %s containing %q", err, tt.field, tt.msg)
			}
		})
	}
}

func registryVersion(name string) string {
	ds, _ := registry().Lookup(name)
	return ds.Version().String()
}

// TestQuestionsBudget: a model's "questions" trains it on that many
// questions, whole batches, whatever the task's epochs say.
func TestQuestionsBudget(t *testing.T) {
	cache := filepath.Join(t.TempDir(), "cache") // one dataset for every case
	for _, tc := range []struct {
		questions, steps int
	}{{64, 2}, {100, 3}, {5, 1}} {
		t.Run(fmt.Sprint(tc.questions), func(t *testing.T) {
			dir := t.TempDir()
			h := harness()
			s, err := h.ReadSuite("tiny.json", suiteJSON(t, task(func(tk map[string]any) {
				tk["models"] = []map[string]any{{"name": "state-rn", "arch": "state-rn", "questions": tc.questions}}
				tk["budget"] = map[string]any{"epochs": 3, "batch": 32, "lr": 0.002}
			})))
			if err != nil {
				t.Fatal(err)
			}
			totals := map[int]bool{}
			opt := bench.Options{Out: filepath.Join(dir, "r.jsonl"), CacheDir: cache,
				Progress: func(what string, done, total int) {
					if strings.Contains(what, "state-rn") {
						totals[total] = true
					}
				}}
			if _, err := h.Run(context.Background(), s, opt); err != nil {
				t.Fatal(err)
			}
			if len(totals) != 1 || !totals[tc.steps] {
				t.Errorf("training reported totals %v, want %d steps", totals, tc.steps)
			}
		})
	}
}

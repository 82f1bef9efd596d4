package classify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/benchtest"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/scenes"
)

// registry is the datasets the tests read: shapes (labels shape and
// color), counting (label family) and relations (no labels).
func registry() *generators.Registry {
	return generators.NewRegistry(generators.Shapes{}, scenes.Counting{}, scenes.Relations{})
}

func harness() *bench.Harness { return bench.NewHarness(registry(), Kind{}) }

// tinyTask is a classification task on small shapes with "red square"
// held out, as suite-file JSON: two small models for one epoch on 256
// samples, two seeds. Edits replace or add top-level fields of the task.
func tinyTask(edits map[string]string) string {
	fields := map[string]string{
		"name": `"tiny"`, "version": `"1.0.0"`, "kind": `"classification"`,
		"dataset": fmt.Sprintf(`{"generator": "shapes", "version": %q, "seed": 7, "settings": {"holdout": "red square"},
			"splits": [{"name": "train", "count": 256}, {"name": "test", "count": 96}], "train": "train", "test": "test"}`, generators.Shapes{}.Version()),
		"labels": `["shape", "color"]`,
		"models": `[{"name": "multilabel", "arch": "multilabel", "conv": [4, 8], "hidden": 16},
			{"name": "combo", "arch": "combo", "conv": [4, 8], "hidden": 16}]`,
		"budget":  `{"epochs": 1, "batch": 32, "lr": 0.002}`,
		"seeds":   `[1, 2]`,
		"metrics": `["heldout_subset_accuracy", "subset_accuracy", "shape_accuracy", "color_accuracy", "hamming_loss", "macro_f1", "params"]`,
		"primary": `"heldout_subset_accuracy"`,
	}
	for k, v := range edits {
		fields[k] = v
	}
	var parts []string
	for _, k := range []string{"name", "version", "kind", "dataset", "labels", "models", "budget", "seeds", "metrics", "primary", "expect"} {
		if v, ok := fields[k]; ok && v != "" {
			parts = append(parts, fmt.Sprintf("%q: %s", k, v))
		}
	}
	return "{" + strings.Join(parts, ",\n") + "}"
}

// tinySuite reads a suite of the tiny task with edits through the harness.
func tinySuite(t *testing.T, edits map[string]string) bench.Suite {
	t.Helper()
	s, err := harness().ReadSuite("tiny", []byte(`{"name": "tiny", "tasks": [`+tinyTask(edits)+`]}`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunRecordsResumesAndVerifies(t *testing.T) {
	dir := t.TempDir()
	h := harness()
	opt := bench.Options{Out: filepath.Join(dir, "r.jsonl"), CacheDir: filepath.Join(dir, "cache"), Verify: true, Pictures: filepath.Join(dir, "pics")}
	recs, err := h.Run(context.Background(), tinySuite(t, nil), opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want 2 models × 2 seeds", len(recs))
	}
	benchtest.CheckPictures(t, opt.Pictures, recs, "filters_t0.png", "activations_0.png", "activations_1.png")
	opt.Pictures = ""
	for _, r := range recs {
		for _, name := range []string{"subset_accuracy", "heldout_subset_accuracy", "shape_accuracy", "color_accuracy", "hamming_loss", "macro_f1", "params"} {
			if _, ok := r.Metrics[name]; !ok {
				t.Errorf("%s seed %d: record lacks metric %s: %v", r.Model, r.Seed, name, r.Metrics)
			}
		}
		if r.Metrics["subset_accuracy"].CI95 == nil || r.Metrics["macro_f1"].CI95 == nil || r.Dataset.Splits["train"] == "" || r.Dataset.Splits["test"] == "" ||
			r.Env.GOMAXPROCS == 0 || r.Params == 0 || r.Metrics["params"].Value != float64(r.Params) {
			t.Errorf("incomplete record: %+v", r)
		}
		var cfg models.ClassifierConfig
		if err := json.Unmarshal(r.ModelConfig, &cfg); err != nil || cfg.Arch.String() != r.Model || cfg.Seed != r.Seed || cfg.Input != [3]int{3, 28, 28} {
			t.Errorf("%s seed %d: model_config %s (%v)", r.Model, r.Seed, r.ModelConfig, err)
		}
	}
	// A rerun skips every recorded run and writes nothing new.
	before, _ := os.ReadFile(opt.Out)
	var log bytes.Buffer
	opt.Log, opt.Verify = &log, false
	again, err := h.Run(context.Background(), tinySuite(t, nil), opt)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(opt.Out)
	if !bytes.Equal(before, after) || strings.Count(log.String(), "skipped") != 4 {
		t.Fatalf("rerun changed the file or did not skip:\n%s", log.String())
	}
	// A fresh run into another file reproduces every record id.
	opt.Out = filepath.Join(dir, "r2.jsonl")
	fresh, err := h.Run(context.Background(), tinySuite(t, nil), opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh) != len(again) {
		t.Fatalf("%d records, then %d", len(again), len(fresh))
	}
	for i := range fresh {
		if fresh[i].RecordID != again[i].RecordID {
			t.Errorf("run %d: record id %s, first time %s", i, fresh[i].RecordID[:12], again[i].RecordID[:12])
		}
	}
}

func TestExpectations(t *testing.T) {
	tests := []struct {
		name   string
		expect string
		missed bool
	}{
		{"met", `[{"model": "multilabel", "metric": "subset_accuracy", "min": 0}]`, false},
		{"missed", `[{"model": "multilabel", "metric": "subset_accuracy", "min": 1.01}]`, true},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tinySuite(t, map[string]string{"seeds": "[1]", "models": `[{"name": "multilabel", "arch": "multilabel", "conv": [4, 8], "hidden": 16}]`, "expect": tt.expect})
			_, err := harness().Run(context.Background(), s, bench.Options{Out: filepath.Join(dir, tt.name+".jsonl"), CacheDir: filepath.Join(dir, "c")})
			if got := errors.Is(err, bench.ErrExpectation); got != tt.missed {
				t.Fatalf("Run = %v, want a missed expectation: %v", err, tt.missed)
			}
		})
	}
}

func TestDecodeModel(t *testing.T) {
	tests := []struct {
		name, entry string
		field, msg  string // "" for accepted
	}{
		{"reference", `{"arch": "perlabel", "conv": [16, 32], "hidden": 64}`, "", ""},
		{"one convolution", `{"arch": "combo", "conv": [1], "hidden": 1}`, "", ""},
		{"unknown field", `{"arch": "combo", "conv": [4], "hidden": 8, "latent": 10}`, "latent", "unknown field; known: arch, conv, hidden"},
		{"unknown arch", `{"arch": "resnet", "conv": [4], "hidden": 8}`, "arch", `"resnet": want multilabel, combo or perlabel`},
		{"arch in capitals", `{"arch": "MultiLabel", "conv": [4], "hidden": 8}`, "arch", "want multilabel, combo or perlabel"},
		{"no arch", `{"conv": [4], "hidden": 8}`, "arch", "missing; want multilabel, combo or perlabel"},
		{"arch a number", `{"arch": 1, "conv": [4], "hidden": 8}`, "arch", "want string"},
		{"no conv", `{"arch": "combo", "hidden": 8}`, "conv", "at least one"},
		{"empty conv", `{"arch": "combo", "conv": [], "hidden": 8}`, "conv", "at least one"},
		{"zero channels", `{"arch": "combo", "conv": [4, 0], "hidden": 8}`, "conv[1]", "0: want at least 1 channel"},
		{"negative channels", `{"arch": "combo", "conv": [-4], "hidden": 8}`, "conv[0]", "-4: want at least 1 channel"},
		{"conv not a list", `{"arch": "combo", "conv": 4, "hidden": 8}`, "conv", "want []int"},
		{"no hidden", `{"arch": "combo", "conv": [4]}`, "hidden", "0: want the dense layer's width, at least 1"},
		{"negative hidden", `{"arch": "combo", "conv": [4], "hidden": -1}`, "hidden", "-1: want"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Kind{}.DecodeModel([]byte(tt.entry))
			if tt.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				// It marshals back to the entry, fields in the run key's order.
				var want bytes.Buffer
				json.Compact(&want, []byte(tt.entry))
				if b, _ := json.Marshal(cfg); string(b) != want.String() {
					t.Fatalf("decoded %s, marshals as %s", tt.entry, b)
				}
				return
			}
			var fe *bench.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Msg, tt.msg) {
				t.Fatalf("DecodeModel(%s) = %v (%#v), want field %q saying %q", tt.entry, err, fe, tt.field, tt.msg)
			}
		})
	}
}

// TestModelSpecJSON holds a classifier's model entry to the JSON the old
// one-package bench wrote into run keys: name, arch, conv, hidden.
func TestModelSpecJSON(t *testing.T) {
	s := tinySuite(t, nil)
	b, err := json.Marshal(s.Tasks[0].Models)
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"name":"multilabel","arch":"multilabel","conv":[4,8],"hidden":16},{"name":"combo","arch":"combo","conv":[4,8],"hidden":16}]`
	if string(b) != want {
		t.Fatalf("models marshal as\n%s\nwant\n%s", b, want)
	}
	if a := s.Tasks[0].Models[1].Config.Arch(); a != "combo" {
		t.Fatalf("Arch() = %q", a)
	}
}

func TestCheckTask(t *testing.T) {
	counting := fmt.Sprintf(`{"generator": "counting", "version": %q, "seed": 1, "splits": [{"name": "train", "count": 8}, {"name": "test", "count": 8}], "train": "train", "test": "test"}`, scenes.Counting{}.Version())
	relations := fmt.Sprintf(`{"generator": "relations", "version": %q, "seed": 1, "splits": [{"name": "train", "count": 8}, {"name": "test", "count": 8}], "train": "train", "test": "test"}`, scenes.Relations{}.Version())
	noHoldout := fmt.Sprintf(`{"generator": "shapes", "version": %q, "seed": 7, "splits": [{"name": "train", "count": 8}, {"name": "test", "count": 8}], "train": "train", "test": "test"}`, generators.Shapes{}.Version())
	plain := `["subset_accuracy", "hamming_loss", "macro_f1", "params"]`
	tests := []struct {
		name       string
		edits      map[string]string
		field, msg string // "" for accepted
	}{
		{"the tiny task", nil, "", ""},
		{"one label", map[string]string{"labels": `["color"]`, "metrics": `["color_accuracy"]`, "primary": `"color_accuracy"`}, "", ""},
		{"counting's family", map[string]string{"dataset": counting, "labels": `["family"]`, "metrics": `["family_accuracy", "macro_f1"]`, "primary": `"macro_f1"`}, "", ""},
		{"no holdout, no heldout metric", map[string]string{"dataset": noHoldout, "metrics": plain, "primary": `"macro_f1"`}, "", ""},
		{"no labels", map[string]string{"labels": `[]`, "metrics": plain, "primary": `"macro_f1"`}, "tasks[0].labels", "want the label features to predict; shapes has shape, color"},
		{"labels left out", map[string]string{"labels": "", "metrics": plain, "primary": `"macro_f1"`}, "tasks[0].labels", "want the label features to predict"},
		{"a label not in the dataset", map[string]string{"labels": `["shape", "colour"]`, "metrics": plain, "primary": `"macro_f1"`}, "tasks[0].labels[1]", `"colour" is not a label feature of shapes; its labels: shape, color`},
		{"a label twice", map[string]string{"labels": `["shape", "shape"]`, "metrics": plain, "primary": `"macro_f1"`}, "tasks[0].labels[1]", `"shape" twice`},
		{"a dataset without labels", map[string]string{"dataset": relations, "labels": `["shape"]`, "metrics": plain, "primary": `"macro_f1"`}, "tasks[0].dataset.generator", "classifiers train on datasets with label features; relations has none"},
		{"heldout metric without a holdout", map[string]string{"dataset": noHoldout}, "tasks[0].metrics[0]", "heldout_subset_accuracy scores the combinations a dataset holds out of training; this task's shapes config holds none"},
		{"heldout target without a holdout", map[string]string{"dataset": noHoldout, "metrics": plain, "primary": `"macro_f1"`,
			"expect": `[{"model": "combo", "metric": "heldout_subset_accuracy", "min": 0.5}]`}, "tasks[0].expect[0].metric", "holds none"},
		{"heldout metric on counting", map[string]string{"dataset": counting, "labels": `["family"]`, "metrics": `["heldout_subset_accuracy"]`, "primary": `"heldout_subset_accuracy"`}, "tasks[0].metrics[0]", "counting config holds none"},
		{"a label's accuracy the task does not predict", map[string]string{"labels": `["shape"]`}, "tasks[0].metrics[3]", `does not score "color_accuracy"`},
		{"a bad model entry", map[string]string{"models": `[{"name": "m", "arch": "cnn", "conv": [4], "hidden": 8}]`}, "tasks[0].models[0].arch", `"cnn": want multilabel, combo or perlabel`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := harness().ReadSuite("tiny", []byte(`{"name": "tiny", "tasks": [`+tinyTask(tt.edits)+`]}`))
			if tt.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var fe *bench.FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Msg, tt.msg) {
				t.Fatalf("ReadSuite = %v, want field %q saying %q", err, tt.field, tt.msg)
			}
		})
	}
}

// TestMetrics checks the metrics' directions and ranges: every one a
// proportion, hamming_loss lower-is-better, one accuracy per label.
func TestMetrics(t *testing.T) {
	got := map[string]bench.MetricInfo{}
	for _, m := range (Kind{}).Metrics([]string{"shape", "color"}) {
		got[m.Name] = m
	}
	for _, name := range []string{"subset_accuracy", "hamming_loss", "macro_f1", "heldout_subset_accuracy", "shape_accuracy", "color_accuracy"} {
		m, ok := got[name]
		if !ok || m.Min != 0 || m.Max != 1 || m.LowerIsBetter != (name == "hamming_loss") {
			t.Errorf("%s: %+v (described: %v)", name, m, ok)
		}
	}
	if len(got) != 6 {
		t.Errorf("%d metrics, want 6: %v", len(got), got)
	}
	if n := len((Kind{}).Metrics(nil)); n != 4 {
		t.Errorf("%d metrics without labels, want 4", n)
	}
}

// TestBuiltinSuites reads the classification tasks of the built-in suites,
// the contract of this kind, through a harness that knows only
// classification.
func TestBuiltinSuites(t *testing.T) {
	for _, name := range []string{"quick", "standard", "full"} {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "suites", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var s struct {
				Name  string            `json:"name"`
				Tasks []json.RawMessage `json:"tasks"`
			}
			if err := json.Unmarshal(b, &s); err != nil {
				t.Fatal(err)
			}
			var tasks []json.RawMessage
			for _, raw := range s.Tasks {
				var k struct{ Kind string }
				json.Unmarshal(raw, &k)
				if k.Kind == "classification" {
					tasks = append(tasks, raw)
				}
			}
			if len(tasks) == 0 {
				t.Fatal("no classification tasks")
			}
			only, _ := json.Marshal(map[string]any{"name": s.Name, "tasks": tasks})
			suite, err := harness().ReadSuite(name, only)
			if err != nil {
				t.Fatal(err)
			}
			for _, task := range suite.Tasks {
				for _, m := range task.Models {
					b, _ := json.Marshal(m)
					want := fmt.Sprintf(`{"name":%q,"arch":%q,"conv":[16,32],"hidden":64}`, m.Name, m.Name)
					if string(b) != want {
						t.Errorf("%s: model %s", task.Name, b)
					}
				}
			}
		})
	}
}

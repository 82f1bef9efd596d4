package structure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/benchtest"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/scenes"
	"github.com/hiddendim/hiddendim/webpages"
)

// registry holds webpages, which page structure reads, and relations,
// which it does not.
func registry() *generators.Registry {
	return generators.NewRegistry(scenes.Relations{}, webpages.Pages{})
}

func harness() *bench.Harness { return bench.NewHarness(registry(), Kind{}) }

func version(name string) string {
	ds, _ := registry().Lookup(name)
	return ds.Version().String()
}

// tinyPages are the smallest pages pix2code can say that lay out: 80 px
// (64 px cannot fit a row of four columns' titles), one row, two header
// buttons.
var tinyPages = map[string]string{"image_size": "80", "max_rows": "1", "max_header_buttons": "2", "pix2code": "true"}

// writePages generates tiny pages with train and test splits into dir.
func writePages(t testing.TB, dir string, train, test int) string {
	t.Helper()
	return benchtest.WriteDataset(t, registry(), dir, "webpages", "webpages", tinyPages, train, test)
}

// task is a page-structure task of a suite file, its fields filled in
// from the defaults below where edit leaves them.
func task(edit func(map[string]any)) map[string]any {
	tk := map[string]any{
		"name": "tiny-structure", "version": "1.0.0", "kind": "structure",
		"dataset": map[string]any{"generator": "webpages", "version": version("webpages"), "seed": 7, "settings": tinyPages,
			"splits": []map[string]any{{"name": "train", "count": 24}, {"name": "test", "count": 6}},
			"train":  "train", "test": "test"},
		"models": []map[string]any{{"name": "segnet", "arch": "segnet", "batch": 8}, {"name": "pix2code-greedy", "arch": "attention", "beam": 1}},
		"budget": map[string]any{"epochs": 1, "batch": 16, "lr": 0.002},
		"seeds":  []int{1},
		"metrics": []string{"miou", "pixel_accuracy", "tree_exact_match", "tree_edit_distance", "token_accuracy", "parse_rate",
			"majority_miou", "majority_tree_exact_match"},
		"primary": "tree_exact_match",
	}
	if edit != nil {
		edit(tk)
	}
	return tk
}

func suiteJSON(t *testing.T, tasks ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"name": "tiny", "description": "page-structure tests", "tasks": tasks})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStructureSuite runs a tiny suite with Verify: a segnet and an
// end-to-end captioner on the same pages, each trained twice to the same
// scores, each with the metrics its family records and the baseline's.
func TestStructureSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a U-Net and a captioner twice")
	}
	dir := t.TempDir()
	h := harness()
	s, err := h.ReadSuite("tiny.json", suiteJSON(t, task(nil)))
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
	benchtest.CheckPictures(t, filepath.Join(dir, "pics"), recs[:1], "page_0_predicted_mask.png", "page_1_tree.png")
	want := map[string][]string{
		"segnet":          {"pixel_accuracy", "miou", "iou_background", "iou_header", "tree_exact_match", "tree_edit_distance", "token_accuracy", "parse_rate"},
		"pix2code-greedy": {"token_accuracy", "tree_exact_match", "parse_rate"},
	}
	for _, r := range recs {
		for _, name := range append(want[r.Model], "majority_pixel_accuracy", "majority_miou", "majority_tree_exact_match", "majority_tree_edit_distance", "majority_token_accuracy") {
			if v, ok := r.Metrics[name]; !ok || math.IsNaN(v.Value) {
				t.Errorf("%s: %s = %+v (present %v), want a value", r.Model, name, v, ok)
			}
		}
		if r.Model == "pix2code-greedy" {
			for _, name := range []string{"miou", "tree_edit_distance", "exact_match", "bleu4"} {
				if _, ok := r.Metrics[name]; ok {
					t.Errorf("the end-to-end record has %s", name)
				}
			}
		}
		if r.Timings.TrainSamplesPerSec <= 0 || len(r.Dataset.Splits) != 2 {
			t.Errorf("%s: timings %+v, splits %v", r.Model, r.Timings, r.Dataset.Splits)
		}
	}
	var cfg SegNetRecord
	if err := json.Unmarshal(recs[0].ModelConfig, &cfg); err != nil || cfg.Model.Classes != 13 || cfg.Budget.Batch != 8 || cfg.Model.Input != [3]int{3, 80, 80} {
		t.Errorf("segnet model config %s (%v): want 13 classes of 80×80 pages, batch 8", recs[0].ModelConfig, err)
	}
	if a, b := recs[0].Metrics["majority_miou"], recs[1].Metrics["majority_miou"]; a != b {
		t.Errorf("the baseline differs between models of one task: %+v, %+v", a, b)
	}
}

func TestDecodeModel(t *testing.T) {
	tests := []struct {
		raw   string
		want  string // the config's JSON, for accepted entries
		field string // "" for accepted
		msg   string
	}{
		{`{"arch": "segnet"}`, `{"arch":"segnet"}`, "", ""},
		{`{"arch": "segnet", "epochs": 8, "batch": 16, "lr": 0.001}`, `{"arch":"segnet","epochs":8,"batch":16,"lr":0.001}`, "", ""},
		{`{"arch": "attention", "beam": 3}`, `{"arch":"attention","beam":3}`, "", ""},
		{`{"arch": "segnet", "class_weights": "median", "deep": 128}`, `{"arch":"segnet","class_weights":"median","deep":128}`, "", ""},
		{`{"arch": "segnet", "class_weights": "none", "deep": 0}`, `{"arch":"segnet"}`, "", ""},
		{`{"arch": "segnet", "class_weights": "inverse"}`, "", "class_weights", `"inverse": want none or median`},
		{`{"arch": "segnet", "deep": -8}`, "", "deep", "-8: want 0 (no fourth level) or its channels"},
		{`{"arch": "segnet", "deep": 128, "stem": 16}`, `{"arch":"segnet","deep":128,"stem":16}`, "", ""},
		{`{"arch": "segnet", "stem": 0}`, `{"arch":"segnet"}`, "", ""},
		{`{"arch": "segnet", "stem": -1}`, "", "stem", "-1: want 0 (no stem) or its channels"},
		{`{}`, "", "arch", "missing; want segnet, or an end-to-end captioner: attention, no-attention"},
		{`{"arch": "unet"}`, "", "arch", `"unet": want segnet, or an end-to-end captioner`},
		{`{"arch": 3}`, "", "arch", "want string"},
		{`{"arch": "segnet", "beam": 1}`, "", "beam", "unknown field; known: arch, epochs, batch, lr, schedule, class_weights, deep, stem"},
		{`{"arch": "segnet", "epochs": 0}`, "", "epochs", "0: want at least 1"},
		{`{"arch": "segnet", "batch": -2}`, "", "batch", "-2: want at least 1"},
		{`{"arch": "segnet", "lr": 0}`, "", "lr", "0: want a rate above 0"},
		{`{"arch": "attention"}`, "", "beam", "missing"},
		{`{"arch": "attention", "beam": 1, "grammar": true, "epochs": 3}`, `{"arch":"attention","beam":1,"grammar":true,"epochs":3}`, "", ""},
		{`{"arch": "attention", "beam": 1, "widths": 3}`, "", "widths", "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			cfg, err := Kind{}.DecodeModel([]byte(tt.raw))
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if b, _ := json.Marshal(cfg); string(b) != tt.want {
					t.Errorf("marshals as %s, want %s", b, tt.want)
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

// TestSuiteRefusals checks that a suite's page-structure task the kind
// cannot run is refused at the field at fault.
func TestSuiteRefusals(t *testing.T) {
	h := harness()
	tests := []struct {
		name  string
		edit  func(map[string]any)
		field string
		msg   string
	}{
		{"relations", func(tk map[string]any) {
			d := tk["dataset"].(map[string]any)
			d["generator"], d["version"], d["settings"] = "relations", version("relations"), map[string]string{}
		}, "tasks[0].dataset.generator", `"relations": page structure is read from webpages pages`},
		{"labels", func(tk map[string]any) { tk["labels"] = []string{"x"} }, "tasks[0].labels", "page structure predicts trees, not labels"},
		{"end to end without pix2code", func(tk map[string]any) {
			tk["dataset"].(map[string]any)["settings"] = map[string]string{"image_size": "128", "max_rows": "1"}
		}, "tasks[0].dataset.settings", `set "pix2code": "true"`},
		{"miou of the end-to-end model", func(tk map[string]any) {
			tk["expect"] = []map[string]any{{"model": "pix2code-greedy", "metric": "miou", "min": 0.5}}
		}, "tasks[0].expect[0].metric", `"miou": the end-to-end model pix2code-greedy is scored by token_accuracy, tree_exact_match, parse_rate only`},
		{"a metric of another kind", func(tk map[string]any) { tk["metrics"] = []string{"miou", "bleu4"} }, "tasks[0].metrics[1]", `structure does not score "bleu4"`},
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
	// Pages pix2code cannot say are fine for the segmentation alone.
	if _, err := h.ReadSuite("tiny.json", suiteJSON(t, task(func(tk map[string]any) {
		tk["dataset"].(map[string]any)["settings"] = map[string]string{"image_size": "128", "max_rows": "1"}
		tk["models"] = []map[string]any{{"name": "segnet", "arch": "segnet"}}
	}))); err != nil {
		t.Errorf("a segnet-only task on pages with menus and footers: %v", err)
	}
}

// TestShardsKeepSharedTraining deals a task whose greedy, grammar and
// beam entries share one captioner into shards: each seed's three stay
// in one unit, apart from the no-attention captioner and the segnet.
func TestShardsKeepSharedTraining(t *testing.T) {
	s, err := harness().ReadSuite("x.json", suiteJSON(t, task(func(tk map[string]any) {
		tk["models"] = []map[string]any{{"name": "segnet", "arch": "segnet"},
			{"name": "greedy", "arch": "attention", "beam": 1},
			{"name": "grammar", "arch": "attention", "beam": 1, "grammar": true},
			{"name": "beam3", "arch": "attention", "beam": 3},
			{"name": "plain", "arch": "no-attention", "beam": 1}}
		tk["seeds"] = []int{1, 2}
	})))
	if err != nil {
		t.Fatal(err)
	}
	plan, err := harness().Plan(s, 3)
	if err != nil {
		t.Fatal(err)
	}
	var units []string
	for _, sh := range plan.Shards {
		for _, u := range sh.Units {
			units = append(units, fmt.Sprintf("%d %s", u.Seed, strings.Join(u.Models, "+")))
		}
	}
	slices.Sort(units)
	want := []string{"1 greedy+grammar+beam3", "1 plain", "1 segnet", "2 greedy+grammar+beam3", "2 plain", "2 segnet"}
	if !slices.Equal(units, want) {
		t.Errorf("units %q, want %q", units, want)
	}
}

// TestSampleCost weighs a segnet's page by the page's side (without
// image_size, the generator's default 256) against a captioner's, which
// costs 1 at any size; a stem makes it stemPageCost as costly.
func TestSampleCost(t *testing.T) {
	for _, tt := range []struct {
		size string
		stem int
		seg  float64
	}{{"128", 0, segNetPageCost}, {"256", 0, 2 * segNetPageCost}, {"", 0, 2 * segNetPageCost}, {"256", 16, 2 * segNetPageCost * stemPageCost}} {
		s, err := harness().ReadSuite("x.json", suiteJSON(t, task(func(tk map[string]any) {
			settings := map[string]string{"max_rows": "1", "max_header_buttons": "2", "pix2code": "true"}
			if tt.size != "" {
				settings["image_size"] = tt.size
			}
			tk["dataset"].(map[string]any)["settings"] = settings
			if tt.stem > 0 {
				for _, m := range tk["models"].([]map[string]any) {
					if m["arch"] == "segnet" {
						m["stem"] = tt.stem
					}
				}
			}
		})))
		if err != nil {
			t.Fatal(err)
		}
		task := s.Tasks[0]
		for _, m := range task.Models {
			want := 1.0
			if m.Name == "segnet" {
				want = tt.seg
			}
			if got := (Kind{}).SampleCost(task, m); math.Abs(got-want) > 1e-12*want {
				t.Errorf("image_size %q, stem %d, %s: cost %v, want %v", tt.size, tt.stem, m.Name, got, want)
			}
		}
	}
}

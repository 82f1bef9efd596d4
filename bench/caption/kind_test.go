package caption

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/benchtest"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/scenes"
	"github.com/hiddendim/hiddendim/webpages"
)

// registry holds the datasets captioning reads, and shapes, which it does
// not.
func registry() *generators.Registry {
	return generators.NewRegistry(generators.Shapes{}, scenes.Relations{}, scenes.Counting{}, webpages.Pages{})
}

func newHarness() *bench.Harness { return bench.NewHarness(registry(), Kind{}) }

// version is the version this build renders of a dataset.
func version(t *testing.T, gen string) string {
	t.Helper()
	ds, err := registry().Lookup(gen)
	if err != nil {
		t.Fatal(err)
	}
	return ds.Version().String()
}

// writeDataset generates a small dataset with train and test splits into
// a folder of dir named after the generator.
func writeDataset(t *testing.T, dir, gen string, settings map[string]string, train, test int) string {
	t.Helper()
	return benchtest.WriteDataset(t, registry(), dir, gen, gen, settings, train, test)
}

// task is a captioning task of a suite file, its fields filled in from the
// defaults below where edit leaves them.
func task(t *testing.T, edit func(map[string]any)) map[string]any {
	t.Helper()
	tk := map[string]any{
		"name": "tiny-captions", "version": "1.1.0", "kind": "captioning",
		"dataset": map[string]any{"generator": "relations", "version": version(t, "relations"), "seed": 7,
			"settings": map[string]string{"image_size": "16", "size_min": "6", "size_max": "8"},
			"splits":   []map[string]any{{"name": "train", "count": 128}, {"name": "test", "count": 40}},
			"train":    "train", "test": "test"},
		"models": []map[string]any{
			{"name": "attention-greedy", "arch": "attention", "beam": 1},
			{"name": "attention-beam3", "arch": "attention", "beam": 3},
			{"name": "no-attention-greedy", "arch": "no-attention", "beam": 1},
			{"name": "no-attention-beam3", "arch": "no-attention", "beam": 3},
		},
		"budget":  map[string]any{"epochs": 1, "batch": 32, "lr": 0.002},
		"seeds":   []int{1},
		"metrics": []string{"canonical_exact_match", "caption_truth", "exact_match", "parse_rate", "slot_accuracy", "bleu4", "attention_correctness", "relation_accuracy_given_objects"},
		"primary": "canonical_exact_match",
	}
	if edit != nil {
		edit(tk)
	}
	return tk
}

// suiteJSON is a suite file of the tasks.
func suiteJSON(t *testing.T, tasks ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"name": "tiny", "description": "captioning tests", "tasks": tasks})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCaptioningSuite runs a tiny suite given as JSON with Verify: each
// entry is trained and decoded twice, identically; the greedy and beam
// entries of an architecture share one training a pass.
func TestCaptioningSuite(t *testing.T) {
	dir := t.TempDir()
	h := newHarness()
	s, err := h.ReadSuite("tiny.json", suiteJSON(t, task(t, nil)))
	if err != nil {
		t.Fatal(err)
	}
	finished := map[string]int{}
	progress := func(what string, done, total int) {
		if strings.HasPrefix(what, "tiny-captions ") && done == total {
			finished[what]++
		}
	}
	recs, err := h.Run(context.Background(), s, bench.Options{Out: filepath.Join(dir, "r.jsonl"), CacheDir: filepath.Join(dir, "cache"), Verify: true, Progress: progress, Pictures: filepath.Join(dir, "pics")})
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4 {
		t.Fatalf("%d records, want attention/no-attention × greedy/beam", len(recs))
	}
	benchtest.CheckPictures(t, filepath.Join(dir, "pics"), recs, "caption_0.png", "caption_3.png")
	// Each architecture trained once a pass, under its first entry's name.
	want := map[string]int{"tiny-captions attention-greedy seed 1": 2, "tiny-captions no-attention-greedy seed 1": 2}
	if fmt.Sprint(finished) != fmt.Sprint(want) {
		t.Errorf("trainings finished %v, want %v", finished, want)
	}
	for _, r := range recs {
		for _, name := range []string{"canonical_exact_match", "caption_truth", "exact_match", "parse_rate", "slot_accuracy", "bleu1", "bleu4", "params"} {
			if v, ok := r.Metrics[name]; !ok || math.IsNaN(v.Value) {
				t.Errorf("%s: metric %s missing", r.Model, name)
			}
		}
		for _, name := range []string{"canonical_exact_match", "caption_truth", "exact_match", "parse_rate"} {
			if r.Metrics[name].CI95 == nil {
				t.Errorf("%s: %s, a share of the test samples, has no interval", r.Model, name)
			}
		}
		if r.Metrics["bleu4"].CI95 != nil {
			t.Errorf("%s: bleu4 has an interval", r.Model)
		}
		_, hasAtt := r.Metrics["attention_correctness"]
		if hasAtt != strings.HasPrefix(r.Model, "attention-") {
			t.Errorf("%s: attention_correctness present = %v", r.Model, hasAtt)
		}
		if r.Dataset.Splits["train"] == "" || r.Dataset.Splits["test"] == "" || len(r.Dataset.Splits) != 2 {
			t.Errorf("%s: split hashes %v", r.Model, r.Dataset.Splits)
		}
		var cfg struct {
			Attention bool `json:"attention"`
		}
		if err := json.Unmarshal(r.ModelConfig, &cfg); err != nil || cfg.Attention != strings.HasPrefix(r.Model, "attention-") {
			t.Errorf("%s: model config %s", r.Model, r.ModelConfig)
		}
	}
	// The greedy and beam entries of one architecture share one training.
	if recs[0].Timings.TrainSeconds != recs[1].Timings.TrainSeconds || recs[0].Params != recs[1].Params {
		t.Errorf("greedy and beam entries trained separately: %v vs %v", recs[0].Timings, recs[1].Timings)
	}
	if recs[0].Params == recs[2].Params {
		t.Errorf("attention and no-attention captioners have the same %d parameters", recs[0].Params)
	}
}

func TestDecodeModel(t *testing.T) {
	tests := []struct {
		raw   string
		want  Model
		json  string // how it marshals, when accepted
		field string // "" for accepted
		msg   string
	}{
		{`{"arch": "attention", "beam": 1}`, Model{Architecture: Attention, Beam: 1}, `{"arch":"attention","beam":1}`, "", ""},
		{`{"beam": 3, "arch": "no-attention"}`, Model{Architecture: NoAttention, Beam: 3}, `{"arch":"no-attention","beam":3}`, "", ""},
		{`{"arch": "attention", "beam": 3, "grammar": true}`, Model{Architecture: Attention, Beam: 3, Grammar: true},
			`{"arch":"attention","beam":3,"grammar":true}`, "", ""},
		{`{"arch": "attention", "beam": 1, "grammar": false}`, Model{Architecture: Attention, Beam: 1}, `{"arch":"attention","beam":1}`, "", ""},
		{`{"arch": "attention", "beam": 1, "epochs": 12, "batch": 16, "lr": 0.003}`, Model{Architecture: Attention, Beam: 1, Overrides: bench.Overrides{Epochs: 12, Batch: 16, LR: 0.003}},
			`{"arch":"attention","beam":1,"epochs":12,"batch":16,"lr":0.003}`, "", ""},
		{`{"arch": "attention", "beam": 1, "schedule": "cosine"}`, Model{Architecture: Attention, Beam: 1, Overrides: bench.Overrides{Schedule: bench.Cosine}},
			`{"arch":"attention","beam":1,"schedule":"cosine"}`, "", ""},
		{`{"arch": "attention", "beam": 1, "schedule": "linear"}`, Model{}, "", "schedule", `unknown`},
		{`{"arch": "lstm", "beam": 1}`, Model{}, "", "arch", `unknown captioner "lstm"; known: attention, no-attention`},
		{`{"beam": 1}`, Model{}, "", "arch", "missing; want a captioner: attention, no-attention"},
		{`{"arch": 1, "beam": 1}`, Model{}, "", "arch", "want string"},
		{`{"arch": "attention"}`, Model{}, "", "beam", "missing"},
		{`{"arch": "attention", "beam": 0}`, Model{}, "", "beam", "0: want the beam width, at least 1"},
		{`{"arch": "attention", "beam": -2}`, Model{}, "", "beam", "-2: want the beam width, at least 1"},
		{`{"arch": "attention", "beam": 1, "grammar": "yes"}`, Model{}, "", "grammar", "want bool"},
		{`{"arch": "attention", "beam": 1, "epochs": 0}`, Model{}, "", "epochs", "0: want at least 1"},
		{`{"arch": "attention", "beam": 1, "batch": -1}`, Model{}, "", "batch", "-1: want at least 1"},
		{`{"arch": "attention", "beam": 1, "lr": 0}`, Model{}, "", "lr", "0: want a rate above 0"},
		{`{"arch": "attention", "beam": 1, "conv": [8]}`, Model{}, "", "conv", "unknown field; known: arch, beam, grammar, epochs, batch, lr, schedule"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			cfg, err := Kind{}.DecodeModel([]byte(tt.raw))
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if cfg != tt.want {
					t.Fatalf("decoded %+v, want %+v", cfg, tt.want)
				}
				if b, _ := json.Marshal(cfg); string(b) != tt.json {
					t.Errorf("marshals as %s, want %s", b, tt.json)
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

func TestArchText(t *testing.T) {
	for _, a := range Archs {
		b, err := a.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back Arch
		if err := back.UnmarshalText(b); err != nil || back != a || a.String() != string(b) {
			t.Errorf("%v: marshals as %s, reads back as %v (%v)", a, b, back, err)
		}
	}
	if _, err := Arch(len(Archs)).MarshalText(); err == nil {
		t.Error("an architecture out of range marshals")
	}
	if _, err := ParseArch("Attention"); err == nil || !strings.Contains(err.Error(), "known: attention, no-attention") {
		t.Errorf("ParseArch of an unknown name: %v", err)
	}
}

// TestCheckTask reads suites whose captioning task is wrong, each refused
// at the field at fault.
func TestCheckTask(t *testing.T) {
	pages := func(tk map[string]any) {
		tk["dataset"] = map[string]any{"generator": "webpages", "version": version(t, "webpages"), "seed": 7,
			"settings": map[string]string{"image_size": "128", "max_rows": "2", "pix2code": "true"},
			"splits":   []map[string]any{{"name": "train", "count": 20}, {"name": "test", "count": 4}}, "train": "train", "test": "test"}
		tk["metrics"], tk["primary"] = []string{"token_accuracy", "tree_exact_match", "exact_match", "parse_rate", "bleu4"}, "token_accuracy"
	}
	counting := func(tk map[string]any) {
		tk["dataset"] = map[string]any{"generator": "counting", "version": version(t, "counting"), "seed": 7,
			"splits": []map[string]any{{"name": "train", "count": 20}, {"name": "test", "count": 4}}, "train": "train", "test": "test"}
		tk["metrics"] = []string{"canonical_exact_match", "caption_truth", "attention_correctness"}
	}
	both := func(a, b func(map[string]any)) func(map[string]any) {
		return func(tk map[string]any) { a(tk); b(tk) }
	}
	tests := []struct {
		name  string
		edit  func(map[string]any)
		field string // "" for accepted
		msg   string
	}{
		{"relations", nil, "", ""},
		{"pages", pages, "", ""},
		{"counting", counting, "", ""},
		{"shapes data", func(tk map[string]any) {
			tk["dataset"] = map[string]any{"generator": "shapes", "version": version(t, "shapes"), "seed": 7,
				"splits": []map[string]any{{"name": "train", "count": 20}, {"name": "test", "count": 4}}, "train": "train", "test": "test"}
		}, "tasks[0].dataset.generator", "captioning reads counting, relations, webpages datasets, not shapes"},
		{"labels", func(tk map[string]any) { tk["labels"] = []string{"color"} }, "tasks[0].labels", "captioning predicts captions, not labels"},
		{"pages without pix2code", both(pages, func(tk map[string]any) {
			tk["dataset"].(map[string]any)["settings"] = map[string]string{"image_size": "128"}
		}), "tasks[0].dataset.settings", `set "pix2code": "true"`},
		{"caption_truth of pages", both(pages, func(tk map[string]any) {
			tk["metrics"] = []string{"token_accuracy", "caption_truth"}
		}), "tasks[0].metrics[1]", `webpages captions are not scored by "caption_truth"`},
		{"token_accuracy of scenes", func(tk map[string]any) {
			tk["metrics"] = []string{"canonical_exact_match", "token_accuracy"}
		}, "tasks[0].metrics[1]", `relations captions are not scored by "token_accuracy"`},
		{"a target no counting caption scores", both(counting, func(tk map[string]any) {
			tk["expect"] = []map[string]any{{"model": "attention-greedy", "metric": "relation_accuracy_given_objects", "min": 0.5}}
		}), "tasks[0].expect[0].metric", `counting captions are not scored by "relation_accuracy_given_objects"`},
		{"a classifier", func(tk map[string]any) {
			tk["models"] = []map[string]any{{"name": "combo", "arch": "combo", "conv": []int{4}, "hidden": 8}}
		}, "tasks[0].models[0].conv", "unknown field; known: arch, beam, grammar, epochs, batch, lr, schedule"},
		{"grammar on pages", both(pages, func(tk map[string]any) {
			tk["models"] = []map[string]any{{"name": "attention-grammar", "arch": "attention", "beam": 3, "grammar": true}}
		}), "", ""},
		{"grammar on relations", func(tk map[string]any) {
			tk["models"] = []map[string]any{{"name": "attention", "arch": "attention", "beam": 1},
				{"name": "attention-grammar", "arch": "attention", "beam": 1, "grammar": true}}
		}, "tasks[0].models[1].grammar", "only webpages captions (pix2code) have a grammar to constrain decoding to, not relations captions; leave grammar out"},
		{"beam 0", func(tk map[string]any) {
			tk["models"] = []map[string]any{{"name": "attention", "arch": "attention", "beam": 0}}
		}, "tasks[0].models[0].beam", "0: want the beam width"},
	}
	h := newHarness()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.ReadSuite("tiny.json", suiteJSON(t, task(t, tt.edit)))
			if tt.field == "" {
				if err != nil {
					t.Fatal(err)
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

// TestBuiltinCaptioningTasks reads the built-in suites' captioning tasks,
// the contract this kind serves, and checks every metric the kind knows
// is described.
func TestBuiltinCaptioningTasks(t *testing.T) {
	h := newHarness()
	files, err := filepath.Glob("../suites/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no built-in suites: %v", err)
	}
	read := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var s struct {
			Tasks []map[string]any `json:"tasks"`
		}
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		var ours []map[string]any
		for _, tk := range s.Tasks {
			if tk["kind"] == "captioning" {
				ours = append(ours, tk)
			}
		}
		if len(ours) == 0 {
			continue
		}
		suite, err := h.ReadSuite(f, suiteJSON(t, ours...))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, tk := range suite.Tasks {
			for _, m := range tk.Models {
				mc := m.Config.(Model)
				want := m.Config.Arch() + map[int]string{1: "-greedy", 3: "-beam3"}[mc.Beam] + map[bool]string{true: "-grammar"}[mc.Grammar]
				if m.Name != want {
					t.Errorf("%s %s: %s: read as %+v", f, tk.Name, m.Name, m.Config)
				}
			}
			read++
		}
	}
	if read < 3 {
		t.Fatalf("read %d captioning tasks of the built-in suites, want at least 3", read)
	}
	for _, m := range (Kind{}).Metrics(nil) {
		if m.LowerIsBetter || m.Min != 0 || m.Max != 1 {
			t.Errorf("%s described as %+v, not a higher-is-better proportion", m.Name, m)
		}
	}
}

// TestCaptionerGridBySize checks how NewCaptionerFor sizes the encoder by
// the image: small images keep the reference's three convolutions,
// pages of 128 px are halved by a stride-2 first convolution, and larger
// pages get more convolutions until the grid is MaxGrid cells a side.
func TestCaptionerGridBySize(t *testing.T) {
	for _, tt := range []struct {
		dataset      string
		side, stride int
		conv         []int
		grid         int
	}{
		{"relations", 56, 1, []int{16, 32, 64}, 7},
		{"webpages", 64, 1, []int{16, 32, 64}, 8},
		{"webpages", 128, 2, []int{16, 32, 64}, 8},
		{"webpages", 256, 2, []int{16, 32, 64, 64}, 8},
		{"webpages", 512, 2, []int{16, 32, 64, 64, 64}, 8},
		{"webpages", 384, 2, []int{16, 32, 64, 64, 64}, 6}, // 24 → 12 → 6
		{"webpages", 272, 2, []int{16, 32, 64}, 17},        // 17 cannot be halved
	} {
		train := &CaptionSet{Dataset: tt.dataset, Images: &models.CaptionData{Shape: [3]int{3, tt.side, tt.side}},
			Captions: []string{"header { btn-active } row { single { small-title text btn-green } }"}}
		if tt.dataset == "relations" {
			train.Captions = []string{"red square above blue circle"}
		}
		c, _, err := NewCaptionerFor(train, Attention, 1, -1)
		if err != nil {
			t.Fatalf("%s %d px: %v", tt.dataset, tt.side, err)
		}
		gh, gw := c.Grid()
		if c.Config.Stride != tt.stride && !(tt.stride == 1 && c.Config.Stride == 0) || !slices.Equal(c.Config.Conv, tt.conv) || gh != tt.grid || gw != tt.grid {
			t.Errorf("%s %d px: stride %d, conv %v, grid %d×%d; want stride %d, conv %v, grid %d×%d",
				tt.dataset, tt.side, c.Config.Stride, c.Config.Conv, gh, gw, tt.stride, tt.conv, tt.grid, tt.grid)
		}
		c.Close()
	}
}

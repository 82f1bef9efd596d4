package classify

import (
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/benchtest"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models"
)

// writeDataset generates a small dataset of gen with train and test splits
// into dir/name.
func writeDataset(t *testing.T, dir, name, gen string, settings map[string]string, train, test int) string {
	t.Helper()
	return benchtest.WriteDataset(t, registry(), dir, name, gen, settings, train, test)
}

// TestResumeToMoreEpochs runs the kernel's resume checks (see
// benchtest.ResumeToMoreEpochs) on this kind's training.
func TestResumeToMoreEpochs(t *testing.T) {
	dir := t.TempDir()
	shapes := writeDataset(t, dir, "shapes", "shapes", nil, 64, 8)
	train := func(o bench.Training, resume bool) error {
		o.Data = shapes
		_, err := Train(context.Background(), TrainOptions{Training: o, Arch: models.Combo, Resume: resume})
		return err
	}
	benchtest.ResumeToMoreEpochs(t, dir, train)
}

// TestResumeRefusals checks that a classifier resumed with any other
// change is refused as a MismatchError naming what differs, and that a
// cosine run's epochs cannot change.
func TestResumeRefusals(t *testing.T) {
	dir := t.TempDir()
	shapes := writeDataset(t, dir, "shapes", "shapes", nil, 64, 8)
	shapes32 := writeDataset(t, dir, "shapes32", "shapes", map[string]string{"image_size": "32"}, 16, 8)
	run := func(data, out string, arch models.ClassifierArch, b bench.Budget, seed uint64, resume bool) error {
		_, err := Train(context.Background(), TrainOptions{Training: bench.Training{Data: data, Train: "train", Out: filepath.Join(dir, out), Budget: b, Seed: seed}, Arch: arch, Resume: resume})
		return err
	}
	constant := bench.Budget{Epochs: 2, Batch: 32, LR: 2e-3}
	cosine := bench.Budget{Epochs: 1, Batch: 32, LR: 2e-3, Schedule: bench.Cosine}
	if err := run(shapes, "c", models.Combo, constant, 1, false); err != nil {
		t.Fatal(err)
	}
	if err := run(shapes, "cos", models.Combo, cosine, 1, false); err != nil {
		t.Fatal(err)
	}
	// A checkpoint of another kind in the folder.
	c, err := models.NewClassifier(models.ReferenceCNN(models.MultiLabel, 1))
	if err != nil {
		t.Fatal(err)
	}
	ck, err := models.NewCheckpoint("vae", map[string]any{}, c.Params(), nil)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "vae"), 0o755)
	if err := ck.Save(filepath.Join(dir, "vae", bench.CheckpointFile)); err != nil {
		t.Fatal(err)
	}
	with := func(b bench.Budget, edit func(*bench.Budget)) bench.Budget { edit(&b); return b }
	tests := []struct {
		name      string
		data, out string
		arch      models.ClassifierArch
		budget    bench.Budget
		seed      uint64
		msg       string // "" for accepted
	}{
		{"same settings", shapes, "c", models.Combo, constant, 1, ""},
		{"more epochs", shapes, "c", models.Combo, with(constant, func(b *bench.Budget) { b.Epochs = 3 }), 1, ""},
		{"fewer epochs than done", shapes, "c", models.Combo, with(constant, func(b *bench.Budget) { b.Epochs = 1 }), 1, "has 3 epochs done; --epochs 1 is fewer"},
		{"another rate", shapes, "c", models.Combo, with(constant, func(b *bench.Budget) { b.Epochs = 3; b.LR = 0.01 }), 1, "--lr 0.002 → 0.01"},
		{"another batch and seed", shapes, "c", models.Combo, with(constant, func(b *bench.Budget) { b.Epochs = 3; b.Batch = 16 }), 2, "--batch 32 → 16, --seed 1 → 2"},
		{"another schedule", shapes, "c", models.Combo, with(constant, func(b *bench.Budget) { b.Epochs = 3; b.Schedule = bench.Cosine }), 1, "--schedule (none) → cosine"},
		{"another architecture", shapes, "c", models.MultiLabel, with(constant, func(b *bench.Budget) { b.Epochs = 3 }), 1, "MODEL combo → multilabel"},
		{"other images", shapes32, "c", models.Combo, with(constant, func(b *bench.Budget) { b.Epochs = 3 }), 1, "--data (model.input) [3,28,28] → [3,32,32]"},
		{"a checkpoint of another kind", shapes, "vae", models.Combo, constant, 1, "holds a vae, not a classifier"},
		{"cosine, same epochs", shapes, "cos", models.Combo, cosine, 1, ""},
		{"cosine, more epochs", shapes, "cos", models.Combo, with(cosine, func(b *bench.Budget) { b.Epochs = 2 }), 1, "is a cosine run of 1 epochs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.data, tt.out, tt.arch, tt.budget, tt.seed, true)
			if tt.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var mm *bench.MismatchError
			if !errors.As(err, &mm) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want a MismatchError containing %q", err, tt.msg)
			}
		})
	}
}

// TestTrainEvaluateInspect trains a classifier, scores its checkpoint
// again, draws it, and checks what each refuses: data a classifier does
// not train on, labels or images or label values other than it was
// trained on, a checkpoint of another kind.
func TestTrainEvaluateInspect(t *testing.T) {
	dir := t.TempDir()
	shapes := writeDataset(t, dir, "shapes", "shapes", nil, 64, 16)
	shapes32 := writeDataset(t, dir, "shapes32", "shapes", map[string]string{"image_size": "32"}, 8, 8)
	shapes2 := writeDataset(t, dir, "shapes2", "shapes", map[string]string{"colors": "red,green"}, 8, 8)
	rel := writeDataset(t, dir, "relations", "relations", map[string]string{"image_size": "16", "size_min": "6", "size_max": "8"}, 8, 8)
	counting := writeDataset(t, dir, "counting", "counting", nil, 8, 8)
	out := filepath.Join(dir, "clf")
	o := TrainOptions{Training: bench.Training{Data: shapes, Out: out, Train: "train", Test: "test", Budget: bench.Budget{Epochs: 1, Batch: 32, LR: 2e-3}, Seed: 3}, Arch: models.PerLabel}
	scores, err := Train(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"subset_accuracy", "shape_accuracy", "color_accuracy", "hamming_loss", "macro_f1", "params"} {
		if _, ok := scores[name]; !ok {
			t.Errorf("scores lack %s: %v", name, scores)
		}
	}
	var file struct {
		Metrics map[string]bench.Metric `json:"metrics"`
		Model   Meta                    `json:"model"`
	}
	if b, err := os.ReadFile(filepath.Join(out, "metrics.json")); err != nil || json.Unmarshal(b, &file) != nil ||
		file.Metrics["subset_accuracy"].Value != scores["subset_accuracy"].Value || file.Model.Model.Arch != models.PerLabel {
		t.Fatalf("metrics.json: %+v (%v)", file, err)
	}
	ckpt := filepath.Join(out, bench.CheckpointFile)
	c, meta, err := Load(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if meta.Model.Arch != models.PerLabel || !slices.Equal(meta.Labels, []string{"shape", "color"}) || meta.Dataset != "shapes@"+(generators.Shapes{}).Version().String() {
		t.Fatalf("meta %+v", meta)
	}
	again, err := Evaluate(ckpt, shapes, "test")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range scores {
		if w := again[k]; w.Value != v.Value || (v.CI95 == nil) != (w.CI95 == nil) || (v.CI95 != nil && *v.CI95 != *w.CI95) {
			t.Errorf("%s: Train scored %+v, Evaluate %+v", k, v, w)
		}
	}

	files, err := Inspect(InspectOptions{Checkpoint: ckpt, Data: shapes, Split: "test", Out: filepath.Join(dir, "pics"), N: 2})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(r); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		r.Close()
	}
	if want := []string{"filters_t0.png", "filters_t1.png", "activations_0.png", "activations_1.png"}; !slices.Equal(names, want) {
		t.Errorf("Inspect wrote %v, want %v", names, want)
	}

	vae := filepath.Join(dir, "vae.ckpt")
	ck, err := models.NewCheckpoint("vae", map[string]any{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ck.Save(vae); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		do   func() error
		msg  string
	}{
		{"train on a dataset without labels", func() error {
			o := o
			o.Data, o.Out = rel, filepath.Join(dir, "rel")
			_, err := Train(context.Background(), o)
			return err
		}, "classifiers train on datasets with label features; " + rel + " is a relations dataset, which has none"},
		{"train an unknown label", func() error {
			o := o
			o.Out, o.Labels = filepath.Join(dir, "colour"), []string{"shape", "colour"}
			_, err := Train(context.Background(), o)
			return err
		}, `no label "colour"; its labels: shape, color`},
		{"train no labels", func() error {
			o := o
			o.Out, o.Labels = filepath.Join(dir, "none"), []string{}
			_, err := Train(context.Background(), o)
			return err
		}, "no labels to predict; " + shapes + " has shape, color"},
		{"train on a missing split", func() error {
			o := o
			o.Out, o.Training.Train = filepath.Join(dir, "val"), "val"
			_, err := Train(context.Background(), o)
			return err
		}, `no split "val"; its splits: train, test`},
		{"evaluate on other images", func() error { _, err := Evaluate(ckpt, shapes32, "test"); return err }, "images are [3 32 32], the model takes [3 28 28]"},
		{"evaluate on other colors", func() error { _, err := Evaluate(ckpt, shapes2, "test"); return err },
			"label color has values [red green] in " + shapes2 + ", the model was trained on [red green blue]"},
		{"evaluate on relations", func() error { _, err := Evaluate(ckpt, rel, "test"); return err }, `no label "shape"; its labels: none`},
		{"evaluate on counting", func() error { _, err := Evaluate(ckpt, counting, "test"); return err }, `no label "shape"; its labels: family`},
		{"evaluate on a missing split", func() error { _, err := Evaluate(ckpt, shapes, "val"); return err }, `no split "val"`},
		{"evaluate a VAE", func() error { _, err := Evaluate(vae, shapes, "test"); return err }, "holds a vae, not a classifier (train multilabel, combo or perlabel makes one)"},
		{"inspect on other images", func() error {
			_, err := Inspect(InspectOptions{Checkpoint: ckpt, Data: shapes32, Split: "test", Out: filepath.Join(dir, "x")})
			return err
		}, "images are [3 32 32], the model takes [3 28 28]"},
		{"inspect on other colors", func() error {
			_, err := Inspect(InspectOptions{Checkpoint: ckpt, Data: shapes2, Split: "test", Out: filepath.Join(dir, "x")})
			return err
		}, "label color has values [red green]"},
		{"inspect a VAE", func() error {
			_, err := Inspect(InspectOptions{Checkpoint: vae, Data: shapes, Split: "test", Out: filepath.Join(dir, "x")})
			return err
		}, "holds a vae, not a classifier"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			var mm *bench.MismatchError
			if !errors.As(err, &mm) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want a MismatchError containing %q", err, tt.msg)
			}
		})
	}
}

func TestParseArch(t *testing.T) {
	for _, a := range Archs {
		if got, ok := ParseArch(a.String()); !ok || got != a {
			t.Errorf("ParseArch(%q) = %v, %v", a, got, ok)
		}
	}
	for _, bad := range []string{"", "vae", "Combo"} {
		if _, ok := ParseArch(bad); ok {
			t.Errorf("ParseArch(%q) accepted", bad)
		}
	}
	if got := archList(); got != "multilabel, combo or perlabel" {
		t.Errorf("archList() = %q", got)
	}
}

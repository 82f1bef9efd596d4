package vae

import (
	"context"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/benchtest"
	"github.com/hiddendim/hiddendim/models"
)

func TestTrainAndAnalyze(t *testing.T) {
	dir := t.TempDir()
	data := writeDataset(t, dir, "shapes", map[string]string{"image_size": "16", "size_min": "8", "size_max": "12"}, 300, 90)
	out := filepath.Join(dir, "run")
	scores, err := Train(context.Background(), TrainOptions{Training: bench.Training{Data: data, Out: out, Train: "train", Test: "test",
		Budget: bench.Budget{Epochs: 2, Batch: 30, LR: 2e-3}, Seed: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := scores["kmeans_homogeneity_shape"]; !ok {
		t.Errorf("no shape homogeneity for a shapes dataset: %v", scores)
	}
	if _, err := os.Stat(filepath.Join(out, "metrics.json")); err != nil {
		t.Errorf("no metrics.json: %v", err)
	}
	pics := filepath.Join(dir, "pics")
	files, again, err := Analyze(AnalyzeOptions{Checkpoint: filepath.Join(out, bench.CheckpointFile), Data: data, Out: pics, Train: "train", Test: "test", Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	// The checkpoint scores as the trained model did.
	for k, v := range scores {
		if again[k] != v && !(math.IsNaN(v) && math.IsNaN(again[k])) {
			t.Errorf("%s: %v after training, %v from the checkpoint", k, v, again[k])
		}
	}
	if len(files) != len(AnalyzeFiles) {
		t.Errorf("wrote %v, want %v", files, AnalyzeFiles)
	}
	for _, name := range AnalyzeFiles {
		p := filepath.Join(pics, name)
		f, err := os.Open(p)
		if err != nil {
			t.Error(err)
			continue
		}
		if filepath.Ext(name) == ".png" {
			if img, err := png.Decode(f); err != nil || img.Bounds().Dx() < 100 {
				t.Errorf("%s: not a picture (%v)", name, err)
			}
		}
		f.Close()
	}
	v, meta, losses, err := Load(filepath.Join(out, bench.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if meta.Model.Latent != 10 || meta.Model.Beta != 1 || meta.Model.Likelihood != models.Bernoulli || meta.Dataset != "shapes@"+version(t, "shapes") || len(losses) != 2 {
		t.Errorf("meta %+v, losses %v: want the reference VAE on shapes, 2 epochs", meta, losses)
	}
}

// TestTrainAndAnalyzeRefusals checks that data the VAE cannot read, a
// checkpoint of another model and images of another size are refused as
// MismatchErrors naming what would be right.
func TestTrainAndAnalyzeRefusals(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	rel := writeDataset(t, dir, "relations", tinyRelations, 64, 8)
	counting := writeDataset(t, dir, "counting", nil, 4, 2)
	shapes := writeDataset(t, dir, "shapes", nil, 4, 2)
	budget := bench.Budget{Epochs: 1, Batch: 32, LR: 2e-3}
	ckpt := filepath.Join(dir, "vae", bench.CheckpointFile)
	if _, err := Train(ctx, TrainOptions{Training: bench.Training{Data: rel, Out: filepath.Dir(ckpt), Train: "train", Budget: budget, Seed: 1}}); err != nil {
		t.Fatal(err)
	}
	// A checkpoint of another kind, holding a VAE's weights.
	other := filepath.Join(dir, "other", bench.CheckpointFile)
	v, _, _, err := Load(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := models.NewCheckpoint("captioner", map[string]string{}, v.Params(), nil)
	v.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(other), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := ck.Save(other); err != nil {
		t.Fatal(err)
	}
	analyze := func(ck, data string) error {
		_, _, err := Analyze(AnalyzeOptions{Checkpoint: ck, Data: data, Out: filepath.Join(dir, "pics"), Train: "train", Test: "test", Seed: 1})
		return err
	}
	tests := []struct {
		name string
		run  func() error
		msg  string
	}{
		{"train on counting", func() error {
			_, err := Train(ctx, TrainOptions{Training: bench.Training{Data: counting, Out: filepath.Join(dir, "x"), Train: "train", Budget: budget}})
			return err
		}, "vae trains on relations, shapes, webpages datasets; " + counting + " is a counting dataset"},
		{"train on a missing split", func() error {
			_, err := Train(ctx, TrainOptions{Training: bench.Training{Data: rel, Out: filepath.Join(dir, "x"), Train: "train", Test: "val", Budget: budget}})
			return err
		}, `no split "val"`},
		{"analyze on counting", func() error { return analyze(ckpt, counting) }, "vae trains on relations, shapes, webpages datasets"},
		{"analyze a captioner", func() error { return analyze(other, rel) }, "holds a captioner, not a VAE (train vae makes one)"},
		{"analyze on other images", func() error { return analyze(ckpt, shapes) }, "images are [3 28 28], the VAE takes [3 16 16]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			var mm *bench.MismatchError
			if !errors.As(err, &mm) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want a MismatchError containing %q", err, tt.msg)
			}
		})
	}
}

func TestCheckLikelihood(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{{"", true}, {"bernoulli", true}, {"gaussian", true}, {"poisson", false}, {"Bernoulli", false}} {
		err := CheckLikelihood(tt.in)
		if (err == nil) != tt.ok || (err != nil && !strings.Contains(err.Error(), "want bernoulli or gaussian")) {
			t.Errorf("CheckLikelihood(%q) = %v", tt.in, err)
		}
	}
	if got := Likelihoods(); !slices.Equal(got, []string{models.Bernoulli, models.Gaussian}) {
		t.Errorf("Likelihoods() = %v", got)
	}
}

// TestResumeToMoreEpochs runs the kernel's resume checks (see
// benchtest.ResumeToMoreEpochs) on this kind's training.
func TestResumeToMoreEpochs(t *testing.T) {
	dir := t.TempDir()
	rel := writeDataset(t, dir, "relations", tinyRelations, 64, 8)
	train := func(o bench.Training, resume bool) error {
		o.Data = rel
		_, err := Train(context.Background(), TrainOptions{Training: o, Resume: resume})
		return err
	}
	benchtest.ResumeToMoreEpochs(t, dir, train)
}

// TestResumeRefusals checks that a resume with any other setting, the
// VAE's included, is refused as a MismatchError naming what differs, and
// that a cosine run's epochs cannot change.
func TestResumeRefusals(t *testing.T) {
	dir := t.TempDir()
	rel := writeDataset(t, dir, "relations", tinyRelations, 64, 8)
	type setup struct {
		budget     bench.Budget
		seed       uint64
		latent     int
		beta       float64
		likelihood string
	}
	run := func(out string, s setup, resume bool) error {
		_, err := Train(context.Background(), TrainOptions{Training: bench.Training{Data: rel, Train: "train", Out: filepath.Join(dir, out), Budget: s.budget, Seed: s.seed},
			Resume: resume, Latent: s.latent, Beta: s.beta, Likelihood: s.likelihood})
		return err
	}
	constant := setup{budget: bench.Budget{Epochs: 2, Batch: 32, LR: 2e-3}, seed: 1}
	cosine := setup{budget: bench.Budget{Epochs: 1, Batch: 32, LR: 2e-3, Schedule: bench.Cosine}, seed: 1}
	if err := run("c", constant, false); err != nil {
		t.Fatal(err)
	}
	if err := run("cos", cosine, false); err != nil {
		t.Fatal(err)
	}
	with := func(s setup, edit func(*setup)) setup { edit(&s); return s }
	tests := []struct {
		name  string
		out   string
		setup setup
		msg   string // "" for accepted
	}{
		{"same settings", "c", constant, ""},
		{"more epochs", "c", with(constant, func(s *setup) { s.budget.Epochs = 3 }), ""},
		{"the reference's settings named", "c", with(constant, func(s *setup) { s.budget.Epochs = 3; s.latent, s.beta, s.likelihood = 10, 1, models.Bernoulli }), ""},
		{"fewer epochs than done", "c", with(constant, func(s *setup) { s.budget.Epochs = 1 }), "has 3 epochs done; --epochs 1 is fewer"},
		{"another rate", "c", with(constant, func(s *setup) { s.budget.Epochs = 3; s.budget.LR = 0.01 }), "--lr 0.002 → 0.01"},
		{"another batch and seed", "c", with(constant, func(s *setup) { s.budget.Epochs = 3; s.budget.Batch = 16; s.seed = 2 }), "--batch 32 → 16, --seed 1 → 2"},
		{"another schedule", "c", with(constant, func(s *setup) { s.budget.Epochs = 3; s.budget.Schedule = bench.Cosine }), "--schedule (none) → cosine"},
		{"another latent size", "c", with(constant, func(s *setup) { s.budget.Epochs = 3; s.latent = 8 }), "--latent 10 → 8"},
		{"another beta", "c", with(constant, func(s *setup) { s.budget.Epochs = 3; s.beta = 4 }), "--beta 1 → 4"},
		{"another likelihood", "c", with(constant, func(s *setup) { s.budget.Epochs = 3; s.likelihood = models.Gaussian }), "--likelihood (model.likelihood) bernoulli → gaussian"},
		{"cosine, same epochs", "cos", cosine, ""},
		{"cosine, more epochs", "cos", with(cosine, func(s *setup) { s.budget.Epochs = 2 }), "is a cosine run of 1 epochs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.out, tt.setup, true)
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

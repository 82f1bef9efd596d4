package caption

import (
	"context"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/benchtest"
)

var small = map[string]string{"image_size": "16", "size_min": "6", "size_max": "8"}

func TestTrainAndPictures(t *testing.T) {
	dir := t.TempDir()
	data := writeDataset(t, dir, "relations", small, 96, 20)
	out := filepath.Join(dir, "run")
	scores, err := Train(context.Background(), TrainOptions{Training: bench.Training{Data: data, Out: out, Train: "train", Test: "test",
		Budget: bench.Budget{Epochs: 1, Batch: 32, LR: 2e-3}, Seed: 2}, Arch: Attention, Beam: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := scores["bleu4"]; !ok {
		t.Errorf("no BLEU in %v", scores)
	}
	if _, err := os.Stat(filepath.Join(out, "metrics.json")); err != nil {
		t.Error(err)
	}
	ckpt := filepath.Join(out, bench.CheckpointFile)
	c, vocab, err := Load(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Config.Attention || len(vocab.Words) != c.Config.Vocab {
		t.Errorf("loaded a captioner of %+v with %d words", c.Config, len(vocab.Words))
	}
	c.Close()
	files, picScores, err := Pictures(ckpt, data, "test", filepath.Join(dir, "pics"), 3, GenerateOptions{Beam: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := picScores["caption_truth"]; !ok {
		t.Errorf("caption's scores have no caption_truth: %v", picScores)
	}
	if len(files) != 3 {
		t.Fatalf("wrote %v", files)
	}
	f, err := os.Open(files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if img, err := png.Decode(f); err != nil || img.Bounds().Dx() < 48 {
		t.Errorf("not a strip: %v", err)
	}
}

// TestTrainRefusals checks that the wrong data, or the wrong checkpoint,
// is a MismatchError naming what would be right.
func TestTrainRefusals(t *testing.T) {
	dir := t.TempDir()
	shapes := writeDataset(t, dir, "shapes", nil, 8, 4)
	rel := writeDataset(t, dir, "relations", small, 8, 4)
	_, err := Train(context.Background(), TrainOptions{Training: bench.Training{Data: shapes, Out: filepath.Join(dir, "x"), Train: "train",
		Budget: bench.Budget{Epochs: 1, Batch: 4, LR: 2e-3}}, Arch: NoAttention})
	var mm *bench.MismatchError
	if !errors.As(err, &mm) || !strings.Contains(err.Error(), "no-attention trains on counting, relations, webpages datasets; "+shapes+" is a shapes dataset") {
		t.Errorf("training on shapes: %v", err)
	}
	_, err = Train(context.Background(), TrainOptions{Training: bench.Training{Data: rel, Out: filepath.Join(dir, "x"), Train: "val",
		Budget: bench.Budget{Epochs: 1, Batch: 4, LR: 2e-3}}, Arch: Attention})
	if !errors.As(err, &mm) || !strings.Contains(err.Error(), `no split "val"`) {
		t.Errorf("training on a missing split: %v", err)
	}
	if _, err := Train(context.Background(), TrainOptions{Training: bench.Training{Data: rel}, Arch: Arch(9)}); err == nil {
		t.Error("trained an unknown architecture")
	}
	if _, _, err := Load(filepath.Join(dir, "none", bench.CheckpointFile)); err == nil {
		t.Error("loaded a missing checkpoint")
	}
}

// A run interrupted in its second epoch and resumed scores as one that
// never stopped; resuming under another rate is refused.
func TestTrainResumes(t *testing.T) {
	dir := t.TempDir()
	data := writeDataset(t, dir, "relations", small, 64, 16)
	opts := func(out string, epochs int) TrainOptions {
		return TrainOptions{Training: bench.Training{Data: data, Out: out, Train: "train", Test: "test",
			Budget: bench.Budget{Epochs: epochs, Batch: 16, LR: 2e-3}, Seed: 4}, Arch: Attention, Beam: 1, Lambda: -1, Resume: true}
	}
	whole, err := Train(context.Background(), opts(filepath.Join(dir, "a"), 2))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	o := opts(filepath.Join(dir, "b"), 2)
	o.OnStep = func(step, _ int, _ float64) {
		if step == 6 { // 4 steps an epoch: the checkpoint holds epoch 1
			cancel()
		}
	}
	if _, err := Train(ctx, o); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted run: %v", err)
	}
	resumed, err := Train(context.Background(), opts(filepath.Join(dir, "b"), 2))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range whole {
		if resumed[k] != v {
			t.Errorf("%s: %v resumed, %v uninterrupted", k, resumed[k], v)
		}
	}
	other := opts(filepath.Join(dir, "b"), 3)
	other.Budget.LR = 1e-3
	if _, err := Train(context.Background(), other); err == nil || !strings.Contains(err.Error(), "--lr 0.002 → 0.001") {
		t.Fatalf("resuming under another budget: %v", err)
	}
}

// TestResumeToMoreEpochs runs the kernel's resume checks (see
// benchtest.ResumeToMoreEpochs) on this kind's training.
func TestResumeToMoreEpochs(t *testing.T) {
	dir := t.TempDir()
	rel := writeDataset(t, dir, "relations", map[string]string{"image_size": "16", "size_min": "6", "size_max": "8", "parts": "true", "single_fraction": "0"}, 64, 8)
	train := func(o bench.Training, resume bool) error {
		o.Data = rel
		_, err := Train(context.Background(), TrainOptions{Training: o, Arch: Attention, Lambda: -1, Resume: resume})
		return err
	}
	benchtest.ResumeToMoreEpochs(t, dir, train)
}

// TestResumeRefusals checks that resuming a captioner with any other
// setting is refused as a MismatchError naming what differs, and that a
// cosine run's epochs cannot change.
func TestResumeRefusals(t *testing.T) {
	dir := t.TempDir()
	rel := writeDataset(t, dir, "relations", small, 64, 8)
	type setup struct {
		budget bench.Budget
		seed   uint64
		arch   Arch
		lambda float64
	}
	run := func(out string, s setup, resume bool) error {
		_, err := Train(context.Background(), TrainOptions{Training: bench.Training{Data: rel, Train: "train", Out: filepath.Join(dir, out), Budget: s.budget, Seed: s.seed},
			Arch: s.arch, Lambda: s.lambda, Resume: resume})
		return err
	}
	constant := setup{bench.Budget{Epochs: 2, Batch: 32, LR: 2e-3}, 1, Attention, -1}
	cosine := setup{bench.Budget{Epochs: 1, Batch: 32, LR: 2e-3, Schedule: bench.Cosine}, 1, Attention, -1}
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
		{"fewer epochs than done", "c", with(constant, func(s *setup) { s.budget.Epochs = 1 }), "has 3 epochs done; --epochs 1 is fewer"},
		{"another rate", "c", with(constant, func(s *setup) { s.budget.Epochs = 3; s.budget.LR = 0.01 }), "--lr 0.002 → 0.01"},
		{"another batch and seed", "c", with(constant, func(s *setup) { s.budget.Epochs = 3; s.budget.Batch = 16; s.seed = 2 }), "--batch 32 → 16, --seed 1 → 2"},
		{"another schedule", "c", with(constant, func(s *setup) { s.budget.Epochs = 3; s.budget.Schedule = bench.Cosine }), "--schedule (none) → cosine"},
		{"another lambda", "c", with(constant, func(s *setup) { s.budget.Epochs = 3; s.lambda = 0.5 }), "--lambda 0 → 0.5"},
		{"another architecture", "c", with(constant, func(s *setup) { s.budget.Epochs = 3; s.arch = NoAttention }), "model.attention true → false"},
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

// TestPicturesUnderGrammar scores one page captioner's checkpoint twice,
// as `hiddendim caption --grammar` and without it: under the grammar
// every page parses, without it a barely trained captioner's pages do
// not; and a relations captioner refuses the grammar, naming why.
func TestPicturesUnderGrammar(t *testing.T) {
	dir := t.TempDir()
	data := writeDataset(t, dir, "webpages", tinyPages, 8, 6)
	out := filepath.Join(dir, "run")
	if _, err := Train(context.Background(), TrainOptions{Training: bench.Training{Data: data, Out: out, Train: "train",
		Budget: bench.Budget{Epochs: 1, Batch: 4, LR: 2e-3}, Seed: 2}, Arch: Attention}); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(out, bench.CheckpointFile)
	parse := map[bool]float64{}
	for _, grammar := range []bool{false, true} {
		_, scores, err := Pictures(ckpt, data, "test", filepath.Join(dir, fmt.Sprint("pics-", grammar)), 6, GenerateOptions{Grammar: grammar})
		if err != nil {
			t.Fatal(err)
		}
		parse[grammar] = scores["parse_rate"]
	}
	if parse[true] != 1 || parse[false] == 1 {
		t.Errorf("parse_rate under the grammar %v (want 1), without it %v (want below 1)", parse[true], parse[false])
	}

	rel := writeDataset(t, dir, "relations", small, 8, 4)
	relOut := filepath.Join(dir, "rel")
	if _, err := Train(context.Background(), TrainOptions{Training: bench.Training{Data: rel, Out: relOut, Train: "train",
		Budget: bench.Budget{Epochs: 1, Batch: 4, LR: 2e-3}, Seed: 2}, Arch: Attention}); err != nil {
		t.Fatal(err)
	}
	_, _, err := Pictures(filepath.Join(relOut, bench.CheckpointFile), rel, "test", filepath.Join(dir, "relpics"), 2, GenerateOptions{Grammar: true})
	var mm *bench.MismatchError
	if !errors.As(err, &mm) || !strings.Contains(err.Error(), "which only webpages captions have") {
		t.Errorf("a relations captioner under the grammar: %v", err)
	}
}

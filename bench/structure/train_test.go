package structure

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/benchtest"
	"github.com/hiddendim/hiddendim/models"
)

// TestResumeToMoreEpochs runs the kernel's resume checks (see
// benchtest.ResumeToMoreEpochs) on the page segmenter.
func TestResumeToMoreEpochs(t *testing.T) {
	pages := writePages(t, t.TempDir(), 32, 1) // the checks train with batch 32
	train := func(o bench.Training, resume bool) error {
		o.Data = pages
		_, err := Train(context.Background(), TrainOptions{Training: o, Resume: resume})
		return err
	}
	benchtest.ResumeToMoreEpochs(t, t.TempDir(), train)
}

// TestTrainedBeatsMajority shows the segmentation scores tell a trained
// U-Net from one that learned nothing: after 128 steps of 4 tiny pages
// its pixel accuracy and mIoU clear the majority-class mask's by a wide
// margin (measured: 0.677 and 0.481 against 0.311 and 0.035; the bounds
// below leave room for a slower learner, not for none).
func TestTrainedBeatsMajority(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a U-Net for several epochs")
	}
	dir := t.TempDir()
	pages := writePages(t, dir, 64, 16)
	scores, err := Train(context.Background(), TrainOptions{Training: bench.Training{Data: pages, Out: filepath.Join(dir, "seg"),
		Train: "train", Test: "test", Budget: bench.Budget{Epochs: 8, Batch: 4, LR: 2e-3}, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("pixel accuracy %.3f (majority %.3f), mIoU %.3f (majority %.3f)", scores["pixel_accuracy"].Value, scores["majority_pixel_accuracy"].Value,
		scores["miou"].Value, scores["majority_miou"].Value)
	if scores["pixel_accuracy"].Value < scores["majority_pixel_accuracy"].Value+0.2 || scores["miou"].Value < scores["majority_miou"].Value+0.1 {
		t.Errorf("trained: pixel accuracy %.3f, mIoU %.3f; the majority mask %.3f, %.3f: want the net well above",
			scores["pixel_accuracy"].Value, scores["miou"].Value, scores["majority_pixel_accuracy"].Value, scores["majority_miou"].Value)
	}
}

// TestConfigFor: the options reach the U-Net's config, and median
// weights are the training masks' (models.MedianFrequencyWeights), kept
// in the checkpoint's model config so that eval and resume see them.
func TestConfigFor(t *testing.T) {
	dir := t.TempDir()
	pages := writePages(t, dir, 6, 0)
	set, err := LoadSet(pages, "train")
	if err != nil {
		t.Fatal(err)
	}
	median, err := models.MedianFrequencyWeights(set.Masks, set.plane(), numClasses)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		o       NetOptions
		weights []float64
		deep    int
		stem    int
		err     string
	}{
		{NetOptions{}, nil, 0, 0, ""},
		{NetOptions{ClassWeights: MedianFrequency}, median, 0, 0, ""},
		{NetOptions{Deep: 64}, nil, 64, 0, ""},
		{NetOptions{Deep: 64, Stem: 8}, nil, 64, 8, ""},
		{NetOptions{ClassWeights: "inverse"}, nil, 0, 0, `class weights "inverse": want none or median`},
		{NetOptions{Deep: -1}, nil, 0, 0, "deep level of -1 channels"},
		{NetOptions{Stem: -2}, nil, 0, 0, "stem of -2 channels"},
	}
	for _, tt := range tests {
		cfg, err := ConfigFor(set, tt.o, 3)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%+v: error %v, want one containing %q", tt.o, err, tt.err)
			}
			continue
		}
		if err != nil || !slices.Equal(cfg.ClassWeights, tt.weights) || cfg.Deep != tt.deep || cfg.Stem != tt.stem || cfg.Seed != 3 {
			t.Errorf("%+v: config %+v (%v); want weights %v, deep %d, stem %d, seed 3", tt.o, cfg, err, tt.weights, tt.deep, tt.stem)
		}
	}
	if slices.Equal(median, slices.Repeat([]float64{1}, numClasses)) {
		t.Fatal("the median weights are all 1: the test cannot tell them from none")
	}

	out := filepath.Join(dir, "seg")
	o := TrainOptions{Training: bench.Training{Data: pages, Out: out, Train: "train", Budget: bench.Budget{Epochs: 1, Batch: 6, LR: 1e-3}, Seed: 1},
		NetOptions: NetOptions{ClassWeights: MedianFrequency}}
	if _, err := Train(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	net, meta, err := Load(filepath.Join(out, bench.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	net.Close()
	if !slices.Equal(meta.Model.ClassWeights, median) {
		t.Fatalf("the checkpoint's weights %v, want %v", meta.Model.ClassWeights, median)
	}
	o.NetOptions = NetOptions{}
	if _, err := Train(context.Background(), TrainOptions{Training: o.Training, Resume: true}); err == nil || !strings.Contains(err.Error(), "class_weights") {
		t.Fatalf("resuming a weighted run without weights: error %v, want one naming the class weights", err)
	}
}

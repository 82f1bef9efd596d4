package structure

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/benchtest"
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

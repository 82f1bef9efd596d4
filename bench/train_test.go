package bench

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/models"
)

// trainers run one training of each model family the train command knows,
// each on data it trains on.
func trainers(t *testing.T, dir string) []struct {
	name  string
	train func(o Training, resume bool) error
} {
	t.Helper()
	ctx := context.Background()
	shapes := writeDataset(t, dir, "shapes", nil, 64, 8)
	rel := writeDataset(t, dir, "relations", map[string]string{"image_size": "16", "size_min": "6", "size_max": "8", "parts": "true", "single_fraction": "0"}, 64, 8)
	return []struct {
		name  string
		train func(o Training, resume bool) error
	}{
		{"combo", func(o Training, resume bool) error {
			o.Data = shapes
			_, err := TrainClassifier(ctx, TrainOptions{Training: o, Arch: models.Combo, Resume: resume})
			return err
		}},
		{"vae", func(o Training, resume bool) error {
			o.Data = rel
			_, err := TrainVAE(ctx, VAETrainOptions{Training: o, Resume: resume})
			return err
		}},
		{"attention", func(o Training, resume bool) error {
			o.Data = rel
			_, err := TrainCaptioner(ctx, CaptionTrainOptions{Training: o, Arch: AttentionArch, Lambda: -1, Resume: resume})
			return err
		}},
	}
}

func readCheckpoint(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestResumeToMoreEpochs checks, for every model family, that a 1-epoch
// run resumed with 2 epochs trains only the second and ends with the very
// checkpoint a 2-epoch run writes; and that --overwrite starts afresh.
func TestResumeToMoreEpochs(t *testing.T) {
	dir := t.TempDir()
	for _, m := range trainers(t, dir) {
		t.Run(m.name, func(t *testing.T) {
			base := Training{Train: "train", Budget: Budget{Epochs: 1, Batch: 32, LR: 2e-3}, Seed: 1}
			var epochs []int
			base.OnEpoch = func(e int, _ float64) { epochs = append(epochs, e) }

			a := base
			a.Out = filepath.Join(dir, m.name, "a")
			if err := m.train(a, false); err != nil {
				t.Fatal(err)
			}
			oneEpoch := readCheckpoint(t, a.Out)
			epochs = nil
			a.Budget.Epochs = 2
			if err := m.train(a, true); err != nil {
				t.Fatalf("resume to 2 epochs: %v", err)
			}
			if !slices.Equal(epochs, []int{2}) {
				t.Fatalf("the resumed run trained epochs %v, want [2]", epochs)
			}

			b := base
			b.Out = filepath.Join(dir, m.name, "b")
			b.Budget.Epochs = 2
			if err := m.train(b, false); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(readCheckpoint(t, a.Out), readCheckpoint(t, b.Out)) {
				t.Fatal("1 epoch resumed to 2 differs from 2 epochs in one run")
			}

			// Without --resume or --overwrite the checkpoint is kept.
			a.Budget.Epochs = 1
			if err := m.train(a, false); !errors.Is(err, ErrCheckpointExists) {
				t.Fatalf("train over a checkpoint: %v, want ErrCheckpointExists", err)
			}
			if !bytes.Equal(readCheckpoint(t, a.Out), readCheckpoint(t, b.Out)) {
				t.Fatal("a refused run changed the checkpoint")
			}
			// --overwrite trains afresh: the 1-epoch checkpoint again.
			epochs = nil
			a.Overwrite = true
			if err := m.train(a, false); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(epochs, []int{1}) || !bytes.Equal(readCheckpoint(t, a.Out), oneEpoch) {
				t.Fatalf("overwrite trained epochs %v and matches a fresh run: %v", epochs, bytes.Equal(readCheckpoint(t, a.Out), oneEpoch))
			}
		})
	}
}

// TestResumeRefusals checks that a resume with any other change is refused
// as a MismatchError naming what differs, and that a cosine run's epochs
// cannot change.
func TestResumeRefusals(t *testing.T) {
	dir := t.TempDir()
	m := trainers(t, dir)[0] // the classifier; resumeFrom is shared
	run := func(out string, b Budget, seed uint64, resume bool) error {
		return m.train(Training{Train: "train", Out: filepath.Join(dir, out), Budget: b, Seed: seed}, resume)
	}
	constant := Budget{Epochs: 2, Batch: 32, LR: 2e-3}
	cosine := Budget{Epochs: 1, Batch: 32, LR: 2e-3, Schedule: "cosine"}
	if err := run("c", constant, 1, false); err != nil {
		t.Fatal(err)
	}
	if err := run("cos", cosine, 1, false); err != nil {
		t.Fatal(err)
	}
	with := func(b Budget, edit func(*Budget)) Budget { edit(&b); return b }
	tests := []struct {
		name   string
		out    string
		budget Budget
		seed   uint64
		msg    string // "" for accepted
	}{
		{"same settings", "c", constant, 1, ""},
		{"more epochs", "c", with(constant, func(b *Budget) { b.Epochs = 3 }), 1, ""},
		{"fewer epochs than done", "c", with(constant, func(b *Budget) { b.Epochs = 1 }), 1, "has 3 epochs done; --epochs 1 is fewer"},
		{"another rate", "c", with(constant, func(b *Budget) { b.Epochs = 3; b.LR = 0.01 }), 1, "--lr 0.002 → 0.01"},
		{"another batch and seed", "c", with(constant, func(b *Budget) { b.Epochs = 3; b.Batch = 16 }), 2, "--batch 32 → 16, --seed 1 → 2"},
		{"another schedule", "c", with(constant, func(b *Budget) { b.Epochs = 3; b.Schedule = "cosine" }), 1, "--schedule (none) → cosine"},
		{"cosine, same epochs", "cos", cosine, 1, ""},
		{"cosine, more epochs", "cos", with(cosine, func(b *Budget) { b.Epochs = 2 }), 1, "is a cosine run of 1 epochs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(tt.out, tt.budget, tt.seed, true)
			if tt.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var mm *MismatchError
			if !errors.As(err, &mm) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want a MismatchError containing %q", err, tt.msg)
			}
		})
	}
}

package bench

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/models"
)

// fitMeta is what a test checkpoint records: the settings resumeFrom
// compares, under the names the kinds' metas use.
type fitMeta struct {
	Model struct {
		Seed uint64 `json:"seed"`
	} `json:"model"`
	Budget Budget `json:"budget"`
}

// fitTiny trains a small classifier on 64 random 8×8 images with Fit, the
// way every kind's single-model training does.
func fitTiny(t *testing.T, o Training, resume bool) error {
	t.Helper()
	rng := rand.New(rand.NewPCG(3, 4))
	ex := &models.Examples{Shape: [3]int{3, 8, 8}}
	for range 64 {
		for range 3 * 8 * 8 {
			ex.X = append(ex.X, rng.Float32())
		}
		ex.Labels = append(ex.Labels, []int{rng.IntN(3)})
	}
	c, err := models.NewClassifier(models.ClassifierConfig{Arch: models.MultiLabel, Input: ex.Shape, Heads: []int{3}, Conv: []int{2}, Hidden: 4, Seed: o.Seed})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var meta fitMeta
	meta.Model.Seed, meta.Budget = o.Seed, o.Budget
	_, err = o.Fit(context.Background(), "toy", meta, c, ex.Len(), func(int) models.Feeder { return c.Feeder(ex) }, resume)
	return err
}

func readCheckpoint(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestResumeToMoreEpochs checks that a 1-epoch run resumed with 2 epochs
// trains only the second and ends with the very checkpoint a 2-epoch run
// writes; and that Overwrite starts afresh. (Each kind tests the same of
// its own training.)
func TestResumeToMoreEpochs(t *testing.T) {
	dir := t.TempDir()
	base := Training{Train: "train", Budget: Budget{Epochs: 1, Batch: 16, LR: 2e-3}, Seed: 1}
	var epochs []int
	base.OnEpoch = func(e int, _ float64) { epochs = append(epochs, e) }

	a := base
	a.Out = filepath.Join(dir, "a")
	if err := fitTiny(t, a, false); err != nil {
		t.Fatal(err)
	}
	oneEpoch := readCheckpoint(t, a.Out)
	epochs = nil
	a.Budget.Epochs = 2
	if err := fitTiny(t, a, true); err != nil {
		t.Fatalf("resume to 2 epochs: %v", err)
	}
	if !slices.Equal(epochs, []int{2}) {
		t.Fatalf("the resumed run trained epochs %v, want [2]", epochs)
	}
	b := base
	b.Out = filepath.Join(dir, "b")
	b.Budget.Epochs = 2
	if err := fitTiny(t, b, false); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readCheckpoint(t, a.Out), readCheckpoint(t, b.Out)) {
		t.Fatal("1 epoch resumed to 2 differs from 2 epochs in one run")
	}
	// Without resume or Overwrite the checkpoint is kept.
	a.Budget.Epochs = 1
	if err := fitTiny(t, a, false); !errors.Is(err, ErrCheckpointExists) {
		t.Fatalf("train over a checkpoint: %v, want ErrCheckpointExists", err)
	}
	if !bytes.Equal(readCheckpoint(t, a.Out), readCheckpoint(t, b.Out)) {
		t.Fatal("a refused run changed the checkpoint")
	}
	// Overwrite trains afresh: the 1-epoch checkpoint again.
	epochs = nil
	a.Overwrite = true
	if err := fitTiny(t, a, false); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(epochs, []int{1}) || !bytes.Equal(readCheckpoint(t, a.Out), oneEpoch) {
		t.Fatalf("overwrite trained epochs %v and matches a fresh run: %v", epochs, bytes.Equal(readCheckpoint(t, a.Out), oneEpoch))
	}
	if e, err := CheckpointEpoch(filepath.Join(a.Out, CheckpointFile)); err != nil || e != 1 {
		t.Fatalf("CheckpointEpoch = %d, %v; want 1", e, err)
	}
}

// TestResumeRefusals checks that a resume with any other change is refused
// as a MismatchError naming what differs, and that a cosine run's epochs
// cannot change.
func TestResumeRefusals(t *testing.T) {
	dir := t.TempDir()
	run := func(out string, b Budget, seed uint64, resume bool) error {
		return fitTiny(t, Training{Train: "train", Out: filepath.Join(dir, out), Budget: b, Seed: seed}, resume)
	}
	constant := Budget{Epochs: 2, Batch: 16, LR: 2e-3}
	cosine := Budget{Epochs: 1, Batch: 16, LR: 2e-3, Schedule: Cosine}
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
		{"another batch and seed", "c", with(constant, func(b *Budget) { b.Epochs = 3; b.Batch = 8 }), 2, "--batch 16 → 8, --seed 1 → 2"},
		{"another schedule", "c", with(constant, func(b *Budget) { b.Epochs = 3; b.Schedule = Cosine }), 1, "--schedule (none) → cosine"},
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
	// A checkpoint of another kind is refused by name.
	var meta fitMeta
	_, err := LoadCheckpoint(filepath.Join(dir, "c", CheckpointFile), "vae", "train vae", &meta)
	var mm *MismatchError
	if !errors.As(err, &mm) || !strings.Contains(err.Error(), "holds a toy, not a vae") {
		t.Fatalf("LoadCheckpoint of another kind: %v", err)
	}
}

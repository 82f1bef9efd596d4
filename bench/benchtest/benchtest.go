// Package benchtest holds what the tests of the bench kernel and of its
// kinds share: writing a small dataset, and the checks every kind's
// single-model training must pass (resuming to more epochs, keeping or
// overwriting a checkpoint). Only tests import it.
package benchtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/generators"
)

// WriteDataset generates a small dataset of gen (registered in reg) with
// the given settings, train and test splits into dir/name, and returns its
// folder.
func WriteDataset(t testing.TB, reg *generators.Registry, dir, name, gen string, settings map[string]string, train, test int) string {
	t.Helper()
	out := filepath.Join(dir, name)
	ds, err := reg.Lookup(gen)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := bench.DatasetSpec{Generator: gen, Version: ds.Version().String(), Settings: settings,
		Splits: []generators.SplitSize{{Name: "train", Count: train}, {Name: "test", Count: test}}}.Spec(reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := generators.Write(context.Background(), spec, generators.WriteOptions{Out: out}); err != nil {
		t.Fatal(err)
	}
	return out
}

// ReadCheckpoint returns the bytes of the checkpoint in the training
// folder dir.
func ReadCheckpoint(t testing.TB, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, bench.CheckpointFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ResumeToMoreEpochs checks a kind's single-model training, train (which
// fills in its data and model and passes o and resume on): that a 1-epoch
// run resumed with 2 epochs trains only the second and ends with the very
// checkpoint a 2-epoch run writes; that without resume or Overwrite a
// checkpoint is kept; and that Overwrite starts afresh. It trains in
// folders under dir with batch 32.
func ResumeToMoreEpochs(t *testing.T, dir string, train func(o bench.Training, resume bool) error) {
	t.Helper()
	base := bench.Training{Train: "train", Budget: bench.Budget{Epochs: 1, Batch: 32, LR: 2e-3}, Seed: 1}
	var epochs []int
	base.OnEpoch = func(e int, _ float64) { epochs = append(epochs, e) }

	a := base
	a.Out = filepath.Join(dir, "a")
	if err := train(a, false); err != nil {
		t.Fatal(err)
	}
	oneEpoch := ReadCheckpoint(t, a.Out)
	epochs = nil
	a.Budget.Epochs = 2
	if err := train(a, true); err != nil {
		t.Fatalf("resume to 2 epochs: %v", err)
	}
	if !slices.Equal(epochs, []int{2}) {
		t.Fatalf("the resumed run trained epochs %v, want [2]", epochs)
	}
	b := base
	b.Out = filepath.Join(dir, "b")
	b.Budget.Epochs = 2
	if err := train(b, false); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ReadCheckpoint(t, a.Out), ReadCheckpoint(t, b.Out)) {
		t.Fatal("1 epoch resumed to 2 differs from 2 epochs in one run")
	}
	// Without resume or Overwrite the checkpoint is kept.
	a.Budget.Epochs = 1
	if err := train(a, false); !errors.Is(err, bench.ErrCheckpointExists) {
		t.Fatalf("train over a checkpoint: %v, want ErrCheckpointExists", err)
	}
	if !bytes.Equal(ReadCheckpoint(t, a.Out), ReadCheckpoint(t, b.Out)) {
		t.Fatal("a refused run changed the checkpoint")
	}
	// Overwrite trains afresh: the 1-epoch checkpoint again.
	epochs = nil
	a.Overwrite = true
	if err := train(a, false); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(epochs, []int{1}) || !bytes.Equal(ReadCheckpoint(t, a.Out), oneEpoch) {
		t.Fatalf("overwrite trained epochs %v and matches a fresh run: %v", epochs, bytes.Equal(ReadCheckpoint(t, a.Out), oneEpoch))
	}
}

// CheckPictures checks that each record's run drew the named files into
// its folder under dir (bench.Options.Pictures): dir/<task>/<model>/seed-<seed>,
// each a PNG that decodes to a picture of at least 16×16 pixels.
func CheckPictures(t testing.TB, dir string, recs []bench.Record, files ...string) {
	t.Helper()
	for _, r := range recs {
		for _, f := range files {
			p := filepath.Join(dir, r.Task, r.Model, fmt.Sprintf("seed-%d", r.Seed), f)
			fh, err := os.Open(p)
			if err != nil {
				t.Errorf("%s %s seed %d drew no %s: %v", r.Task, r.Model, r.Seed, f, err)
				continue
			}
			img, err := png.Decode(fh)
			fh.Close()
			if err != nil {
				t.Errorf("%s: %v", p, err)
			} else if b := img.Bounds(); b.Dx() < 16 || b.Dy() < 16 {
				t.Errorf("%s: %v, too small", p, b)
			}
		}
	}
}

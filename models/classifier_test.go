package models

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
)

// toyExamples makes 8×8 images whose first label is the lit channel and
// whose second is the lit band of rows: a task any of the three
// architectures learns in a few epochs.
func toyExamples(n int, seed uint64) *Examples {
	rng := rand.New(rand.NewPCG(seed, 1))
	ex := &Examples{Shape: [3]int{3, 8, 8}, X: make([]float32, n*3*64)}
	for i := 0; i < n; i++ {
		ch, band := rng.IntN(3), rng.IntN(3)
		img := ex.X[i*192 : (i+1)*192]
		for k := range img {
			img[k] = 0.1 * rng.Float32()
		}
		for y := band * 2; y < band*2+3; y++ {
			for x := 1; x < 7; x++ {
				img[ch*64+y*8+x] = 0.8 + 0.2*rng.Float32()
			}
		}
		ex.Labels = append(ex.Labels, []int{ch, band})
	}
	return ex
}

func toyConfig(arch string) ClassifierConfig {
	return ClassifierConfig{Arch: arch, Input: [3]int{3, 8, 8}, Heads: []int{3, 3}, Conv: []int{4, 8}, Hidden: 16, Seed: 3}
}

func trainToy(t *testing.T, arch string, cfg TrainConfig, resume *State, c *Classifier) (*Classifier, *State) {
	t.Helper()
	if c == nil {
		var err error
		if c, err = NewClassifier(toyConfig(arch)); err != nil {
			t.Fatal(err)
		}
	}
	ex := toyExamples(256, 1)
	st, err := Train(context.Background(), c, ex.Len(), c.Feeder(ex), cfg, resume)
	if err != nil {
		t.Fatal(err)
	}
	return c, st
}

func weights(c *Classifier) [][]float32 {
	var out [][]float32
	for _, p := range c.Params() {
		out = append(out, append([]float32(nil), p.Data()...))
	}
	return out
}

func TestClassifiersLearn(t *testing.T) {
	test := toyExamples(200, 99)
	for _, arch := range []string{MultiLabel, Combo, PerLabel} {
		t.Run(arch, func(t *testing.T) {
			c, st := trainToy(t, arch, TrainConfig{Epochs: 8, Batch: 16, LR: 3e-3, Seed: 1}, nil, nil)
			if st.Losses[len(st.Losses)-1] >= st.Losses[0] {
				t.Errorf("loss did not fall: %v", st.Losses)
			}
			pred, err := c.PredictLabels(test, 64)
			if err != nil {
				t.Fatal(err)
			}
			right := 0
			for i, p := range pred {
				if slices.Equal(p, test.Labels[i]) {
					right++
				}
			}
			if right < 190 {
				t.Errorf("%s: %d of 200 test examples right, want at least 190", arch, right)
			}
		})
	}
}

func TestTrainingIsDeterministic(t *testing.T) {
	cfg := TrainConfig{Epochs: 2, Batch: 16, LR: 1e-3, Seed: 5}
	a, _ := trainToy(t, MultiLabel, cfg, nil, nil)
	b, _ := trainToy(t, MultiLabel, cfg, nil, nil)
	cfg.Seed = 6
	c, _ := trainToy(t, MultiLabel, cfg, nil, nil)
	wa, wb, wc := weights(a), weights(b), weights(c)
	for i := range wa {
		if !slices.Equal(wa[i], wb[i]) {
			t.Fatalf("%s differs between two identical runs", a.Params()[i].Name)
		}
	}
	if slices.Equal(wa[0], wc[0]) {
		t.Fatal("a different shuffle seed gave the same weights")
	}
}

func TestCheckpointResumeIsExact(t *testing.T) {
	cfg := TrainConfig{Epochs: 4, Batch: 16, LR: 1e-3, Seed: 2}
	whole, wholeSt := trainToy(t, PerLabel, cfg, nil, nil)

	cfg.Epochs = 2
	half, st := trainToy(t, PerLabel, cfg, nil, nil)
	path := filepath.Join(t.TempDir(), "half.ckpt")
	ck, err := NewCheckpoint("classifier", half.Config, half.Params(), st)
	if err != nil {
		t.Fatal(err)
	}
	if err := ck.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := NewClassifier(toyConfig(PerLabel))
	if err != nil {
		t.Fatal(err)
	}
	resume, err := loaded.Restore(fresh.Params())
	if err != nil {
		t.Fatal(err)
	}
	if resume.Step != st.Step || resume.Adam.Step != st.Adam.Step {
		t.Fatalf("restored step %d/%d, saved %d/%d", resume.Step, resume.Adam.Step, st.Step, st.Adam.Step)
	}
	cfg.Epochs = 4
	_, resumedSt := trainToy(t, PerLabel, cfg, resume, fresh)
	sameRun(t, "2+2 epochs with a checkpoint between", whole, fresh, wholeSt, resumedSt)
}

// sameRun fails t unless run got ended with whole's weights and losses,
// bit for bit.
func sameRun(t *testing.T, what string, whole, got *Classifier, wholeSt, gotSt *State) {
	t.Helper()
	ww, wg := weights(whole), weights(got)
	for i := range ww {
		if !slices.Equal(ww[i], wg[i]) {
			t.Fatalf("%s: %s differs from the uninterrupted run", what, whole.Params()[i].Name)
		}
	}
	if !slices.Equal(wholeSt.Losses, gotSt.Losses) {
		t.Fatalf("%s: losses %v, uninterrupted %v", what, gotSt.Losses, wholeSt.Losses)
	}
}

package models

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
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

func toyConfig(arch ClassifierArch) ClassifierConfig {
	return ClassifierConfig{Arch: arch, Input: [3]int{3, 8, 8}, Heads: []int{3, 3}, Conv: []int{4, 8}, Hidden: 16, Seed: 3}
}

func trainToy(t *testing.T, arch ClassifierArch, cfg TrainConfig, resume *State, c *Classifier) (*Classifier, *State) {
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
	for _, arch := range []ClassifierArch{MultiLabel, Combo, PerLabel} {
		t.Run(arch.String(), func(t *testing.T) {
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

// TestClassifierArchRoundTrips checks that the architectures marshal as
// the names checkpoints have always recorded, read back, and that other
// names and numbers are refused.
func TestClassifierArchRoundTrips(t *testing.T) {
	tests := []struct {
		arch ClassifierArch
		name string
	}{{MultiLabel, "multilabel"}, {Combo, "combo"}, {PerLabel, "perlabel"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := toyConfig(tt.arch)
			b, err := json.Marshal(cfg)
			if err != nil {
				t.Fatal(err)
			}
			want := `{"arch":"` + tt.name + `","input":[3,8,8],"heads":[3,3],"conv":[4,8],"hidden":16,"seed":3}`
			if string(b) != want {
				t.Fatalf("config marshals as %s, want %s", b, want)
			}
			var back ClassifierConfig
			if err := json.Unmarshal(b, &back); err != nil || back.Arch != tt.arch || tt.arch.String() != tt.name {
				t.Fatalf("read back %v (%v), String %q", back.Arch, err, tt.arch)
			}
			if a, err := ParseClassifierArch(tt.name); err != nil || a != tt.arch {
				t.Fatalf("ParseClassifierArch(%q) = %v, %v", tt.name, a, err)
			}
		})
	}
	for _, bad := range []string{"", "MultiLabel", "resnet"} {
		if _, err := ParseClassifierArch(bad); err == nil || !strings.Contains(err.Error(), "want multilabel, combo or perlabel") {
			t.Errorf("ParseClassifierArch(%q): %v", bad, err)
		}
		var cfg ClassifierConfig
		if err := json.Unmarshal([]byte(`{"arch":"`+bad+`"}`), &cfg); err == nil {
			t.Errorf("config with arch %q read", bad)
		}
	}
	for _, bad := range []ClassifierArch{0, PerLabel + 1, -1} {
		if _, err := json.Marshal(ClassifierConfig{Arch: bad}); err == nil {
			t.Errorf("arch %d marshalled", int(bad))
		}
		cfg := toyConfig(bad)
		if _, err := NewClassifier(cfg); err == nil || !strings.Contains(err.Error(), "unknown architecture") {
			t.Errorf("NewClassifier with arch %d: %v", int(bad), err)
		}
	}
}

package models

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// randomVQA returns n questions about images (or states) of random values,
// two questions per image, with one-hot questions and random answers.
func randomVQA(cfg ReasonerConfig, n int, seed uint64) *VQA {
	rng := rand.New(rand.NewPCG(seed, 7))
	images := (n + 1) / 2
	q := &VQA{}
	if cfg.Arch.pixels() {
		q.Shape = cfg.Input
		q.Images = make([]float32, images*cfg.Input[0]*cfg.Input[1]*cfg.Input[2])
		for i := range q.Images {
			q.Images[i] = rng.Float32()
		}
	} else if cfg.Arch.states() {
		q.Objects = make([]float32, images*cfg.Objects*cfg.ObjectSize)
		for i := range q.Objects {
			q.Objects[i] = 2*rng.Float32() - 1
		}
	}
	q.Questions = make([]float32, n*cfg.Question)
	for i := range n {
		q.Image = append(q.Image, i/2)
		if cfg.Question > 0 { // 0: a text config before NewReasoner
			q.Questions[i*cfg.Question+rng.IntN(cfg.Question)] = 1
		}
		q.Answers = append(q.Answers, rng.IntN(cfg.Answers))
	}
	return q
}

// smallReasoner is a reasoner small enough for tests: 20×20 pixels (a 2×2
// grid) or 4 objects of 5 features, 6-element questions, 4 answers.
func smallReasoner(arch ReasonerArch, seed uint64) ReasonerConfig {
	cfg := ReasonerConfig{Arch: arch, Question: 6, Answers: 4, Seed: seed}
	switch {
	case arch.states():
		cfg.Objects, cfg.ObjectSize = 4, 5
	case arch.pixels():
		cfg.Input = [3]int{3, 20, 20}
	}
	return cfg
}

func TestReasonerTrains(t *testing.T) {
	for _, arch := range ReasonerArchs {
		t.Run(arch.String(), func(t *testing.T) {
			cfg := smallReasoner(arch, 1)
			r, err := NewReasoner(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			q := randomVQA(cfg, 32, 1)
			st, err := Train(context.Background(), r, q.Len(), r.Feeder(q, 0), TrainConfig{Epochs: 20, Batch: 8, LR: 1e-3}, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("losses %.3f … %.3f", st.Losses[0], st.Losses[len(st.Losses)-1])
			if st.Losses[len(st.Losses)-1] >= st.Losses[0] {
				t.Errorf("loss did not fall: %v", st.Losses)
			}
			pred, err := r.Predict(q, 8)
			if err != nil {
				t.Fatal(err)
			}
			right := 0
			for i, p := range pred {
				if p == q.Answers[i] {
					right++
				}
			}
			t.Logf("train accuracy %d/%d", right, len(pred))
		})
	}
}

func TestParseReasonerArch(t *testing.T) {
	for _, a := range ReasonerArchs {
		got, err := ParseReasonerArch(a.String())
		if err != nil || got != a {
			t.Errorf("ParseReasonerArch(%q) = %v, %v", a, got, err)
		}
		b, err := a.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back ReasonerArch
		if err := back.UnmarshalText(b); err != nil || back != a {
			t.Errorf("%v: text round trip gives %v, %v", a, back, err)
		}
	}
	for _, bad := range []string{"", "RN", "cnn_mlp", "staternn"} {
		_, err := ParseReasonerArch(bad)
		if err == nil || !strings.Contains(err.Error(), "rn, cnn-mlp, state-rn, state-mlp, question-only") {
			t.Errorf("ParseReasonerArch(%q): error %v, want one listing the known names", bad, err)
		}
	}
	if _, err := ReasonerArch(0).MarshalText(); err == nil {
		t.Error("the zero architecture marshals")
	}
	names := []string{"rn", "cnn-mlp", "state-rn", "state-mlp", "question-only"}
	for i, a := range ReasonerArchs {
		if a.String() != names[i] {
			t.Errorf("architecture %d is named %q, want %q", i, a, names[i])
		}
	}
}

func FuzzParseReasonerArch(f *testing.F) {
	for _, s := range []string{"rn", "cnn-mlp", "state-rn", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseReasonerArch(s)
		if err != nil {
			return
		}
		if a.String() != s {
			t.Fatalf("%q parses as %v", s, a)
		}
	})
}

func TestNewReasonerRefuses(t *testing.T) {
	ref := func(a ReasonerArch, change func(*ReasonerConfig)) ReasonerConfig {
		c := ReferenceReasoner(a, 1)
		change(&c)
		return c
	}
	tests := []struct {
		name string
		cfg  ReasonerConfig
		want string
	}{
		{"no architecture", ref(RN, func(c *ReasonerConfig) { c.Arch = 0 }), "no reasoner architecture"},
		{"no question", ref(RN, func(c *ReasonerConfig) { c.Question = 0 }), "question length"},
		{"one answer", ref(StateRN, func(c *ReasonerConfig) { c.Answers = 1 }), "answers"},
		{"pixels without input", ref(CNNMLP, func(c *ReasonerConfig) { c.Input = [3]int{} }), "input shape"},
		{"pixels with objects", ref(RN, func(c *ReasonerConfig) { c.Objects = 6 }), "must be 0"},
		{"state without objects", ref(StateRN, func(c *ReasonerConfig) { c.Objects = 0 }), "objects ≥ 1"},
		{"state with pixels", ref(StateRN, func(c *ReasonerConfig) { c.Input = [3]int{3, 75, 75} }), "no pixels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReasoner(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestReasonerCheck(t *testing.T) {
	cfg := smallReasoner(RN, 1)
	r, err := NewReasoner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*VQA)
		want   string
	}{
		{"fits", func(*VQA) {}, ""},
		{"short questions", func(q *VQA) { q.Questions = q.Questions[1:] }, "question values"},
		{"answers missing one", func(q *VQA) { q.Answers = q.Answers[1:] }, "answers"},
		{"answer out of range", func(q *VQA) { q.Answers[3] = cfg.Answers }, "answer 4; want 0 to 3"},
		{"image out of range", func(q *VQA) { q.Image[2] = 99 }, "image 99"},
		{"wrong shape", func(q *VQA) { q.Shape = [3]int{3, 21, 20} }, "wants [3 20 20]"},
		{"partial image", func(q *VQA) { q.Images = q.Images[1:] }, "whole number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := randomVQA(cfg, 8, 1)
			tt.change(q)
			err := r.Check(q)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// trainReasoner trains a fresh small reasoner of arch for steps updates
// (or continues from ck), returning it and its state.
func trainReasoner(t *testing.T, arch ReasonerArch, q *VQA, steps int, ck *Checkpoint) (*Reasoner, *State) {
	t.Helper()
	r, err := NewReasoner(smallReasoner(arch, 11))
	if err != nil {
		t.Fatal(err)
	}
	var st *State
	if ck != nil {
		if st, err = ck.Restore(r.Params()); err != nil {
			t.Fatal(err)
		}
	}
	start := 0
	if st != nil {
		start = st.Step
	}
	st, err = Train(context.Background(), r, q.Len(), r.Feeder(q, start), TrainConfig{Steps: steps, Batch: 8, LR: 1e-3, Seed: 5}, st)
	if err != nil {
		t.Fatal(err)
	}
	return r, st
}

func sameParams(t *testing.T, a, b []*Param) {
	t.Helper()
	for i, p := range a {
		for k, v := range p.Data() {
			if math.Float32bits(v) != math.Float32bits(b[i].Data()[k]) {
				t.Fatalf("%s[%d]: %v and %v", p.Name, k, v, b[i].Data()[k])
			}
		}
	}
}

// TestReasonerResume: 3 steps, a checkpoint through a file, then 4 more
// (crossing an epoch) give the bits of 7 uninterrupted steps, batch norm's
// running statistics and the dropout masks included; the restored net
// predicts as the one saved.
func TestReasonerResume(t *testing.T) {
	for _, arch := range ReasonerArchs {
		t.Run(arch.String(), func(t *testing.T) {
			q := randomVQA(smallReasoner(arch, 11), 40, 3)
			whole, _ := trainReasoner(t, arch, q, 7, nil)
			half, st := trainReasoner(t, arch, q, 3, nil)
			ck, err := NewCheckpoint("reasoner", half.Config, half.Params(), st)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "r.ckpt")
			if err := ck.Save(path); err != nil {
				t.Fatal(err)
			}
			if ck, err = LoadCheckpoint(path); err != nil {
				t.Fatal(err)
			}
			// Restored, before training on: the same predictions, logits
			// to the bit.
			restored, err := NewReasoner(smallReasoner(arch, 99))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ck.Restore(restored.Params()); err != nil {
				t.Fatal(err)
			}
			sameParams(t, half.Params(), restored.Params())
			a, b := logitsOf(t, half, q), logitsOf(t, restored, q)
			for i := range a {
				if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
					t.Fatalf("logit %d: saved %v, restored %v", i, a[i], b[i])
				}
			}
			resumed, _ := trainReasoner(t, arch, q, 7, ck)
			sameParams(t, whole.Params(), resumed.Params())
			if arch.pixels() { // the running statistics moved
				if v := whole.stem[0][4].Data()[0]; v == 0 {
					t.Fatal("running mean never moved")
				}
			}
		})
	}
}

// logitsOf returns the inference logits of every question of q.
func logitsOf(t *testing.T, r *Reasoner, q *VQA) []float32 {
	t.Helper()
	var out []float32
	feed := func(inputs []*tensor.Dense, idx []int) { r.feed(q, inputs, idx) }
	if err := Predict(r, q.Len(), 16, feed, func(_ int, o [][]float32) { out = append(out, o[0]...) }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReasonerDeterministicAcrossCores: one core or two, the same bits.
func TestReasonerDeterministicAcrossCores(t *testing.T) {
	for _, arch := range []ReasonerArch{RN, StateRN} {
		t.Run(arch.String(), func(t *testing.T) {
			q := randomVQA(smallReasoner(arch, 11), 40, 3)
			prev := runtime.GOMAXPROCS(1)
			one, _ := trainReasoner(t, arch, q, 4, nil)
			runtime.GOMAXPROCS(max(prev, 2))
			two, _ := trainReasoner(t, arch, q, 4, nil)
			runtime.GOMAXPROCS(prev)
			sameParams(t, one.Params(), two.Params())
		})
	}
}

// TestDropoutMask: a pure function of (seed, step), about half kept, the
// kept ones scaled by 2.
func TestDropoutMask(t *testing.T) {
	a, b, c := make([]float32, 1000), make([]float32, 1000), make([]float32, 1000)
	dropoutMask(a, 1, 5)
	dropoutMask(b, 1, 5)
	dropoutMask(c, 1, 6)
	kept, differ := 0, 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("the same (seed, step) drew two masks")
		}
		if a[i] != 0 && a[i] != 2 {
			t.Fatalf("mask value %v, want 0 or 2", a[i])
		}
		if a[i] != 0 {
			kept++
		}
		if a[i] != c[i] {
			differ++
		}
	}
	// Binomial(1000, 1/2): 500 ± 16 (1σ); 430–570 is over 4σ.
	if kept < 430 || kept > 570 || differ < 430 || differ > 570 {
		t.Fatalf("kept %d of 1000, %d differ from the next step's: want about 500 each", kept, differ)
	}
}

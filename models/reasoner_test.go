package models

import (
	"context"
	"math/rand/v2"
	"testing"
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
	} else {
		q.Objects = make([]float32, images*cfg.Objects*cfg.ObjectSize)
		for i := range q.Objects {
			q.Objects[i] = 2*rng.Float32() - 1
		}
	}
	q.Questions = make([]float32, n*cfg.Question)
	for i := range n {
		q.Image = append(q.Image, i/2)
		q.Questions[i*cfg.Question+rng.IntN(cfg.Question)] = 1
		q.Answers = append(q.Answers, rng.IntN(cfg.Answers))
	}
	return q
}

// smallReasoner is a reasoner small enough for tests: 20×20 pixels (a 2×2
// grid) or 4 objects of 5 features, 6-element questions, 4 answers.
func smallReasoner(arch ReasonerArch, seed uint64) ReasonerConfig {
	cfg := ReasonerConfig{Arch: arch, Question: 6, Answers: 4, Seed: seed}
	if arch == StateRN {
		cfg.Objects, cfg.ObjectSize = 4, 5
	} else {
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

package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchReasoner trains cfg's reasoner as torch_reference.py's
// vqa_step_factory does (8 distinct batches of 64 random images with
// one-hot questions, or with Text random questions of a quarter to all of
// Length words, and random answers, Adam lr 1e-4, 10 warm-up steps) and
// reports training questions/s.
func benchReasoner(b *testing.B, cfg ReasonerConfig, steps int) {
	benchReasonerWith(b, cfg, steps, nil)
}

// benchReasonerWith is benchReasoner with prep applied to the data first.
func benchReasonerWith(b *testing.B, cfg ReasonerConfig, steps int, prep func(*VQA)) {
	r, err := NewReasoner(cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	const batch = 64
	q := randomVQA(cfg, 8*batch, 1)
	for i := range q.Image {
		q.Image[i] = i // one image per question, as the script
	}
	if cfg.Arch.pixels() {
		q.Images = append(q.Images, q.Images...)
	} else {
		q.Objects = append(q.Objects, q.Objects...)
	}
	if tc := cfg.Text; tc != nil {
		rng := rand.New(rand.NewPCG(1, 9))
		q.Questions, q.Tokens = nil, make([]int, q.Len()*tc.Length)
		for i := range q.Len() {
			for t := range tc.Length/4 + rng.IntN(tc.Length-tc.Length/4+1) {
				q.Tokens[i*tc.Length+t] = 1 + rng.IntN(tc.Words-1)
			}
		}
	}
	if prep != nil {
		prep(q)
	}
	feed := r.Feeder(q, 0)
	tc := TrainConfig{Steps: 10, Batch: batch, LR: 1e-4}
	if _, err := Train(context.Background(), r, q.Len(), feed, tc, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	done := 0
	for b.Loop() {
		tc.Seed++
		if _, err := Train(context.Background(), r, q.Len(), feed, TrainConfig{Steps: steps, Batch: batch, LR: 1e-4, Seed: tc.Seed}, nil); err != nil {
			b.Fatal(err)
		}
		done += steps
	}
	b.ReportMetric(float64(done*batch)/b.Elapsed().Seconds(), "questions/s")
	b.Logf("BLAS %s", BLASName())
}

// BenchmarkRN trains the reference Relation Network (75×75 pixels, 625
// pairs); read against torch_reference.py rn.
func BenchmarkRN(b *testing.B) { benchReasoner(b, ReferenceReasoner(RN, 1), 5) }

// BenchmarkCNNMLP trains the reference CNN+MLP; read against
// torch_reference.py cnn_mlp.
func BenchmarkCNNMLP(b *testing.B) { benchReasoner(b, ReferenceReasoner(CNNMLP, 1), 30) }

// BenchmarkStateRN trains the state-description RN (6 objects of 10
// features, 36 pairs).
func BenchmarkStateRN(b *testing.B) { benchReasoner(b, ReferenceReasoner(StateRN, 1), 30) }

// BenchmarkTextStateRN trains a state-rn reading text questions at the
// sizes issue 16's bench uses: 10 objects of 16 features (100 pairs),
// questions of up to 24 tokens from 64 words, embeddings of 32 and an LSTM
// of 128, g and f 256 or 128 wide.
func BenchmarkTextStateRN(b *testing.B) {
	for _, width := range []int{256, 128} {
		b.Run(fmt.Sprintf("width%d", width), func(b *testing.B) {
			cfg := ReasonerConfig{Arch: StateRN, Objects: 10, ObjectSize: 16, Answers: 10, Seed: 1, Width: width,
				Text: &TextConfig{Words: 64, Length: 24, Embed: 32, Hidden: 128}}
			benchReasoner(b, cfg, 5)
		})
	}
	// The programs config's scenes hold 3 to 10 objects: padded with zero
	// rows, whose pairs MaskAbsent leaves out (about 47 of 100 pairs on
	// average, E[k²] over k uniform in 3…10).
	for _, mask := range []bool{false, true} {
		b.Run(fmt.Sprintf("width128-padded-mask%v", mask), func(b *testing.B) {
			cfg := ReasonerConfig{Arch: StateRN, Objects: 10, ObjectSize: 16, Answers: 10, Seed: 1, Width: 128, MaskAbsent: mask,
				Text: &TextConfig{Words: 64, Length: 24, Embed: 32, Hidden: 128}}
			benchReasonerWith(b, cfg, 5, func(q *VQA) {
				per := cfg.Objects * cfg.ObjectSize
				for s := range len(q.Objects) / per {
					k := 3 + s%8
					clear(q.Objects[s*per+k*cfg.ObjectSize : (s+1)*per])
				}
			})
		})
	}
}

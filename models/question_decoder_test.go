package models

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// tinyDecoder is a decoder small enough to gradient-check.
var tinyDecoder = QuestionDecoderConfig{Input: 3, Words: 5, Length: 3, Embed: 2, Hidden: 4, Seed: 7}

// TestQuestionDecoderGradient checks the whole teacher-forced decoder
// (initial state layers, fused LSTM steps, output layer, cross-entropy)
// in float64 against finite differences, for every parameter and q.
func TestQuestionDecoderGradient(t *testing.T) {
	d, err := NewQuestionDecoder(tinyDecoder)
	if err != nil {
		t.Fatal(err)
	}
	cfg := d.Config
	// Five rows: the parts of the fused op split unevenly.
	const n = 5
	rng := rand.New(rand.NewPCG(5, 6))
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		node := map[*Param]*G.Node{}
		var diff G.Nodes
		for _, p := range d.Params() {
			nd := G.NodeFromAny(g, randTensor(rng, p.Value.Shape()...), G.WithName(p.Name))
			node[p] = nd
			diff = append(diff, nd)
		}
		q := G.NodeFromAny(g, randTensor(rng, n, cfg.Input), G.WithName("q"))
		ids := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(cfg.steps()*n))
		y := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(cfg.steps()*n, cfg.Words))
		for i := range n * cfg.steps() {
			if i >= n { // step 0 is the start
				ids.Data().([]float64)[i] = float64(rng.IntN(cfg.Words))
			}
			y.Data().([]float64)[i*cfg.Words+rng.IntN(cfg.Words)] = 1
		}
		idsN := G.NodeFromAny(g, ids, G.WithName("ids"))
		logits, err := d.logits(q, idsN, n, node)
		if err != nil {
			t.Fatal(err)
		}
		loss := G.Must(softmaxXent(logits, G.NodeFromAny(g, y, G.WithName("y"))))
		return append(diff, q), loss
	})
}

// codedSequences are eight questions of 1 to 6 words over ids 2…11 with a
// random code of 8 each: what TestQuestionDecoderLearns reproduces.
func codedSequences() (codes []float32, tokens []int, cfg QuestionDecoderConfig) {
	cfg = QuestionDecoderConfig{Input: 8, Words: 12, Length: 6, Embed: 8, Hidden: 32, Seed: 3}
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 8 {
		for range cfg.Input {
			codes = append(codes, float32(2*rng.Float64()-1))
		}
		words := 1 + i%cfg.Length
		for k := range cfg.Length {
			id := 0
			if k < words {
				id = 2 + rng.IntN(cfg.Words-2)
			}
			tokens = append(tokens, id)
		}
	}
	return codes, tokens, cfg
}

// trimmed returns each question's words without the padding.
func trimmed(tokens []int, length int) [][]int {
	var out [][]int
	for i := 0; i < len(tokens); i += length {
		row := tokens[i : i+length]
		k := slices.Index(row, 0)
		if k < 0 {
			k = length
		}
		out = append(out, slices.Clone(row[:k]))
	}
	return out
}

// trainCoded trains a decoder on codedSequences and returns it.
func trainCoded(t *testing.T, steps int) (*QuestionDecoder, []float32, []int) {
	t.Helper()
	codes, tokens, cfg := codedSequences()
	d, err := NewQuestionDecoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tc := TrainConfig{Steps: steps, Batch: 4, LR: 1e-2, Seed: 1}
	if _, err := Train(context.Background(), d, len(codes)/cfg.Input, d.Feeder(codes, tokens), tc, nil); err != nil {
		t.Fatal(err)
	}
	return d, codes, tokens
}

// TestQuestionDecoderLearns trains on eight coded sequences and requires
// every one to decode back exactly, where the untrained decoder gets none
// right (so the test fails if training does not move the decoder).
func TestQuestionDecoderLearns(t *testing.T) {
	codes, tokens, cfg := codedSequences()
	want := trimmed(tokens, cfg.Length)
	fresh, err := NewQuestionDecoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fresh.Decode(codes, len(want))
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if slices.Equal(got[i], want[i]) {
			t.Fatalf("untrained decoder already decodes sequence %d (%v): the test could not fail", i, want[i])
		}
	}
	d, _, _ := trainCoded(t, 400)
	got, err = d.Decode(codes, len(want))
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("sequence %d decodes to %v, want %v", i, got[i], want[i])
		}
	}
}

// TestQuestionDecoderDeterministic trains twice from the same seed and
// requires bit-identical weights and decodings.
func TestQuestionDecoderDeterministic(t *testing.T) {
	a, codes, _ := trainCoded(t, 40)
	b, _, _ := trainCoded(t, 40)
	for i, p := range a.Params() {
		if !slices.Equal(p.Data(), b.Params()[i].Data()) {
			t.Fatalf("%s differs between two runs of the same seed", p.Name)
		}
	}
	da, err := a.Decode(codes, len(codes)/a.Config.Input)
	if err != nil {
		t.Fatal(err)
	}
	db, err := b.Decode(codes, len(codes)/a.Config.Input)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(da, db, slices.Equal) {
		t.Fatalf("decodings differ: %v and %v", da, db)
	}
}

// TestQuestionDecoderStepsMatchTraining feeds a question's own words
// through the one-step graph that Decode uses and requires the logits of
// the teacher-forced training graph, bit for bit.
func TestQuestionDecoderStepsMatchTraining(t *testing.T) {
	d, codes, tokens := trainCoded(t, 20)
	cfg := d.Config
	n := len(codes) / cfg.Input
	gr, err := d.Graph(n, false)
	if err != nil {
		t.Fatal(err)
	}
	ins := []*tensor.Dense{tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(n, cfg.Input)),
		tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(cfg.steps()*n))}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	d.Feeder(codes, tokens)(ins, idx)
	if err := gr.Run(ins...); err != nil {
		t.Fatal(err)
	}
	want := gr.Outputs[0].Value().Data().([]float32)
	ig, err := d.initGraph(n)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := d.stepGraph(n)
	if err != nil {
		t.Fatal(err)
	}
	if err := ig.Run(ins[0]); err != nil {
		t.Fatal(err)
	}
	h := ig.Outputs[0].Value().(*tensor.Dense).Clone().(*tensor.Dense)
	c := ig.Outputs[1].Value().(*tensor.Dense).Clone().(*tensor.Dense)
	ids := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(n))
	for s := range cfg.steps() {
		copy(ids.Data().([]float32), ins[1].Data().([]float32)[s*n:(s+1)*n])
		if err := sg.Run(h, c, ids); err != nil {
			t.Fatal(err)
		}
		got := sg.Outputs[2].Value().Data().([]float32)
		if !slices.Equal(got, want[s*n*cfg.Words:(s+1)*n*cfg.Words]) {
			t.Fatalf("step %d: one-step logits differ from the training graph's", s)
		}
		copy(h.Data().([]float32), sg.Outputs[0].Value().Data().([]float32))
		copy(c.Data().([]float32), sg.Outputs[1].Value().Data().([]float32))
	}
}

// TestQuestionDecoderCheckpoint restores a trained decoder's checkpoint
// into a fresh one of another seed and requires the same decodings.
func TestQuestionDecoderCheckpoint(t *testing.T) {
	d, codes, _ := trainCoded(t, 60)
	ck, err := NewCheckpoint("question-decoder", d.Config, d.Params(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := ck.write(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadCheckpoint(&buf)
	if err != nil {
		t.Fatal(err)
	}
	cfg := d.Config
	cfg.Seed++
	e, err := NewQuestionDecoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := back.Restore(e.Params()); err != nil {
		t.Fatal(err)
	}
	n := len(codes) / cfg.Input
	want, _ := d.Decode(codes, n)
	got, err := e.Decode(codes, n)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("restored decoder decodes %v, want %v", got, want)
	}
}

// TestQuestionDecoderRefuses lists bad configs and data and the error each
// gets.
func TestQuestionDecoderRefuses(t *testing.T) {
	if _, err := NewQuestionDecoder(QuestionDecoderConfig{Input: 3, Words: 1, Length: 2, Embed: 2, Hidden: 2}); err == nil || !strings.Contains(err.Error(), "words ≥ 2") {
		t.Errorf("words 1: error %v, want one naming words ≥ 2", err)
	}
	d, err := NewQuestionDecoder(tinyDecoder)
	if err != nil {
		t.Fatal(err)
	}
	q := make([]float32, 2*tinyDecoder.Input)
	tests := []struct {
		name   string
		q      []float32
		tokens []int
		want   string
	}{
		{"partial vector", q[:4], []int{2, 0, 0}, "whole number of vectors"},
		{"too few ids", q, []int{2, 0, 0, 2, 0}, "got 5 ids"},
		{"id out of range", q, []int{2, 0, 0, 5, 0, 0}, "token 0 is id 5"},
		{"negative id", q, []int{2, -1, 0, 2, 0, 0}, "token 1 is id -1"},
		{"word after padding", q, []int{2, 0, 3, 2, 0, 0}, "after padding"},
		{"all padding", q, []int{2, 0, 0, 0, 0, 0}, "question 1 is all padding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := d.Check(tt.q, tt.tokens)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
	if err := d.Check(q, []int{2, 3, 4, 1, 0, 0}); err != nil {
		t.Errorf("good data refused: %v", err)
	}
	if _, err := d.Decode(q, 3); err == nil {
		t.Error("decoding 3 vectors from 2 vectors' values: no error")
	}
}

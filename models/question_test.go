package models

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// tinyText is a small text configuration for tests: 9 words, 6 tokens.
func tinyText() *TextConfig { return &TextConfig{Words: 9, Length: 6, Embed: 4, Hidden: 5} }

// textReasoner returns a small reasoner of arch reading tinyText
// questions: 20×20 pixels or 4 objects of 5 features, 4 answers, width 8.
func textReasoner(arch ReasonerArch, seed uint64) ReasonerConfig {
	cfg := smallReasoner(arch, seed)
	cfg.Question, cfg.Text, cfg.Width = 0, tinyText(), 8
	return cfg
}

// randomTokens gives q n random questions of 1 to Length words, padded.
func randomTokens(q *VQA, tc *TextConfig, n int, rng *rand.Rand) {
	q.Questions = nil
	q.Tokens = make([]int, n*tc.Length)
	for i := range n {
		words := 1 + rng.IntN(tc.Length)
		for t := range words {
			q.Tokens[i*tc.Length+t] = 1 + rng.IntN(tc.Words-1)
		}
	}
}

// randomTextVQA is randomVQA with text questions.
func randomTextVQA(cfg ReasonerConfig, n int, seed uint64) *VQA {
	q := randomVQA(cfg, n, seed)
	randomTokens(q, cfg.Text, n, rand.New(rand.NewPCG(seed, 8)))
	return q
}

func TestNewReasonerText(t *testing.T) {
	with := func(arch ReasonerArch, change func(*ReasonerConfig)) ReasonerConfig {
		c := textReasoner(arch, 1)
		change(&c)
		return c
	}
	text := func(change func(*TextConfig)) func(*ReasonerConfig) {
		return func(c *ReasonerConfig) { change(c.Text) }
	}
	tests := []struct {
		name string
		cfg  ReasonerConfig
		want string // "" accepts
	}{
		{"rn", with(RN, func(*ReasonerConfig) {}), ""},
		{"cnn-mlp", with(CNNMLP, func(*ReasonerConfig) {}), ""},
		{"state-rn", with(StateRN, func(*ReasonerConfig) {}), ""},
		{"state-mlp", with(StateMLP, func(*ReasonerConfig) {}), ""},
		{"question-only", with(QuestionOnly, func(*ReasonerConfig) {}), ""},
		{"question equal to hidden", with(StateRN, func(c *ReasonerConfig) { c.Question = 5 }), ""},
		{"default width", with(StateRN, func(c *ReasonerConfig) { c.Width = 0 }), ""},
		{"question-only without text", with(QuestionOnly, func(c *ReasonerConfig) { c.Text, c.Question = nil, 6 }), ""},
		{"state-mlp without text", with(StateMLP, func(c *ReasonerConfig) { c.Text, c.Question = nil, 6 }), ""},
		{"question other than hidden", with(StateRN, func(c *ReasonerConfig) { c.Question = 6 }), "question 6 must be 0 or hidden 5"},
		{"one word", with(StateRN, text(func(tc *TextConfig) { tc.Words = 1 })), "words ≥ 2"},
		{"no length", with(RN, text(func(tc *TextConfig) { tc.Length = 0 })), "length ≥ 1"},
		{"no embedding", with(CNNMLP, text(func(tc *TextConfig) { tc.Embed = 0 })), "embed ≥ 1"},
		{"negative hidden", with(QuestionOnly, text(func(tc *TextConfig) { tc.Hidden = -1 })), "hidden ≥ 1"},
		{"negative width", with(StateRN, func(c *ReasonerConfig) { c.Width = -8 }), "width -8"},
		{"question-only with objects", with(QuestionOnly, func(c *ReasonerConfig) { c.Objects, c.ObjectSize = 4, 5 }), "reads no scene"},
		{"question-only with pixels", with(QuestionOnly, func(c *ReasonerConfig) { c.Input = [3]int{3, 20, 20} }), "reads no scene"},
		{"state-mlp without objects", with(StateMLP, func(c *ReasonerConfig) { c.Objects = 0 }), "state-mlp needs objects ≥ 1"},
		{"state-mlp with pixels", with(StateMLP, func(c *ReasonerConfig) { c.Input = [3]int{3, 20, 20} }), "state-mlp reads no pixels"},
		{"gated state-rn", with(StateRN, func(c *ReasonerConfig) { c.Gate, c.MaskAbsent = true, true }), ""},
		{"gated state-mlp", with(StateMLP, func(c *ReasonerConfig) { c.Gate = true }), "gate scales state-rn's objects"},
		{"gated state-rn without text", with(StateRN, func(c *ReasonerConfig) { c.Gate, c.Text, c.Question = true, nil, 6 }), "without text questions"},
		{"forget bias", with(StateRN, text(func(tc *TextConfig) { tc.ForgetBias = 1 })), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewReasoner(tt.cfg)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error %v, want one containing %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if tc := r.Config.Text; tc != nil {
				if r.Config.Question != tc.Hidden {
					t.Fatalf("question %d, want hidden %d", r.Config.Question, tc.Hidden)
				}
				if tc == tt.cfg.Text {
					t.Fatal("the reasoner shares the caller's TextConfig")
				}
			}
			// The graph builds and runs on data that fit.
			q := randomVQA(r.Config, 6, 2)
			if r.Config.Text != nil {
				randomTokens(q, r.Config.Text, 6, rand.New(rand.NewPCG(2, 2)))
			}
			pred, err := r.Predict(q, 4)
			if err != nil || len(pred) != 6 {
				t.Fatalf("predict: %v, %v", pred, err)
			}
		})
	}
}

func TestReasonerCheckTokens(t *testing.T) {
	cfg := textReasoner(StateRN, 1)
	r, err := NewReasoner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const L = 6 // tinyText's Length
	tests := []struct {
		name   string
		change func(*VQA)
		want   string
	}{
		{"fits", func(*VQA) {}, ""},
		{"one long question", func(q *VQA) { copy(q.Tokens[L:2*L], []int{1, 2, 3, 4, 5, 6}) }, ""},
		{"questions ignored", func(q *VQA) { q.Questions = []float32{1, 2, 3} }, ""},
		{"one token short", func(q *VQA) { q.Tokens = q.Tokens[1:] }, "8 questions of 6 tokens want 48 token ids, got 47"},
		{"no tokens", func(q *VQA) { q.Tokens = nil }, "want 48 token ids, got 0"},
		{"id too large", func(q *VQA) { q.Tokens[2*L] = 9 }, "question 2, token 0 is id 9; want 0 (padding) to 8"},
		{"negative id", func(q *VQA) { q.Tokens[3*L] = -1 }, "question 3, token 0 is id -1"},
		{"all padding", func(q *VQA) { clear(q.Tokens[5*L : 6*L]) }, "question 5 is all padding"},
		{"word after padding", func(q *VQA) { copy(q.Tokens[4*L:5*L], []int{3, 0, 2, 0, 0, 0}) }, "question 4, token 2 is word 2 after padding"},
		{"answer out of range", func(q *VQA) { q.Answers[1] = 4 }, "answer 4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := randomTextVQA(cfg, 8, 1)
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
	// A reasoner without text still wants its question vectors.
	plain, err := NewReasoner(smallReasoner(StateRN, 1))
	if err != nil {
		t.Fatal(err)
	}
	q := randomTextVQA(cfg, 8, 1)
	if err := plain.Check(q); err == nil || !strings.Contains(err.Error(), "question values") {
		t.Fatalf("error %v, want one about question values", err)
	}
	if _, err := plain.QuestionVectors(randomVQA(plain.Config, 4, 1), 2); err == nil || !strings.Contains(err.Error(), "no question encoder") {
		t.Fatalf("QuestionVectors without text: error %v", err)
	}
}

// FuzzCheckTokens: Check never panics on any tokens, and what it accepts
// is what the contract says: ids in range, words then padding, a word
// first.
func FuzzCheckTokens(f *testing.F) {
	f.Add([]byte{1, 2, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 0, 2, 0, 0, 0, 5})
	f.Add([]byte{255, 8, 9})
	r, err := NewReasoner(textReasoner(QuestionOnly, 1))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		q := &VQA{}
		for _, v := range b {
			q.Tokens = append(q.Tokens, int(int8(v)))
		}
		for range len(b) / 6 {
			q.Image = append(q.Image, 0)
		}
		if r.Check(q) != nil {
			return
		}
		for i := range q.Len() {
			toks := q.Tokens[i*6:][:6]
			if toks[0] == 0 {
				t.Fatalf("accepted question %v starting with padding", toks)
			}
			for k, id := range toks {
				if id < 0 || id >= 9 || (k > 0 && toks[k-1] == 0 && id != 0) {
					t.Fatalf("accepted question %v", toks)
				}
			}
		}
	})
}

// TestQuestionPaddingInvariance: one question padded to 8 tokens or to 12
// gives the same q (the reasoners' weights are equal: Length changes no
// shape), to the bit; and two questions differing only in a word give
// different ones.
func TestQuestionPaddingInvariance(t *testing.T) {
	mk := func(length int) *Reasoner {
		cfg := textReasoner(StateRN, 3)
		cfg.Text.Length = length
		r, err := NewReasoner(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r8, r12 := mk(8), mk(12)
	sameParams(t, r8.Params(), r12.Params())
	questions := [][]int{{1}, {2, 3}, {4, 5, 6, 7, 8}, {8, 7, 6, 5, 4, 3, 2, 1}, {4, 5, 6, 7, 1}}
	vqa := func(length int) *VQA {
		q := randomVQA(r8.Config, len(questions), 4)
		q.Questions = nil
		for _, w := range questions {
			q.Tokens = append(q.Tokens, append(w, make([]int, length-len(w))...)...)
		}
		return q
	}
	// Batches of 2 and 3: padding and batching must not matter either.
	a, err := r8.QuestionVectors(vqa(8), 2)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r12.QuestionVectors(vqa(12), 3)
	if err != nil {
		t.Fatal(err)
	}
	const h = 5
	if len(a) != len(questions)*h || len(b) != len(a) {
		t.Fatalf("%d and %d values, want %d", len(a), len(b), len(questions)*h)
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("question %d, element %d: %v padded to 8, %v padded to 12", i/h, i%h, a[i], b[i])
		}
	}
	var diff float64
	for k := range h {
		diff += math.Abs(float64(a[2*h+k] - a[4*h+k]))
	}
	if diff < 1e-3 {
		t.Fatalf("questions differing in their last word have q %v and %v", a[2*h:3*h], a[4*h:5*h])
	}
	// The state after the last word is not the state after padding
	// steps run as words: an LSTM step on a padding embedding would move it.
	for _, v := range a {
		if v == 0 {
			t.Fatal("a question vector element is exactly 0: the LSTM never ran?")
		}
	}
}

// TestTextReasonerTrains: every architecture with text questions takes
// training steps and its loss falls on a small random set it can memorise.
func TestTextReasonerTrains(t *testing.T) {
	for _, arch := range ReasonerArchs {
		t.Run(arch.String(), func(t *testing.T) {
			cfg := textReasoner(arch, 1)
			r, err := NewReasoner(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			q := randomTextVQA(cfg, 32, 1)
			st, err := Train(context.Background(), r, q.Len(), r.Feeder(q, 0), TrainConfig{Epochs: 20, Batch: 8, LR: 3e-3}, nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("losses %.3f … %.3f", st.Losses[0], st.Losses[len(st.Losses)-1])
			if st.Losses[len(st.Losses)-1] >= st.Losses[0] {
				t.Errorf("loss did not fall: %v", st.Losses)
			}
		})
	}
}

// TestTextReasonerGradient checks every architecture with text questions
// end to end in float64, the graph assembled as training assembles it:
// the loss's gradients with respect to the embeddings, the LSTM, g (or the
// MLP's layer) and f, against finite differences. The questions have 1 to
// 6 words of 6, so padded steps are crossed. The stems' convolutions are
// left out (their gradient is checked by TestConvGradient, and there are
// thousands of weights).
func TestTextReasonerGradient(t *testing.T) {
	for _, arch := range ReasonerArchs {
		t.Run(arch.String(), func(t *testing.T) {
			cfg := textReasoner(arch, 7)
			cfg.Width = 4
			r, err := NewReasoner(cfg)
			if err != nil {
				t.Fatal(err)
			}
			const n = 3
			q := randomTextVQA(r.Config, n, 7)
			q.Tokens = []int{3, 0, 0, 0, 0, 0, 1, 8, 2, 5, 0, 0, 4, 4, 7, 6, 2, 1}
			gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) { return reasonerLoss64(t, g, r, q, n) })
		})
	}
}

// TestGatedRNGradient checks the question gate (gate.go) in a masked
// state-rn end to end in float64, as TestTextReasonerGradient does, with
// the gate's weights drawn away from their zero start and one scene's
// last object absent (an all-zero row, whose pairs the mask leaves out).
func TestGatedRNGradient(t *testing.T) {
	cfg := textReasoner(StateRN, 7)
	cfg.Width, cfg.Gate, cfg.MaskAbsent = 4, true, true
	r, err := NewReasoner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for i := range r.gate.Data() {
		r.gate.Data()[i] = float32(rng.NormFloat64() / 2)
	}
	const n = 3
	q := randomTextVQA(r.Config, n, 7)
	q.Tokens = []int{3, 0, 0, 0, 0, 0, 1, 8, 2, 5, 0, 0, 4, 4, 7, 6, 2, 1}
	per := cfg.Objects * cfg.ObjectSize
	clear(q.Objects[q.Image[1]*per+(cfg.Objects-1)*cfg.ObjectSize:][:cfg.ObjectSize])
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) { return reasonerLoss64(t, g, r, q, n) })
}

// reasonerLoss64 assembles r's training graph for n questions in float64
// on g, every weight a node, fed q's first n questions, as training
// assembles it. It returns the weights to check (all but the frozen ones
// and the stems': TestConvGradient checks convolutions, and there are
// thousands of weights) and the loss.
func reasonerLoss64(t *testing.T, g *G.ExprGraph, r *Reasoner, q *VQA, n int) (G.Nodes, *G.Node) {
	t.Helper()
	nodes := make([]*G.Node, len(r.Params()))
	var check G.Nodes
	for i, p := range r.Params() {
		if r.frozen[p] {
			continue
		}
		v := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(p.Value.Shape()...))
		for k, x := range p.Data() {
			v.Data().([]float64)[k] = float64(x)
		}
		nodes[i] = G.NodeFromAny(g, v, G.WithName(p.Name))
		if !strings.HasPrefix(p.Name, "stem") {
			check = append(check, nodes[i])
		}
	}
	gr, err := r.assemble(g, n, true, tensor.Float64, nodes)
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	letFeedAsFloat64(t, gr.Inputs, r.Feeder(q, 0), idx)
	return check, gr.Loss
}

// TestGateValue: the gate scales object k's feature d of scene n by
// 1 + s_{n,d}, and an all-zero row stays zero.
func TestGateValue(t *testing.T) {
	o := []float64{1, 2, 0, 0, 3, -1} // 1 scene, 3 objects of 2
	s := []float64{0.5, -2}
	y := make([]float64, 6)
	gateForward(gateGeom{N: 1, K: 3, D: 2}, o, s, y)
	if want := []float64{1.5, -2, 0, 0, 4.5, 1}; !slices.Equal(y, want) {
		t.Errorf("gated %v, want %v", y, want)
	}
	ds := make([]float64, 2)
	gateBackward(gateGeom{N: 1, K: 3, D: 2}, o, []float64{1, 1, 5, 5, 2, 3}, ds)
	if want := []float64{1 + 6, 2 - 3}; !slices.Equal(ds, want) {
		t.Errorf("ds %v, want %v", ds, want)
	}
}

// TestForgetBias: ForgetBias raises exactly the forget gate's biases (the
// second quarter of the LSTM's bias) above the same seed's draw.
func TestForgetBias(t *testing.T) {
	cfg := textReasoner(StateRN, 3)
	plain, err := NewReasoner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tc := *cfg.Text
	tc.ForgetBias = 1
	cfg.Text = &tc
	biased, err := NewReasoner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := tc.Hidden
	a, b := plain.text.bias.Data(), biased.text.bias.Data()
	for k := range a {
		want := a[k]
		if k >= h && k < 2*h {
			want++
		}
		if b[k] != want {
			t.Fatalf("bias %d: %v, want %v (forget gate: %v)", k, b[k], want, k >= h && k < 2*h)
		}
	}
}

// trainText trains a text reasoner of cfg for steps updates (or continues
// from ck, whose config it is rebuilt from), returning it and its state.
func trainText(t *testing.T, cfg ReasonerConfig, q *VQA, steps int, ck *Checkpoint) (*Reasoner, *State) {
	t.Helper()
	var st *State
	if ck != nil {
		cfg = ReasonerConfig{}
		if err := json.Unmarshal(ck.Config, &cfg); err != nil {
			t.Fatal(err)
		}
	}
	r, err := NewReasoner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if ck != nil {
		if st, err = ck.Restore(r.Params()); err != nil {
			t.Fatal(err)
		}
	}
	start := 0
	if st != nil {
		start = st.Step
	}
	st, err = Train(context.Background(), r, q.Len(), r.Feeder(q, start), TrainConfig{Steps: steps, Batch: 8, LR: 3e-3, Seed: 5}, st)
	if err != nil {
		t.Fatal(err)
	}
	return r, st
}

// TestTextReasonerDeterministic: the same seed gives the same weights,
// bit for bit, after 6 steps, on one core or two; another seed does not.
func TestTextReasonerDeterministic(t *testing.T) {
	for _, arch := range []ReasonerArch{StateRN, RN, QuestionOnly} {
		t.Run(arch.String(), func(t *testing.T) {
			cfg := textReasoner(arch, 11)
			q := randomTextVQA(cfg, 40, 3)
			prev := runtime.GOMAXPROCS(1)
			one, _ := trainText(t, cfg, q, 6, nil)
			runtime.GOMAXPROCS(max(prev, 2))
			two, _ := trainText(t, cfg, q, 6, nil)
			runtime.GOMAXPROCS(prev)
			sameParams(t, one.Params(), two.Params())
			cfg.Seed++
			other, _ := trainText(t, cfg, q, 6, nil)
			if slices.Equal(one.text.wh.Data(), other.text.wh.Data()) {
				t.Fatal("seeds 11 and 12 trained to the same LSTM weights")
			}
		})
	}
}

// TestTextReasonerResume: 3 steps, a checkpoint through a file (the
// config, Text included, travels in its JSON), then 4 more give the bits
// of 7 uninterrupted steps; the reasoner rebuilt from the file alone gives
// the saved one's logits and question vectors to the bit.
func TestTextReasonerResume(t *testing.T) {
	for _, arch := range []ReasonerArch{StateRN, QuestionOnly} {
		t.Run(arch.String(), func(t *testing.T) {
			cfg := textReasoner(arch, 11)
			q := randomTextVQA(cfg, 40, 3)
			whole, _ := trainText(t, cfg, q, 7, nil)
			half, st := trainText(t, cfg, q, 3, nil)
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
			var back ReasonerConfig
			if err := json.Unmarshal(ck.Config, &back); err != nil {
				t.Fatal(err)
			}
			if back.Text == nil || *back.Text != *half.Config.Text || back.Width != 8 || back.Question != 5 || back.Arch != arch {
				t.Fatalf("config through the checkpoint: %+v (text %+v), want %+v (text %+v)", back, back.Text, half.Config, half.Config.Text)
			}
			restored, err := NewReasoner(back)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ck.Restore(restored.Params()); err != nil {
				t.Fatal(err)
			}
			a, b := logitsOf(t, half, q), logitsOf(t, restored, q)
			for i := range a {
				if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
					t.Fatalf("logit %d: saved %v, restored %v", i, a[i], b[i])
				}
			}
			qa, err := half.QuestionVectors(q, 16)
			if err != nil {
				t.Fatal(err)
			}
			qb, err := restored.QuestionVectors(q, 16)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(qa, qb) {
				t.Fatal("restored question vectors differ from the saved reasoner's")
			}
			resumed, _ := trainText(t, cfg, q, 7, ck)
			sameParams(t, whole.Params(), resumed.Params())
		})
	}
}

// encodeUnrolled is the encoder as lstmCell unrolled Length times with a
// padding blend after each step: what questionEncoder computes in one op,
// built from the captioner's cell. It reads the step-major ids (Length·n:
// step t's ids for every question, then step t+1's) and returns q
// (n×Hidden).
func encodeUnrolled(ids, table, wx, wh, bias *G.Node, tc *TextConfig) (*G.Node, error) {
	n := ids.Shape()[0] / tc.Length
	emb, err := embed(table, ids) // (Length·n)×Embed
	if err != nil {
		return nil, err
	}
	dt := ids.Dtype()
	zero := G.NewMatrix(ids.Graph(), dt, G.WithShape(n, tc.Hidden), G.WithName("q.zero"),
		G.WithValue(tensor.New(tensor.Of(dt), tensor.WithShape(n, tc.Hidden))))
	w := LSTMWeights{Wx: []*G.Node{wx}, Wh: wh, B: bias}
	h, c := zero, zero
	for t := range tc.Length {
		x, err := segment(emb, t*n*tc.Embed, (t+1)*n*tc.Embed, n, tc.Embed)
		if err != nil {
			return nil, err
		}
		hN, cN, err := lstmCell([]*G.Node{x}, h, c, w)
		if err != nil {
			return nil, err
		}
		if h, err = keepOnPadding(h, hN, ids, t); err != nil {
			return nil, err
		}
		if c, err = keepOnPadding(c, cN, ids, t); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// keepOnPadding returns, row by row, next where step t's id is a word and
// prev where it is padding: m·next + (1−m)·prev.
func keepOnPadding(prev, next, ids *G.Node, t int) (*G.Node, error) {
	a, err := G.ApplyOp(padRowsOp{named("PadRows{t=%d,words=false}", t), t, false}, prev, ids)
	if err != nil {
		return nil, err
	}
	b, err := G.ApplyOp(padRowsOp{named("PadRows{t=%d,words=true}", t), t, true}, next, ids)
	if err != nil {
		return nil, err
	}
	return G.Add(a, b)
}

// padRowsOp: inputs x (N×H) and the step-major ids (T·N); output x with
// the rows zeroed whose id at step t is padding (words) or a word (not
// words). It is linear and its own adjoint: the gradient is the same op
// applied to the output's gradient.
type padRowsOp struct {
	opMeta
	t     int
	words bool
}

func (padRowsOp) Arity() int { return 2 }
func (padRowsOp) Type() hm.Type {
	return hm.NewFnType(tensorT(2), tensorT(1), tensorT(2))
}
func (padRowsOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: pad rows: shape unknown")
	}
	return s.Clone(), nil
}
func (padRowsOp) DiffWRT(int) []bool { return []bool{true, false} }
func (op padRowsOp) Do(in ...G.Value) (G.Value, error) {
	x, ids := in[0].(*tensor.Dense), in[1].(*tensor.Dense)
	n, h := x.Shape()[0], x.Shape()[1]
	if ids.Shape().TotalSize() < (op.t+1)*n {
		return nil, fmt.Errorf("models: pad rows: step %d of %d ids for %d rows", op.t, ids.Shape().TotalSize(), n)
	}
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(n, h))
	switch xs := x.Data().(type) {
	case []float32:
		padRows(xs, ids.Data().([]float32)[op.t*n:][:n], out.Data().([]float32), h, op.words)
	case []float64:
		padRows(xs, ids.Data().([]float64)[op.t*n:][:n], out.Data().([]float64), h, op.words)
	default:
		return nil, fmt.Errorf("models: pad rows: unsupported dtype %v", x.Dtype())
	}
	return out, nil
}
func (op padRowsOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	d, err := G.ApplyOp(op, grad, in[1])
	return G.Nodes{d, nil}, err
}

// padRows copies the rows of x whose id is a word (words) or padding (not
// words) into out, which is otherwise left zero.
func padRows[F float](x, ids, out []F, h int, words bool) {
	for r, id := range ids {
		if (id != 0) == words {
			copy(out[r*h:][:h], x[r*h:][:h])
		}
	}
}

// encoderCase is a question encoder's inputs: T steps of n ids (step-major;
// a question may pause on padding and go on) and random weights.
type encoderCase struct {
	tc  *TextConfig
	n   int
	ids []float64
}

func (ec encoderCase) nodes(g *G.ExprGraph, rng *rand.Rand) (ids, table, wx, wh, b *G.Node) {
	tc := ec.tc
	ids = G.NewVector(g, tensor.Float64, G.WithValue(tensor.New(tensor.WithShape(len(ec.ids)), tensor.WithBacking(slices.Clone(ec.ids)))), G.WithName("ids"))
	table = G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, tc.Words, tc.Embed)), G.WithName("table"))
	wx = G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, tc.Embed, 4*tc.Hidden)), G.WithName("wx"))
	wh = G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, tc.Hidden, 4*tc.Hidden)), G.WithName("wh"))
	b = G.NewVector(g, tensor.Float64, G.WithValue(randTensor(rng, 4*tc.Hidden)), G.WithName("b"))
	return ids, table, wx, wh, b
}

var encoderCases = []struct {
	name string
	ec   encoderCase
}{
	// 3 questions of 4 steps: 2 words, 4 words, 1 word.
	{"padded at the end", encoderCase{&TextConfig{Words: 6, Length: 4, Embed: 3, Hidden: 4}, 3,
		[]float64{1, 2, 5, 3, 4, 0, 0, 5, 0, 0, 1, 0}}},
	// The op, like the unrolled cell, keeps the state on any padded step.
	{"padding between words", encoderCase{&TextConfig{Words: 5, Length: 3, Embed: 2, Hidden: 3}, 2,
		[]float64{4, 0, 0, 1, 2, 3}}},
	{"one step", encoderCase{&TextConfig{Words: 3, Length: 1, Embed: 2, Hidden: 2}, 4,
		[]float64{1, 2, 2, 1}}},
}

// TestQuestionEncoderGradient checks the fused encoder's gradients with
// respect to the table and the LSTM's weights.
func TestQuestionEncoderGradient(t *testing.T) {
	for _, tt := range encoderCases {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(17, 18))
			gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
				ids, table, wx, wh, b := tt.ec.nodes(g, rng)
				q, err := questionEncoder(ids, table, wx, wh, b, tt.ec.tc.Length)
				if err != nil {
					t.Fatal(err)
				}
				return G.Nodes{table, wx, wh, b}, projectSum(g, rng, q)
			})
		})
	}
}

// TestQuestionEncoderMatchesUnrolled holds the fused encoder to lstmCell
// unrolled with the padding blend: the same q and the same gradients.
func TestQuestionEncoderMatchesUnrolled(t *testing.T) {
	for _, tt := range encoderCases {
		t.Run(tt.name, func(t *testing.T) {
			run := func(fused bool) [][]float64 {
				rng := rand.New(rand.NewPCG(19, 20))
				g := G.NewGraph()
				ids, table, wx, wh, b := tt.ec.nodes(g, rng)
				var q *G.Node
				var err error
				if fused {
					q, err = questionEncoder(ids, table, wx, wh, b, tt.ec.tc.Length)
				} else {
					q, err = encodeUnrolled(ids, table, wx, wh, b, tt.ec.tc)
				}
				if err != nil {
					t.Fatal(err)
				}
				cost := projectSum(g, rng, q)
				params := G.Nodes{table, wx, wh, b}
				if _, err := G.Grad(cost, params...); err != nil {
					t.Fatal(err)
				}
				vm := G.NewTapeMachine(g, G.BindDualValues(params...))
				defer vm.Close()
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				out := [][]float64{slices.Clone(q.Value().Data().([]float64))}
				for _, p := range params {
					gv, err := p.Grad()
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, slices.Clone(gv.Data().([]float64)))
				}
				return out
			}
			fused, unrolled := run(true), run(false)
			names := []string{"q", "dtable", "dwx", "dwh", "db"}
			for k := range fused {
				for i := range fused[k] {
					if d := math.Abs(fused[k][i] - unrolled[k][i]); d > 1e-12*max(1, math.Abs(unrolled[k][i])) {
						t.Fatalf("%s[%d]: fused %v, unrolled %v", names[k], i, fused[k][i], unrolled[k][i])
					}
				}
			}
		})
	}
}

func TestQuestionEncoderRefusesBadIDs(t *testing.T) {
	for _, id := range []float64{-1, 6, 1.5} {
		g := G.NewGraph()
		ec := encoderCases[0].ec
		ec.ids = slices.Clone(ec.ids)
		ec.ids[4] = id
		ids, table, wx, wh, b := ec.nodes(g, rand.New(rand.NewPCG(1, 1)))
		if _, err := questionEncoder(ids, table, wx, wh, b, ec.tc.Length); err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g)
		err := vm.RunAll()
		vm.Close()
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("id %v is not a whole number in [0, 6)", id)) {
			t.Errorf("id %v: error %v", id, err)
		}
	}
}

// letFeedAsFloat64 fills a float32 batch of samples idx with feed and
// lets the float64 graph's inputs take it, for gradient checks of a
// model that trains in float32.
func letFeedAsFloat64(t *testing.T, nodes []*G.Node, feed Feeder, idx []int) {
	t.Helper()
	inputs := make([]*tensor.Dense, len(nodes))
	for i, in := range nodes {
		inputs[i] = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in.Shape()...))
	}
	feed(inputs, idx)
	for i, in := range inputs {
		v := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(in.Shape()...))
		for k, x := range in.Data().([]float32) {
			v.Data().([]float64)[k] = float64(x)
		}
		if err := G.Let(nodes[i], v); err != nil {
			t.Fatal(err)
		}
	}
}

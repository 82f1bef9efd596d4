package models

import (
	"context"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
	"math"
	"math/rand/v2"
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
			gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
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
				inputs := make([]*tensor.Dense, len(gr.Inputs))
				for i, in := range gr.Inputs {
					inputs[i] = tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in.Shape()...))
				}
				r.Feeder(q, 0)(inputs, []int{0, 1, 2})
				for i, in := range inputs {
					v := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(in.Shape()...))
					for k, x := range in.Data().([]float32) {
						v.Data().([]float64)[k] = float64(x)
					}
					if err := G.Let(gr.Inputs[i], v); err != nil {
						t.Fatal(err)
					}
				}
				return check, gr.Loss
			})
		})
	}
}

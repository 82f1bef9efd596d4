package models

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds the reasoners' text questions (issue 16, "Questions as
// language"): a question is a sequence of word ids, read by an LSTM whose
// final state is the question vector q that g (or the baselines' dense
// layer, or f alone) reads in place of a fixed question encoding, as the
// Relation Network paper does on CLEVR (an LSTM of 128 units over word
// embeddings of 32).
//
// The contract with bench (kept exactly as agreed):
//
//   - ReasonerConfig.Text (a *TextConfig; nil keeps the float question
//     vectors) and ReasonerConfig.Width (g's and f's width, 0 meaning 256).
//   - With Text set, Question must be 0 or Text.Hidden; NewReasoner sets it
//     to Text.Hidden.
//   - VQA.Tokens holds NQ × Text.Length ids, padded with 0 at the end; Check
//     refuses a wrong length, an id out of range and a question of only
//     padding (and, as the contract's "padded at the END" implies, a word
//     after padding).
//   - Reasoner.QuestionVectors returns each question's q in inference mode.
//   - StateMLP ("state-mlp") and QuestionOnly ("question-only") join RN,
//     CNNMLP and StateRN; every architecture works with and without Text.
//
// The encoder: ids → embeddings (Words×Embed) → an LSTM (lstmCell) of
// Hidden units from a zero state, one step per token. A padded step keeps
// the state it is given, h = m·h' + (1−m)·h and the same for c, with m 1
// for a word and 0 for padding; so q is the state after the question's
// last word, whatever Length it is padded to. The mask is read from the
// ids themselves (id 0 is padding), so the feeder feeds only the ids and
// the two can never disagree. The embeddings and the LSTM are initialised
// as PyTorch's nn.Embedding and nn.LSTM are: N(0, 1), and uniform in
// ±1/√Hidden (one bias where PyTorch has two).

// TextConfig describes a reasoner's text questions.
type TextConfig struct {
	// Words is the vocabulary size: every id is in [0, Words), and id 0 is
	// padding.
	Words int `json:"words"`
	// Length is the number of tokens per question; shorter questions are
	// padded with 0 at the end.
	Length int `json:"length"`
	// Embed is the word embedding size (32 in the RN paper).
	Embed int `json:"embed"`
	// Hidden is the LSTM's size, which is the question vector's length
	// (128 in the RN paper).
	Hidden int `json:"hidden"`
}

// check returns an error saying which size is wrong.
func (tc *TextConfig) check() error {
	if tc.Words < 2 || tc.Length < 1 || tc.Embed < 1 || tc.Hidden < 1 {
		return fmt.Errorf("models: text questions need words ≥ 2 (id 0 is padding), length ≥ 1, embed ≥ 1 and hidden ≥ 1; got words %d, length %d, embed %d, hidden %d",
			tc.Words, tc.Length, tc.Embed, tc.Hidden)
	}
	return nil
}

// textParams are the question encoder's parameters.
type textParams struct {
	embed        *Param // Words×Embed
	wx, wh, bias *Param // Embed×4H, H×4H, 4H: gates i, f, g, o
}

// newTextParams adds the encoder's parameters to ps.
func newTextParams(ps *ParamSet, tc *TextConfig) textParams {
	bound := 1 / math.Sqrt(float64(tc.Hidden))
	return textParams{
		embed: ps.add("q.embed", []int{tc.Words, tc.Embed}, func() float32 { return float32(ps.rng.NormFloat64()) }),
		wx:    ps.Uniform("q.lstm.wx", bound, tc.Embed, 4*tc.Hidden),
		wh:    ps.Uniform("q.lstm.wh", bound, tc.Hidden, 4*tc.Hidden),
		bias:  ps.Uniform("q.lstm.b", bound, 4*tc.Hidden),
	}
}

// encodeQuestions builds the encoder on the step-major ids (Length·n: step
// t's ids for every question, then step t+1's) and returns q (n×Hidden).
func (r *Reasoner) encodeQuestions(ids *G.Node, n int, node map[*Param]*G.Node) (*G.Node, error) {
	tc := r.Config.Text
	emb, err := embed(node[r.text.embed], ids) // (Length·n)×Embed
	if err != nil {
		return nil, err
	}
	dt := ids.Dtype()
	zero := G.NewMatrix(ids.Graph(), dt, G.WithShape(n, tc.Hidden), G.WithName("q.zero"),
		G.WithValue(tensor.New(tensor.Of(dt), tensor.WithShape(n, tc.Hidden))))
	w := LSTMWeights{Wx: []*G.Node{node[r.text.wx]}, Wh: node[r.text.wh], B: node[r.text.bias]}
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

// checkTokens returns an error saying what is wrong with q's tokens.
func (r *Reasoner) checkTokens(q *VQA) error {
	tc, nq := r.Config.Text, q.Len()
	if len(q.Tokens) != nq*tc.Length {
		return fmt.Errorf("models: %d questions of %d tokens want %d token ids, got %d", nq, tc.Length, nq*tc.Length, len(q.Tokens))
	}
	for i := range nq {
		words, padded := 0, false
		for t, id := range q.Tokens[i*tc.Length:][:tc.Length] {
			switch {
			case id < 0 || id >= tc.Words:
				return fmt.Errorf("models: question %d, token %d is id %d; want 0 (padding) to %d", i, t, id, tc.Words-1)
			case id == 0:
				padded = true
			case padded:
				return fmt.Errorf("models: question %d, token %d is word %d after padding; pad with 0 only at the end", i, t, id)
			default:
				words++
			}
		}
		if words == 0 {
			return fmt.Errorf("models: question %d is all padding; want at least one word", i)
		}
	}
	return nil
}

// QuestionVectors returns the question encoder's q for each of q's
// questions (NQ×Text.Hidden, question-major), computed in inference mode
// batch questions at a time. It is an error for a reasoner without Text,
// or for data that do not fit (see Check).
func (r *Reasoner) QuestionVectors(q *VQA, batch int) ([]float32, error) {
	tc := r.Config.Text
	if tc == nil {
		return nil, fmt.Errorf("models: %v reads question vectors, not text: it has no question encoder", r.Config.Arch)
	}
	if err := r.Check(q); err != nil {
		return nil, err
	}
	if batch <= 0 {
		return nil, fmt.Errorf("models: question vectors in batches of %d: want ≥ 1", batch)
	}
	out := make([]float32, q.Len()*tc.Hidden)
	feed := func(inputs []*tensor.Dense, idx []int) { r.feed(q, inputs, idx) }
	err := Predict(r, q.Len(), batch, feed, func(i int, o [][]float32) { copy(out[i*tc.Hidden:][:tc.Hidden], o[1]) })
	return out, err
}

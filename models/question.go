package models

import (
	"fmt"
	"math"

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
//     ReasonerArchs lists them, so the lists of architectures that
//     bench/reason and cmd/hiddendim print (and their tests pin as "rn,
//     cnn-mlp or state-rn") grow by two.
//   - A question-only VQA needs no Images, Shape or Objects, but Image
//     still has one entry per question: it is what Len counts.
//
// The encoder: ids → embeddings (Words×Embed) → an LSTM (the captioner's
// cell, gates i, f, g, o) of Hidden units from a zero state, one step per
// token. A padded step keeps the state it is given, h = m·h' + (1−m)·h and
// the same for c, with m 1 for a word and 0 for padding; so q is the state
// after the question's last word, whatever Length it is padded to. The
// mask is read from the ids themselves (id 0 is padding), so the feeder
// feeds only the ids and the two can never disagree. The encoder is one
// fused op (question_encoder.go) that skips padded rows; tests hold it to
// lstmCell unrolled with the blend. The embeddings and the LSTM are
// initialised as PyTorch's nn.Embedding and nn.LSTM are: N(0, 1), and
// uniform in ±1/√Hidden (one bias where PyTorch has two).

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
	// ForgetBias is added to the LSTM's forget-gate bias after it is
	// drawn (0: PyTorch's initialisation; see newTextParams).
	ForgetBias float64 `json:"forget_bias,omitempty"`
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
	tp := textParams{
		embed: ps.add("q.embed", []int{tc.Words, tc.Embed}, func() float32 { return float32(ps.rng.NormFloat64()) }),
		wx:    ps.Uniform("q.lstm.wx", bound, tc.Embed, 4*tc.Hidden),
		wh:    ps.Uniform("q.lstm.wh", bound, tc.Hidden, 4*tc.Hidden),
		bias:  ps.Uniform("q.lstm.b", bound, 4*tc.Hidden),
	}
	if tc.ForgetBias != 0 {
		// Gates i, f, g, o: the forget gate's biases are the second H.
		for k := range tc.Hidden {
			tp.bias.Value.Data().([]float32)[tc.Hidden+k] += float32(tc.ForgetBias)
		}
	}
	return tp
}

// encodeQuestions builds the encoder on the step-major ids (Length·n: step
// t's ids for every question, then step t+1's) and returns q (n×Hidden).
func (r *Reasoner) encodeQuestions(ids *G.Node, node map[*Param]*G.Node) (*G.Node, error) {
	return questionEncoder(ids, node[r.text.embed], node[r.text.wx], node[r.text.wh], node[r.text.bias], r.Config.Text.Length)
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

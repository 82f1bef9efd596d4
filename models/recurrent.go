package models

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// embed looks up rows of table (V×D) for token ids given as a float
// vector of length N (gorgonia's tensors hold floats; ids are whole
// numbers), giving N×D. Its gradient adds each row of dy into the row of
// its token.
func embed(table, ids *G.Node) (*G.Node, error) {
	if table.Shape().Dims() != 2 || ids.Shape().Dims() != 1 {
		return nil, fmt.Errorf("models: embed wants a V×D table and N ids, got %v and %v", table.Shape(), ids.Shape())
	}
	return G.ApplyOp(embedOp{named("Embed")}, table, ids)
}

type embedOp struct{ opMeta }

func (embedOp) Arity() int { return 2 }
func (embedOp) Type() hm.Type {
	return hm.NewFnType(tensorT(2), tensorT(1), tensorT(2))
}
func (embedOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	t, ok1 := in[0].(tensor.Shape)
	ids, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("models: embed: shape unknown")
	}
	return tensor.Shape{ids[0], t[1]}, nil
}
func (embedOp) DiffWRT(int) []bool { return []bool{true, false} }
func (embedOp) Do(in ...G.Value) (G.Value, error) {
	t, ids := in[0].(*tensor.Dense), in[1].(*tensor.Dense)
	v, d, n := t.Shape()[0], t.Shape()[1], ids.Shape()[0]
	out := tensor.New(tensor.Of(t.Dtype()), tensor.WithShape(n, d))
	var err error
	switch ts := t.Data().(type) {
	case []float32:
		err = gather(ts, ids.Data().([]float32), out.Data().([]float32), v, d)
	case []float64:
		err = gather(ts, ids.Data().([]float64), out.Data().([]float64), v, d)
	}
	return out, err
}

func gather[F float](table, ids, out []F, v, d int) error {
	for i, id := range ids {
		r := int(id)
		if r < 0 || r >= v || F(r) != id {
			return fmt.Errorf("models: embed: id %v is not a whole number in [0, %d)", id, v)
		}
		copy(out[i*d:(i+1)*d], table[r*d:(r+1)*d])
	}
	return nil
}

func (embedOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dt, err := G.ApplyOp(embedGradOp{named("EmbedGrad{%d}", in[0].Shape()[0]), in[0].Shape()[0]}, in[1], grad)
	return G.Nodes{dt, nil}, err
}

// embedGradOp scatters dy (N×D) into a V×D gradient by id: inputs ids, dy.
type embedGradOp struct {
	opMeta
	v int
}

func (embedGradOp) Arity() int    { return 2 }
func (embedGradOp) Type() hm.Type { return hm.NewFnType(tensorT(1), tensorT(2), tensorT(2)) }
func (op embedGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[1].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: embed grad: shape unknown")
	}
	return tensor.Shape{op.v, s[1]}, nil
}
func (op embedGradOp) Do(in ...G.Value) (G.Value, error) {
	ids, dy := in[0].(*tensor.Dense), in[1].(*tensor.Dense)
	d := dy.Shape()[1]
	out := tensor.New(tensor.Of(dy.Dtype()), tensor.WithShape(op.v, d))
	switch ds := dy.Data().(type) {
	case []float32:
		scatter(ids.Data().([]float32), ds, out.Data().([]float32), d)
	case []float64:
		scatter(ids.Data().([]float64), ds, out.Data().([]float64), d)
	}
	return out, nil
}

func scatter[F float](ids, dy, out []F, d int) {
	for i, id := range ids {
		r := int(id)
		row := out[r*d : (r+1)*d]
		for j, v := range dy[i*d : (i+1)*d] {
			row[j] += v
		}
	}
}

// LSTMWeights are one LSTM cell's parameters: x·Wx + h·Wh + b gives the
// four gates side by side, in the order input, forget, candidate, output.
type LSTMWeights struct {
	Wx, Wh, B *G.Node // In×4H, H×4H, 4H
}

// lstmCell advances an LSTM one step: from input x (N×In) and state (h, c)
// (N×H each) to the new state, with
//
//	i, f, o = σ(·), g = tanh(·) of the gate pre-activations
//	c' = f⊙c + i⊙g,  h' = o⊙tanh(c').
//
// Sequences are unrolled by calling it once per step.
func lstmCell(x, h, c *G.Node, w LSTMWeights) (hNext, cNext *G.Node, err error) {
	hid := h.Shape()[1]
	xw, err := G.Mul(x, w.Wx)
	if err != nil {
		return nil, nil, err
	}
	hw, err := G.Mul(h, w.Wh)
	if err != nil {
		return nil, nil, err
	}
	pre, err := G.Add(xw, hw)
	if err != nil {
		return nil, nil, err
	}
	if pre, err = G.BroadcastAdd(pre, w.B, nil, []byte{0}); err != nil {
		return nil, nil, err
	}
	gate := func(k int, f func(*G.Node) (*G.Node, error)) (*G.Node, error) {
		s, err := G.Slice(pre, nil, G.S(k*hid, (k+1)*hid))
		if err != nil {
			return nil, err
		}
		return f(s)
	}
	i, err := gate(0, G.Sigmoid)
	if err != nil {
		return nil, nil, err
	}
	f, err := gate(1, G.Sigmoid)
	if err != nil {
		return nil, nil, err
	}
	g, err := gate(2, G.Tanh)
	if err != nil {
		return nil, nil, err
	}
	o, err := gate(3, G.Sigmoid)
	if err != nil {
		return nil, nil, err
	}
	fc, err := G.HadamardProd(f, c)
	if err != nil {
		return nil, nil, err
	}
	ig, err := G.HadamardProd(i, g)
	if err != nil {
		return nil, nil, err
	}
	if cNext, err = G.Add(fc, ig); err != nil {
		return nil, nil, err
	}
	tc, err := G.Tanh(cNext)
	if err != nil {
		return nil, nil, err
	}
	hNext, err = G.HadamardProd(o, tc)
	return hNext, cNext, err
}

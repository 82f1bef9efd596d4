package models

import (
	"fmt"
	"math"

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

// LSTMWeights are one LSTM cell's parameters: Σ_k x_k·Wx_k + h·Wh + b
// gives the four gates side by side, in the order input, forget,
// candidate, output. The input is given in parts (a word embedding and an
// attention context, say), each with its own block of Wx, which is the
// same as concatenating them but needs no concatenation.
type LSTMWeights struct {
	Wx    []*G.Node // In_k×4H each
	Wh, B *G.Node   // H×4H, 4H
}

// lstmCell advances an LSTM one step: from the input parts xs (N×In_k)
// and state (h, c) (N×H each) to the new state, with
//
//	i, f, o = σ(·), g = tanh(·) of the gate pre-activations
//	c' = f⊙c + i⊙g,  h' = o⊙tanh(c').
//
// Sequences are unrolled by calling it once per step. The gates are one
// fused op (lstmGates) rather than four column slices of the
// pre-activations: one pass, and no gorgonia Slice (see doc.go).
func lstmCell(xs []*G.Node, h, c *G.Node, w LSTMWeights) (hNext, cNext *G.Node, err error) {
	if len(xs) != len(w.Wx) || len(xs) == 0 {
		return nil, nil, fmt.Errorf("models: lstm: %d input parts for %d weight blocks", len(xs), len(w.Wx))
	}
	pre, err := G.Mul(h, w.Wh)
	if err != nil {
		return nil, nil, err
	}
	for k, x := range xs {
		xw, err := G.Mul(x, w.Wx[k])
		if err != nil {
			return nil, nil, err
		}
		if pre, err = G.Add(pre, xw); err != nil {
			return nil, nil, err
		}
	}
	if pre, err = G.BroadcastAdd(pre, w.B, nil, []byte{0}); err != nil {
		return nil, nil, err
	}
	both, err := G.ApplyOp(lstmGatesOp{named("LSTMGates")}, pre, c)
	if err != nil {
		return nil, nil, err
	}
	hc, err := unpack(both, c.Shape(), c.Shape())
	if err != nil {
		return nil, nil, err
	}
	return hc[0], hc[1], nil
}

// lstmGatesOp: inputs pre (N×4H, gates i, f, g, o side by side) and c
// (N×H); output 2×N×H holding h' then c'.
type lstmGatesOp struct{ opMeta }

func (lstmGatesOp) Arity() int { return 2 }
func (lstmGatesOp) Type() hm.Type {
	return hm.NewFnType(tensorT(2), tensorT(2), tensorT(3))
}
func (lstmGatesOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[1].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: lstm gates: shape unknown")
	}
	return tensor.Shape{2, s[0], s[1]}, nil
}
func (lstmGatesOp) DiffWRT(int) []bool { return []bool{true, true} }
func (lstmGatesOp) Do(in ...G.Value) (G.Value, error) {
	pre, c := in[0].(*tensor.Dense), in[1].(*tensor.Dense)
	n, h := c.Shape()[0], c.Shape()[1]
	if pre.Shape()[0] != n || pre.Shape()[1] != 4*h {
		return nil, fmt.Errorf("models: lstm gates: pre-activations %v for a state %v", pre.Shape(), c.Shape())
	}
	out := tensor.New(tensor.Of(c.Dtype()), tensor.WithShape(2, n, h))
	switch ps := pre.Data().(type) {
	case []float32:
		gatesForward(ps, c.Data().([]float32), out.Data().([]float32), n, h)
	case []float64:
		gatesForward(ps, c.Data().([]float64), out.Data().([]float64), n, h)
	default:
		return nil, fmt.Errorf("models: lstm gates: unsupported dtype %v", c.Dtype())
	}
	return out, nil
}

// gates returns i, f, g, o of row r, column j.
func gates[F float](pre []F, r, j, h int) (i, f, g, o float64) {
	row := pre[r*4*h:]
	return sigmoid(float64(row[j])), sigmoid(float64(row[h+j])), math.Tanh(float64(row[2*h+j])), sigmoid(float64(row[3*h+j]))
}

func gatesForward[F float](pre, c, out []F, n, h int) {
	hs, cs := out[:n*h], out[n*h:]
	for r := range n {
		for j := range h {
			i, f, g, o := gates(pre, r, j, h)
			cn := f*float64(c[r*h+j]) + i*g
			cs[r*h+j] = F(cn)
			hs[r*h+j] = F(o * math.Tanh(cn))
		}
	}
}

func (lstmGatesOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	n, h := in[1].Shape()[0], in[1].Shape()[1]
	packed, err := G.ApplyOp(lstmGatesGradOp{named("LSTMGatesGrad")}, in[0], in[1], grad)
	if err != nil {
		return nil, err
	}
	return unpack(packed, tensor.Shape{n, 4 * h}, tensor.Shape{n, h})
}

// lstmGatesGradOp: inputs pre, c, dout (2×N×H); output [dpre | dc] flat.
type lstmGatesGradOp struct{ opMeta }

func (lstmGatesGradOp) Arity() int { return 3 }
func (lstmGatesGradOp) Type() hm.Type {
	return hm.NewFnType(tensorT(2), tensorT(2), tensorT(3), tensorT(1))
}
func (lstmGatesGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[1].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: lstm gates grad: shape unknown")
	}
	return tensor.Shape{5 * s[0] * s[1]}, nil
}
func (lstmGatesGradOp) Do(in ...G.Value) (G.Value, error) {
	pre, c, dout := in[0].(*tensor.Dense), in[1].(*tensor.Dense), in[2].(*tensor.Dense)
	n, h := c.Shape()[0], c.Shape()[1]
	out := tensor.New(tensor.Of(c.Dtype()), tensor.WithShape(5*n*h))
	switch ps := pre.Data().(type) {
	case []float32:
		gatesBackward(ps, c.Data().([]float32), dout.Data().([]float32), out.Data().([]float32), n, h)
	case []float64:
		gatesBackward(ps, c.Data().([]float64), dout.Data().([]float64), out.Data().([]float64), n, h)
	}
	return out, nil
}

func gatesBackward[F float](pre, c, dout, packed []F, n, h int) {
	dpre, dc := packed[:n*4*h], packed[n*4*h:]
	dh, dcOut := dout[:n*h], dout[n*h:]
	for r := range n {
		for j := range h {
			i, f, g, o := gates(pre, r, j, h)
			cv := float64(c[r*h+j])
			tc := math.Tanh(f*cv + i*g)
			k := r*h + j
			dcn := float64(dcOut[k]) + float64(dh[k])*o*(1-tc*tc)
			row := dpre[r*4*h:]
			row[j] = F(dcn * g * i * (1 - i))
			row[h+j] = F(dcn * cv * f * (1 - f))
			row[2*h+j] = F(dcn * i * (1 - g*g))
			row[3*h+j] = F(float64(dh[k]) * tc * o * (1 - o))
			dc[k] = F(dcn * f)
		}
	}
}

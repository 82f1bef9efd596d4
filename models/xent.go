package models

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// softmaxXent returns the mean over rows of −Σₖ yₖ·log softmax(logits)ₖ for
// logits and target distributions y (usually one-hot), both N×K, computed
// with the log-sum-exp shift so that large logits do not overflow.
func softmaxXent(logits, y *G.Node) (*G.Node, error) {
	if !logits.Shape().Eq(y.Shape()) || logits.Shape().Dims() != 2 {
		return nil, fmt.Errorf("models: softmaxXent wants two N×K matrices, got %v and %v", logits.Shape(), y.Shape())
	}
	return G.ApplyOp(xentOp{named("SoftmaxXent")}, logits, y)
}

type xentOp struct{ opMeta }

func (xentOp) Arity() int { return 2 }
func (xentOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := &G.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(t, t, a)
}
func (xentOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }
func (xentOp) DiffWRT(int) []bool                             { return []bool{true, false} }

func (xentOp) Do(in ...G.Value) (G.Value, error) {
	l, y := in[0].(*tensor.Dense), in[1].(*tensor.Dense)
	n, k := l.Shape()[0], l.Shape()[1]
	switch ls := l.Data().(type) {
	case []float32:
		v := xentLoss(ls, y.Data().([]float32), n, k)
		return G.NewF32(float32(v)), nil
	case []float64:
		return G.NewF64(xentLoss(ls, y.Data().([]float64), n, k)), nil
	}
	return nil, fmt.Errorf("models: softmaxXent: unsupported dtype %v", l.Dtype())
}

func xentLoss[F float](l, y []F, n, k int) float64 {
	var total float64
	for i := 0; i < n; i++ {
		row, t := l[i*k:(i+1)*k], y[i*k:(i+1)*k]
		lse := logSumExp(row)
		for j, v := range row {
			if t[j] != 0 {
				total -= float64(t[j]) * (float64(v) - lse)
			}
		}
	}
	return total / float64(n)
}

func logSumExp[F float](row []F) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = max(m, float64(v))
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

func (xentOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dl, err := G.ApplyOp(xentGradOp{named("SoftmaxXentGrad")}, in[0], in[1], grad)
	return G.Nodes{dl, nil}, err
}

// xentGradOp is d loss / d logits = (softmax(logits)·Σₖyₖ − y)·g/N, per
// row: (softmax − y)·g/N for a distribution y, and 0 for an all-zero row
// (the captioner's steps after <end>), which adds nothing to the loss.
type xentGradOp struct{ opMeta }

func (xentGradOp) Arity() int { return 3 }
func (xentGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := &G.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(t, t, a, t)
}
func (xentGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: softmaxXent grad: shape unknown")
	}
	return s.Clone(), nil
}
func (xentGradOp) Do(in ...G.Value) (G.Value, error) {
	l, y := in[0].(*tensor.Dense), in[1].(*tensor.Dense)
	g, err := scalarOf(in[2])
	if err != nil {
		return nil, err
	}
	n, k := l.Shape()[0], l.Shape()[1]
	out := tensor.New(tensor.Of(l.Dtype()), tensor.WithShape(n, k))
	switch ls := l.Data().(type) {
	case []float32:
		xentGrad(ls, y.Data().([]float32), out.Data().([]float32), n, k, g)
	case []float64:
		xentGrad(ls, y.Data().([]float64), out.Data().([]float64), n, k, g)
	}
	return out, nil
}

func xentGrad[F float](l, y, d []F, n, k int, g float64) {
	scale := g / float64(n)
	for i := 0; i < n; i++ {
		row, yr := l[i*k:(i+1)*k], y[i*k:(i+1)*k]
		var mass float64
		for _, v := range yr {
			mass += float64(v)
		}
		if mass == 0 {
			clear(d[i*k : (i+1)*k])
			continue
		}
		lse := logSumExp(row)
		for j, v := range row {
			d[i*k+j] = F((math.Exp(float64(v)-lse)*mass - float64(yr[j])) * scale)
		}
	}
}

func scalarOf(v G.Value) (float64, error) {
	switch s := v.(type) {
	case *G.F32:
		return float64(*s), nil
	case *G.F64:
		return float64(*s), nil
	case *tensor.Dense:
		switch x := s.ScalarValue().(type) {
		case float32:
			return float64(x), nil
		case float64:
			return x, nil
		}
	}
	return 0, fmt.Errorf("models: want a scalar, got %T", v)
}

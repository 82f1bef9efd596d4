package models

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The VAE's observation models: how p(x|z) turns the decoder's output into
// a likelihood. The loss in nats depends on which one is used.
const (
	// Bernoulli treats each pixel value in [0, 1] as the probability of a
	// Bernoulli variable whose logit the decoder outputs:
	// −log p = softplus(l) − x·l, computed without overflow.
	Bernoulli = "bernoulli"
	// Gaussian treats each pixel as Normal(l, σ²) with a fixed σ:
	// −log p = (x−l)²/(2σ²) + log(σ·√(2π)).
	Gaussian = "gaussian"
)

// reconNLL returns each example's negative log-likelihood, summed over its
// pixels: a vector of length N for logits and targets of shape N×C×H×W.
func reconNLL(logits, x *G.Node, model string, sigma float64) (*G.Node, error) {
	if !logits.Shape().Eq(x.Shape()) || logits.Shape().Dims() != 4 {
		return nil, fmt.Errorf("models: reconNLL wants two N×C×H×W tensors, got %v and %v", logits.Shape(), x.Shape())
	}
	if model != Bernoulli && model != Gaussian {
		return nil, fmt.Errorf("models: unknown observation model %q; want %s or %s", model, Bernoulli, Gaussian)
	}
	if model == Gaussian && !(sigma > 0) {
		return nil, fmt.Errorf("models: gaussian observation model needs σ > 0, got %v", sigma)
	}
	op := reconOp{named("ReconNLL(%s,%g)", model, sigma), model, sigma}
	return G.ApplyOp(op, logits, x)
}

type reconOp struct {
	opMeta
	model string
	sigma float64
}

func (reconOp) Arity() int { return 2 }
func (reconOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := &G.TensorType{Dims: 4, Of: a}
	return hm.NewFnType(t, t, tensorT(1))
}
func (reconOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: reconNLL: shape unknown")
	}
	return tensor.Shape{s[0]}, nil
}
func (reconOp) DiffWRT(int) []bool { return []bool{true, false} }

func (op reconOp) Do(in ...G.Value) (G.Value, error) {
	l, x := in[0].(*tensor.Dense), in[1].(*tensor.Dense)
	n := l.Shape()[0]
	out := tensor.New(tensor.Of(l.Dtype()), tensor.WithShape(n))
	switch ls := l.Data().(type) {
	case []float32:
		reconForward(op, ls, x.Data().([]float32), out.Data().([]float32), n)
	case []float64:
		reconForward(op, ls, x.Data().([]float64), out.Data().([]float64), n)
	default:
		return nil, fmt.Errorf("models: reconNLL: unsupported dtype %v", l.Dtype())
	}
	return out, nil
}

// nll is one pixel's negative log-likelihood; grad is its derivative
// with respect to the logit.
func (op reconOp) nll(l, x float64) float64 {
	if op.model == Gaussian {
		d := x - l
		return d*d/(2*op.sigma*op.sigma) + math.Log(op.sigma*math.Sqrt(2*math.Pi))
	}
	// softplus(l) = max(l, 0) + log1p(exp(−|l|)) never overflows.
	return max(l, 0) + math.Log1p(math.Exp(-math.Abs(l))) - x*l
}

func (op reconOp) grad(l, x float64) float64 {
	if op.model == Gaussian {
		return (l - x) / (op.sigma * op.sigma)
	}
	return sigmoid(l) - x
}

func sigmoid(l float64) float64 {
	if l >= 0 {
		return 1 / (1 + math.Exp(-l))
	}
	e := math.Exp(l)
	return e / (1 + e)
}

func reconForward[F float](op reconOp, l, x, out []F, n int) {
	per := len(l) / n
	forParts(parts(n), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			var s float64
			for j := i * per; j < (i+1)*per; j++ {
				s += op.nll(float64(l[j]), float64(x[j]))
			}
			out[i] = F(s)
		}
	})
}

func (op reconOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dl, err := G.ApplyOp(reconGradOp{named("ReconNLLGrad(%s,%g)", op.model, op.sigma), op}, in[0], in[1], grad)
	return G.Nodes{dl, nil}, err
}

// reconGradOp is d Σ_n dy_n·nll_n / d logits.
type reconGradOp struct {
	opMeta
	fwd reconOp
}

func (reconGradOp) Arity() int { return 3 }
func (reconGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := &G.TensorType{Dims: 4, Of: a}
	return hm.NewFnType(t, t, tensorT(1), t)
}
func (reconGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: reconNLL grad: shape unknown")
	}
	return s.Clone(), nil
}
func (op reconGradOp) Do(in ...G.Value) (G.Value, error) {
	l, x, dy := in[0].(*tensor.Dense), in[1].(*tensor.Dense), in[2].(*tensor.Dense)
	out := tensor.New(tensor.Of(l.Dtype()), tensor.WithShape(l.Shape().Clone()...))
	switch ls := l.Data().(type) {
	case []float32:
		reconBackward(op.fwd, ls, x.Data().([]float32), dy.Data().([]float32), out.Data().([]float32))
	case []float64:
		reconBackward(op.fwd, ls, x.Data().([]float64), dy.Data().([]float64), out.Data().([]float64))
	}
	return out, nil
}

func reconBackward[F float](op reconOp, l, x, dy, dl []F) {
	n := len(dy)
	per := len(l) / n
	forParts(parts(n), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			g := float64(dy[i])
			for j := i * per; j < (i+1)*per; j++ {
				dl[j] = F(g * op.grad(float64(l[j]), float64(x[j])))
			}
		}
	})
}

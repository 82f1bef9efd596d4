package models

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// This file holds batch normalisation followed by a ReLU as one op, as
// PyTorch's BatchNorm2d (momentum 0.1, ε 1e-5) then F.relu computes them:
//
//	training:  y = max(0, γ·(x − μ_B)/√(σ²_B + ε) + β), with μ_B and σ²_B
//	           the channel's mean and (biased) variance over the batch and
//	           the pixels; each run then moves the running statistics:
//	           mean ← 0.9·mean + 0.1·μ_B, var ← 0.9·var + 0.1·σ²_B·M/(M−1)
//	           (the unbiased variance, M = N·H·W values per channel)
//	inference: y = max(0, γ·(x − mean)/√(var + ε) + β)
//
// The running statistics are Params the op reads (and in training writes)
// directly, not graph inputs: nothing differentiates them. Statistics are
// summed in float64, one channel per goroutine, in a fixed order, so the
// result does not depend on the core count. The backward ops recompute
// the batch statistics from x rather than sharing state with the forward
// op: two passes over x, cheap beside the convolutions around them.

// bnGeom is the shape of the normalised tensor: N×C×HW.
type bnGeom struct{ N, C, HW int }

// bnRelu normalises x (N×C×H×W) per channel with scale gamma and shift beta
// (C each) and applies a ReLU. In training it uses the batch's statistics
// and updates mean and variance; otherwise it uses them.
func bnRelu(x, gamma, beta *G.Node, mean, variance *Param, train bool) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || !gamma.Shape().Eq(tensor.Shape{s[1]}) || !beta.Shape().Eq(tensor.Shape{s[1]}) ||
		mean.Size() != s[1] || variance.Size() != s[1] {
		return nil, fmt.Errorf("models: bnRelu wants x N×C×H×W and γ, β, mean, var of C; got %v %v %v %d %d", s, gamma.Shape(), beta.Shape(), mean.Size(), variance.Size())
	}
	if train && s[0]*s[2]*s[3] < 2 {
		return nil, fmt.Errorf("models: batch norm in training needs at least 2 values per channel, got %v", s)
	}
	g := bnGeom{N: s[0], C: s[1], HW: s[2] * s[3]}
	op := &bnReluOp{opMeta: named("BNReLU(%s,%s,train=%v)%+v", mean.Name, variance.Name, train, g), g: g, train: train, mean: mean, variance: variance}
	return G.ApplyOp(op, x, gamma, beta)
}

type bnReluOp struct {
	opMeta
	g              bnGeom
	train          bool
	mean, variance *Param
	out            outBuf
}

func (op *bnReluOp) Arity() int { return 3 }
func (op *bnReluOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(1), tensorT(1), tensorT(4))
}
func (op *bnReluOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: bnRelu: input shape unknown")
	}
	return s.Clone(), nil
}
func (op *bnReluOp) DiffWRT(int) []bool { return []bool{true, true, true} }

func (op *bnReluOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	y := op.out.get(x.Dtype(), x.Shape()...)
	switch xs := x.Data().(type) {
	case []float32:
		bnForward(op, xs, data32(in[1]), data32(in[2]), y.Data().([]float32))
	case []float64:
		bnForward(op, xs, data64(in[1]), data64(in[2]), y.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: bnRelu: unsupported dtype %v", x.Dtype())
	}
	return y, nil
}

// bnStats returns channel c's batch mean and 1/√(σ² + ε), and σ².
func bnStats[F float](g bnGeom, x []F, c int) (mean, invStd, variance float64) {
	var s float64
	for n := range g.N {
		for _, v := range x[(n*g.C+c)*g.HW:][:g.HW] {
			s += float64(v)
		}
	}
	m := float64(g.N * g.HW)
	mean = s / m
	var ss float64
	for n := range g.N {
		for _, v := range x[(n*g.C+c)*g.HW:][:g.HW] {
			d := float64(v) - mean
			ss += d * d
		}
	}
	variance = ss / m
	return mean, 1 / math.Sqrt(variance+bnEps), variance
}

func bnForward[F float](op *bnReluOp, x, gamma, beta, y []F) {
	g := op.g
	rm, rv := op.mean.Data(), op.variance.Data()
	forParts(parts(g.C), func(_ int, lo, hi int) {
		for c := lo; c < hi; c++ {
			var mean, invStd float64
			if op.train {
				var v float64
				mean, invStd, v = bnStats(g, x, c)
				m := float64(g.N * g.HW)
				rm[c] = float32((1-bnMomentum)*float64(rm[c]) + bnMomentum*mean)
				rv[c] = float32((1-bnMomentum)*float64(rv[c]) + bnMomentum*v*m/(m-1))
			} else {
				mean, invStd = float64(rm[c]), 1/math.Sqrt(float64(rv[c])+bnEps)
			}
			scale := float64(gamma[c]) * invStd
			a, b := F(scale), F(float64(beta[c])-mean*scale)
			for n := range g.N {
				src := x[(n*g.C+c)*g.HW:][:g.HW]
				dst := y[(n*g.C+c)*g.HW:][:g.HW]
				for i, v := range src {
					dst[i] = max(0, v*a+b)
				}
			}
		}
	})
}

func (op *bnReluOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if !op.train {
		return nil, fmt.Errorf("models: bnRelu: an inference graph has no gradient")
	}
	dx, err := G.ApplyOp(&bnDxOp{opMeta: named("BNReLUDx%+v", op.g), g: op.g}, in[0], in[1], in[2], grad)
	if err != nil {
		return nil, err
	}
	dgb, err := G.ApplyOp(&bnDgbOp{opMeta: named("BNReLUDgb%+v", op.g), g: op.g}, in[0], in[1], in[2], grad)
	if err != nil {
		return nil, err
	}
	p, err := unpack(dgb, tensor.Shape{op.g.C}, tensor.Shape{op.g.C})
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, p[0], p[1]}, nil
}

// bnSums returns what the backward pass needs for channel c: the batch
// statistics, the scale and shift they give, and the sums over the
// channel of dz and dz·x̂, where dz is dy where the output is positive and
// x̂ = (x − μ)/σ.
func bnSums[F float](g bnGeom, x, gamma, beta, dy []F, c int) (mean, invStd float64, a, b F, sdz, sdzx float64) {
	mean, invStd, _ = bnStats(g, x, c)
	scale := float64(gamma[c]) * invStd
	a, b = F(scale), F(float64(beta[c])-mean*scale)
	for n := range g.N {
		src := x[(n*g.C+c)*g.HW:][:g.HW]
		d := dy[(n*g.C+c)*g.HW:][:g.HW]
		for i, v := range src {
			if v*a+b > 0 {
				sdz += float64(d[i])
				sdzx += float64(d[i]) * (float64(v) - mean) * invStd
			}
		}
	}
	return mean, invStd, a, b, sdz, sdzx
}

// bnDxOp is the gradient wrt x: inputs x, γ, β, dy.
//
//	dx = γ/σ · (dz − Σdz/M − x̂·Σ(dz·x̂)/M)
type bnDxOp struct {
	opMeta
	g   bnGeom
	out outBuf
}

func (op *bnDxOp) Arity() int { return 4 }
func (op *bnDxOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(1), tensorT(1), tensorT(4), tensorT(4))
}
func (op *bnDxOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: bnRelu dx: shape unknown")
	}
	return s.Clone(), nil
}
func (op *bnDxOp) DiffWRT(int) []bool { return []bool{false, false, false, false} }
func (op *bnDxOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("models: bnRelu dx has no gradient")
}
func (op *bnDxOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	dx := op.out.get(x.Dtype(), x.Shape()...)
	switch xs := x.Data().(type) {
	case []float32:
		bnBackwardX(op.g, xs, data32(in[1]), data32(in[2]), data32(in[3]), dx.Data().([]float32))
	case []float64:
		bnBackwardX(op.g, xs, data64(in[1]), data64(in[2]), data64(in[3]), dx.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: bnRelu dx: unsupported dtype %v", x.Dtype())
	}
	return dx, nil
}

func bnBackwardX[F float](g bnGeom, x, gamma, beta, dy, dx []F) {
	forParts(parts(g.C), func(_ int, lo, hi int) {
		for c := lo; c < hi; c++ {
			mu, invStd, a, b, sdz, sdzx := bnSums(g, x, gamma, beta, dy, c)
			m := float64(g.N * g.HW)
			// dx = k·dz − k·Σdz/M − k·x̂·Σ(dz·x̂)/M with x̂ = (x−μ)/σ and
			// k = γ/σ, written as dx = k·dz + u·x + w per element.
			k := float64(gamma[c]) * invStd
			u := -k * sdzx / m * invStd
			w := -k*sdz/m + k*sdzx/m*invStd*mu
			kf, uf, wf := F(k), F(u), F(w)
			for n := range g.N {
				src := x[(n*g.C+c)*g.HW:][:g.HW]
				d := dy[(n*g.C+c)*g.HW:][:g.HW]
				o := dx[(n*g.C+c)*g.HW:][:g.HW]
				for i, v := range src {
					var dz F
					if v*a+b > 0 {
						dz = d[i]
					}
					o[i] = kf*dz + uf*v + wf
				}
			}
		}
	})
}

// bnDgbOp is the gradients wrt γ and β, packed: Σ dz·x̂, then Σ dz, per
// channel. Inputs x, γ, β, dy.
type bnDgbOp struct {
	opMeta
	g bnGeom
}

func (op *bnDgbOp) Arity() int { return 4 }
func (op *bnDgbOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(1), tensorT(1), tensorT(4), tensorT(1))
}
func (op *bnDgbOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{2 * op.g.C}, nil
}
func (op *bnDgbOp) DiffWRT(int) []bool { return []bool{false, false, false, false} }
func (op *bnDgbOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("models: bnRelu dγ has no gradient")
}
func (op *bnDgbOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(2*op.g.C))
	switch xs := x.Data().(type) {
	case []float32:
		bnBackwardGB(op.g, xs, data32(in[1]), data32(in[2]), data32(in[3]), out.Data().([]float32))
	case []float64:
		bnBackwardGB(op.g, xs, data64(in[1]), data64(in[2]), data64(in[3]), out.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: bnRelu dγ: unsupported dtype %v", x.Dtype())
	}
	return out, nil
}

func bnBackwardGB[F float](g bnGeom, x, gamma, beta, dy, out []F) {
	forParts(parts(g.C), func(_ int, lo, hi int) {
		for c := lo; c < hi; c++ {
			_, _, _, _, sdz, sdzx := bnSums(g, x, gamma, beta, dy, c)
			out[c], out[g.C+c] = F(sdzx), F(sdz)
		}
	})
}

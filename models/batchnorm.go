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
// result does not depend on the core count. The backward op reads the
// batch statistics the forward op recorded and makes two passes over x
// and dy, computing dx, dγ and dβ together.

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
	// batchMean and batchInvStd are the last training pass's statistics,
	// per channel, for the backward pass.
	batchMean, batchInvStd []float64
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

// sum returns Σ s in float64, in four interleaved chains (a fixed order
// for a given length).
func sum[F float](s []F) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(s); i += 4 {
		s0 += float64(s[i])
		s1 += float64(s[i+1])
		s2 += float64(s[i+2])
		s3 += float64(s[i+3])
	}
	for ; i < len(s); i++ {
		s0 += float64(s[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// sumSq returns Σ (s − m)² in float64, in four interleaved chains.
func sumSq[F float](s []F, m float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(s); i += 4 {
		d0, d1, d2, d3 := float64(s[i])-m, float64(s[i+1])-m, float64(s[i+2])-m, float64(s[i+3])-m
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(s); i++ {
		d := float64(s[i]) - m
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// bnStats returns channel c's batch mean, 1/√(σ² + ε) and σ² (biased).
func bnStats[F float](g bnGeom, x []F, c int) (mean, invStd, variance float64) {
	var s float64
	for n := range g.N {
		s += sum(x[(n*g.C+c)*g.HW:][:g.HW])
	}
	m := float64(g.N * g.HW)
	mean = s / m
	var ss float64
	for n := range g.N {
		ss += sumSq(x[(n*g.C+c)*g.HW:][:g.HW], mean)
	}
	variance = ss / m
	return mean, 1 / math.Sqrt(variance+bnEps), variance
}

// bnAffine returns the scale and shift that normalise channel c.
func bnAffine[F float](gamma, beta []F, c int, mean, invStd float64) (a, b F) {
	scale := float64(gamma[c]) * invStd
	return F(scale), F(float64(beta[c]) - mean*scale)
}

func bnForward[F float](op *bnReluOp, x, gamma, beta, y []F) {
	g := op.g
	rm, rv := op.mean.Data(), op.variance.Data()
	if op.train && len(op.batchMean) != g.C {
		op.batchMean, op.batchInvStd = make([]float64, g.C), make([]float64, g.C)
	}
	forParts(parts(g.C), func(_ int, lo, hi int) {
		for c := lo; c < hi; c++ {
			var mean, invStd float64
			if op.train {
				var v float64
				mean, invStd, v = bnStats(g, x, c)
				op.batchMean[c], op.batchInvStd[c] = mean, invStd
				m := float64(g.N * g.HW)
				rm[c] = float32((1-bnMomentum)*float64(rm[c]) + bnMomentum*mean)
				rv[c] = float32((1-bnMomentum)*float64(rv[c]) + bnMomentum*v*m/(m-1))
			} else {
				mean, invStd = float64(rm[c]), 1/math.Sqrt(float64(rv[c])+bnEps)
			}
			a, b := bnAffine(gamma, beta, c, mean, invStd)
			for n := range g.N {
				src := x[(n*g.C+c)*g.HW:][:g.HW]
				dst := y[(n*g.C+c)*g.HW:][:len(src)]
				for i, v := range src {
					// F(v*a) rounds the product: no fused multiply-add,
					// so the backward pass's test below sees the same z.
					dst[i] = max(0, F(v*a)+b)
				}
			}
		}
	})
}

func (op *bnReluOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	if !op.train {
		return nil, fmt.Errorf("models: bnRelu: an inference graph has no gradient")
	}
	dxOp := &bnDxOp{opMeta: named("BNReLUDx(%s)%+v", op.mean.Name, op.g), fwd: op}
	dx, err := G.ApplyOp(dxOp, in[0], in[1], in[2], grad)
	if err != nil {
		return nil, err
	}
	dgb, err := G.ApplyOp(&bnDgbOp{opMeta: named("BNReLUDgb(%s)%+v", op.mean.Name, op.g), dx: dxOp}, dx)
	if err != nil {
		return nil, err
	}
	p, err := unpack(dgb, tensor.Shape{op.g.C}, tensor.Shape{op.g.C})
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, p[0], p[1]}, nil
}

// bnDxOp is the gradient wrt x: inputs x, γ, β, dy. With dz = dy where the
// output is positive, x̂ = (x − μ)/σ and M values per channel,
//
//	dx = γ/σ · (dz − Σdz/M − x̂·Σ(dz·x̂)/M),  dγ = Σ dz·x̂,  dβ = Σ dz.
//
// It reads the batch statistics its forward op recorded (the backward
// pass always follows the forward pass of the same run) and records dγ
// and dβ for bnDgbOp, which takes dx as its input so that it runs after.
type bnDxOp struct {
	opMeta
	fwd      *bnReluOp
	dg, dbet []float64
	out      outBuf
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
	if len(op.fwd.batchMean) != op.fwd.g.C {
		return nil, fmt.Errorf("models: bnRelu dx: no forward pass recorded")
	}
	if len(op.dg) != op.fwd.g.C {
		op.dg, op.dbet = make([]float64, op.fwd.g.C), make([]float64, op.fwd.g.C)
	}
	switch xs := x.Data().(type) {
	case []float32:
		bnBackwardX(op, xs, data32(in[1]), data32(in[2]), data32(in[3]), dx.Data().([]float32))
	case []float64:
		bnBackwardX(op, xs, data64(in[1]), data64(in[2]), data64(in[3]), dx.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: bnRelu dx: unsupported dtype %v", x.Dtype())
	}
	return dx, nil
}

func bnBackwardX[F float](op *bnDxOp, x, gamma, beta, dy, dx []F) {
	g := op.fwd.g
	forParts(parts(g.C), func(_ int, lo, hi int) {
		for c := lo; c < hi; c++ {
			mean, invStd := op.fwd.batchMean[c], op.fwd.batchInvStd[c]
			a, b := bnAffine(gamma, beta, c, mean, invStd)
			// First pass: dz into dx, and Σdz, Σdz·x.
			var sdz, sdzv float64
			for n := range g.N {
				src := x[(n*g.C+c)*g.HW:][:g.HW]
				d := dy[(n*g.C+c)*g.HW:][:len(src)]
				o := dx[(n*g.C+c)*g.HW:][:len(src)]
				s0, s1 := bnMaskSums(src, d, o, a, b)
				sdz += s0
				sdzv += s1
			}
			sdzx := (sdzv - mean*sdz) * invStd // Σ dz·x̂
			op.dg[c], op.dbet[c] = sdzx, sdz
			// dx = k·dz − k·Σdz/M − k·x̂·Σ(dz·x̂)/M with k = γ/σ, written
			// as k·dz + u·x + w.
			m := float64(g.N * g.HW)
			k := float64(gamma[c]) * invStd
			u := -k * sdzx / m * invStd
			w := -k*sdz/m - u*mean
			kf, uf, wf := F(k), F(u), F(w)
			for n := range g.N {
				src := x[(n*g.C+c)*g.HW:][:g.HW]
				o := dx[(n*g.C+c)*g.HW:][:len(src)]
				for i, v := range src {
					o[i] = kf*o[i] + uf*v + wf
				}
			}
		}
	})
}

// bnMaskSums sets o to dz, d where the output max(0, x·a + b) is positive
// and 0 elsewhere, and returns Σdz and Σdz·x in float64, each in two
// interleaved chains (a fixed order for a given length).
func bnMaskSums[F float](x, d, o []F, a, b F) (sdz, sdzx float64) {
	if x32, ok := any(x).([]float32); ok {
		return bnMaskSums32(x32, any(d).([]float32), any(o).([]float32), float32(any(a).(F)), float32(any(b).(F)))
	}
	for i, v := range x {
		dz := d[i]
		if F(v*a)+b <= 0 {
			dz = 0
		}
		o[i] = dz
		sdz += float64(dz)
		sdzx += float64(dz) * float64(v)
	}
	return sdz, sdzx
}

// bnMaskSums32 is bnMaskSums for float32 with the mask applied without
// branches (whether an output is positive is as good as random, and
// mispredicted branches cost more than the arithmetic): bnMaskSums's
// sums, two elements side by side.
func bnMaskSums32(x, d, o []float32, a, b float32) (sdz, sdzx float64) {
	d, o = d[:len(x)], o[:len(x)]
	keep := func(v, g float32) float32 {
		// z > 0 exactly when its bits, read as an int32, are positive
		// (+0 is 0 and −0 the most negative): a mask of all ones when
		// they are, made with shifts, since the compiler branches on a
		// float comparison.
		z := int32(math.Float32bits(float32(v*a) + b))
		m := uint32(^(z >> 31) & ((z | -z) >> 31))
		return math.Float32frombits(math.Float32bits(g) & m)
	}
	var s0, s1, t0, t1 float64
	i := 0
	for ; i+2 <= len(x); i += 2 {
		v0, v1 := x[i], x[i+1]
		z0, z1 := keep(v0, d[i]), keep(v1, d[i+1])
		o[i], o[i+1] = z0, z1
		s0 += float64(z0)
		s1 += float64(z1)
		t0 += float64(z0) * float64(v0)
		t1 += float64(z1) * float64(v1)
	}
	for ; i < len(x); i++ {
		z := keep(x[i], d[i])
		o[i] = z
		s0 += float64(z)
		t0 += float64(z) * float64(x[i])
	}
	return s0 + s1, t0 + t1
}

// bnDgbOp returns dγ and dβ, packed, as its bnDxOp computed them; its
// input is that op's output, which orders it after.
type bnDgbOp struct {
	opMeta
	dx *bnDxOp
}

func (op *bnDgbOp) Arity() int    { return 1 }
func (op *bnDgbOp) Type() hm.Type { return hm.NewFnType(tensorT(4), tensorT(1)) }
func (op *bnDgbOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{2 * op.dx.fwd.g.C}, nil
}
func (op *bnDgbOp) DiffWRT(int) []bool { return []bool{false} }
func (op *bnDgbOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("models: bnRelu dγ has no gradient")
}
func (op *bnDgbOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	C := op.dx.fwd.g.C
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(2*C))
	switch o := out.Data().(type) {
	case []float32:
		for c := range C {
			o[c], o[C+c] = float32(op.dx.dg[c]), float32(op.dx.dbet[c])
		}
	case []float64:
		copy(o, op.dx.dg)
		copy(o[C:], op.dx.dbet)
	default:
		return nil, fmt.Errorf("models: bnRelu dγ: unsupported dtype %v", x.Dtype())
	}
	return out, nil
}

package models

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// attend is soft additive attention (Bahdanau; Show, Attend and Tell) as
// one fused op. For features f (N×L×D), their projection pf = f·W_f + b_f
// (N×L×A), the projected decoder state hp = h·W_h + b_h (N×A) and the
// scoring vector v (A):
//
//	e_l = v·tanh(pf_l + hp),  α = softmax(e),  ctx = Σ_l α_l f_l.
//
// It returns ctx (N×D) then α (N×L), packed in one vector of N·(D+L):
// unpack them.
func attend(f, pf, hp, v *G.Node) (*G.Node, error) {
	fs, ps, hs := f.Shape(), pf.Shape(), hp.Shape()
	if fs.Dims() != 3 || ps.Dims() != 3 || hs.Dims() != 2 || v.Shape().Dims() != 1 ||
		ps[0] != fs[0] || ps[1] != fs[1] || hs[0] != fs[0] || hs[1] != ps[2] || v.Shape()[0] != ps[2] {
		return nil, fmt.Errorf("models: attend wants f N×L×D, pf N×L×A, hp N×A, v A; got %v %v %v %v", fs, ps, hs, v.Shape())
	}
	g := attGeom{N: fs[0], L: fs[1], D: fs[2], A: ps[2]}
	return G.ApplyOp(attendOp{named("Attend%+v", g), g}, f, pf, hp, v)
}

type attGeom struct{ N, L, D, A int }

type attendOp struct {
	opMeta
	g attGeom
}

func (attendOp) Arity() int { return 4 }
func (attendOp) Type() hm.Type {
	return hm.NewFnType(tensorT(3), tensorT(3), tensorT(2), tensorT(1), tensorT(1))
}
func (op attendOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.N * (op.g.D + op.g.L)}, nil
}
func (attendOp) DiffWRT(int) []bool { return []bool{true, true, true, true} }

func (op attendOp) Do(in ...G.Value) (G.Value, error) {
	f := in[0].(*tensor.Dense)
	out := tensor.New(tensor.Of(f.Dtype()), tensor.WithShape(op.g.N*(op.g.D+op.g.L)))
	switch fs := f.Data().(type) {
	case []float32:
		attendForward(op.g, fs, data32(in[1]), data32(in[2]), data32(in[3]), out.Data().([]float32))
	case []float64:
		attendForward(op.g, fs, data64(in[1]), data64(in[2]), data64(in[3]), out.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: attend: unsupported dtype %v", f.Dtype())
	}
	return out, nil
}

// scores fills e (L) for example n and, if t is non-nil, the tanh values
// (L×A) the backward pass needs. In float32 the tanh is tanh32, accurate
// to float32 precision; in float64 (the gradient checks) it is math.Tanh.
func scores[F float](g attGeom, n int, pf, hp, v []F, e []float64, t []float64) {
	h := hp[n*g.A : (n+1)*g.A]
	_, fast := any(v).([]float32)
	for l := range g.L {
		row := pf[(n*g.L+l)*g.A : (n*g.L+l+1)*g.A]
		var s float64
		for a := range g.A {
			var th float64
			if fast {
				th = tanh32(float64(row[a] + h[a]))
			} else {
				th = math.Tanh(float64(row[a] + h[a]))
			}
			if t != nil {
				t[l*g.A+a] = th
			}
			s += float64(v[a]) * th
		}
		e[l] = s
	}
	m := math.Inf(-1)
	for _, x := range e {
		m = max(m, x)
	}
	var z float64
	for l, x := range e {
		e[l] = math.Exp(x - m)
		z += e[l]
	}
	for l := range e {
		e[l] /= z
	}
}

func attendForward[F float](g attGeom, f, pf, hp, v, out []F) {
	forParts(parts(g.N), func(_, lo, hi int) {
		alpha := make([]float64, g.L)
		for n := lo; n < hi; n++ {
			scores(g, n, pf, hp, v, alpha, nil)
			ctx := out[n*g.D : (n+1)*g.D]
			clear(ctx)
			for l, a := range alpha {
				fl := f[(n*g.L+l)*g.D : (n*g.L+l+1)*g.D]
				for d := range ctx {
					ctx[d] += F(a) * fl[d]
				}
				out[g.N*g.D+n*g.L+l] = F(a)
			}
		}
	})
}

// SymDiff computes all four gradients in one op, packed into one vector,
// and slices them apart.
func (op attendOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	packed, err := G.ApplyOp(attendGradOp{named("AttendGrad%+v", op.g), op.g}, in[0], in[1], in[2], in[3], grad)
	if err != nil {
		return nil, err
	}
	g := op.g
	return unpack(packed, tensor.Shape{g.N, g.L, g.D}, tensor.Shape{g.N, g.L, g.A}, tensor.Shape{g.N, g.A}, tensor.Shape{g.A})
}

// attendGradOp: inputs f, pf, hp, v, dout; output [df | dpf | dhp | dv].
type attendGradOp struct {
	opMeta
	g attGeom
}

func (attendGradOp) Arity() int { return 5 }
func (attendGradOp) Type() hm.Type {
	return hm.NewFnType(tensorT(3), tensorT(3), tensorT(2), tensorT(1), tensorT(1), tensorT(1))
}
func (op attendGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	g := op.g
	return tensor.Shape{g.N*g.L*g.D + g.N*g.L*g.A + g.N*g.A + g.A}, nil
}
func (op attendGradOp) Do(in ...G.Value) (G.Value, error) {
	f := in[0].(*tensor.Dense)
	s, _ := op.InferShape()
	out := tensor.New(tensor.Of(f.Dtype()), tensor.WithShape(s...))
	switch fs := f.Data().(type) {
	case []float32:
		attendBackward(op.g, fs, data32(in[1]), data32(in[2]), data32(in[3]), data32(in[4]), out.Data().([]float32))
	case []float64:
		attendBackward(op.g, fs, data64(in[1]), data64(in[2]), data64(in[3]), data64(in[4]), out.Data().([]float64))
	}
	return out, nil
}

func attendBackward[F float](g attGeom, f, pf, hp, v, dout, packed []F) {
	df := packed[:g.N*g.L*g.D]
	dpf := packed[len(df) : len(df)+g.N*g.L*g.A]
	dhp := packed[len(df)+len(dpf) : len(df)+len(dpf)+g.N*g.A]
	dv := packed[len(df)+len(dpf)+len(dhp):]
	ps := parts(g.N)
	dvParts := make([][]float64, len(ps)) // summed in part order: deterministic
	forParts(ps, func(p, lo, hi int) {
		alpha := make([]float64, g.L)
		t := make([]float64, g.L*g.A)
		dalpha := make([]float64, g.L)
		dvp := make([]float64, g.A)
		for n := lo; n < hi; n++ {
			scores(g, n, pf, hp, v, alpha, t)
			dctx := dout[n*g.D : (n+1)*g.D]
			var dot float64
			for l := range g.L {
				fl := f[(n*g.L+l)*g.D : (n*g.L+l+1)*g.D]
				dfl := df[(n*g.L+l)*g.D : (n*g.L+l+1)*g.D]
				s := float64(dout[g.N*g.D+n*g.L+l])
				for d := range fl {
					s += float64(dctx[d]) * float64(fl[d])
					dfl[d] = F(alpha[l]) * dctx[d]
				}
				dalpha[l] = s
				dot += alpha[l] * s
			}
			dh := dhp[n*g.A : (n+1)*g.A]
			clear(dh)
			for l := range g.L {
				de := alpha[l] * (dalpha[l] - dot)
				dpl := dpf[(n*g.L+l)*g.A : (n*g.L+l+1)*g.A]
				for a := range g.A {
					th := t[l*g.A+a]
					dvp[a] += de * th
					x := de * float64(v[a]) * (1 - th*th)
					dpl[a] = F(x)
					dh[a] += F(x)
				}
			}
		}
		dvParts[p] = dvp
	})
	clear(dv)
	for _, dvp := range dvParts {
		for a, x := range dvp {
			dv[a] += F(x)
		}
	}
}

// tanh32 is tanh to float32 precision (absolute error below 2.7e-7, the
// largest at saturation, where float32's spacing below 1 is 6e-8): the
// rational approximation of Eigen's fast float tanh, a 13th-degree odd
// polynomial over a 6th-degree even one on x clamped to ±7.9053, evaluated
// in float64. It takes about a third of math.Tanh's time, which dominated
// the attention's cost (N·L·A of them per step). Its derivative is taken
// as 1 − tanh², as for the exact function: the difference is of the same
// order as the error.
func tanh32(x float64) float64 {
	const clamp = 7.90531110763549805
	if x > clamp {
		x = clamp
	} else if x < -clamp {
		x = -clamp
	}
	x2 := x * x
	if x2 < 1.6e-7 { // |x| < 4e-4: tanh x = x to within x³/3 < 2.2e-11
		return x
	}
	p := -2.76076847742355e-16
	p = p*x2 + 2.00018790482477e-13
	p = p*x2 - 8.60467152213735e-11
	p = p*x2 + 5.12229709037114e-08
	p = p*x2 + 1.48572235717979e-05
	p = p*x2 + 6.37261928875436e-04
	p = p*x2 + 4.89352455891786e-03
	q := 1.19825839466702e-06
	q = q*x2 + 1.18534705686654e-04
	q = q*x2 + 2.26843463243900e-03
	q = q*x2 + 4.89352518554385e-03
	return x * p / q
}

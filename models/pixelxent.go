package models

import (
	"fmt"
	"math"
	"slices"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// pixelXent returns the per-pixel softmax cross-entropy of logits
// (N×K×H×W, a score per class per pixel) against targets (N×H×W, each
// pixel's class id as a number in [0, K)), averaged over the N·H·W
// pixels: PyTorch's F.cross_entropy on N×K×H×W logits. The softmax is
// shifted by each pixel's largest logit, so large logits do not overflow.
// A target outside [0, K) is an error when the graph runs.
//
// weights, if not nil, holds one weight per class (K of them, each ≥ 0
// and finite): each pixel's loss is scaled by its target class's weight
// and the sum divided by the sum of those weights, as PyTorch's
// F.cross_entropy(weight=…) with its mean reduction. A batch whose pixels
// all have weight 0 has loss 0 and no gradient. nil weighs every class 1,
// bit for bit the unweighted loss.
func pixelXent(logits, targets *G.Node, weights []float64) (*G.Node, error) {
	l, t := logits.Shape(), targets.Shape()
	if l.Dims() != 4 || t.Dims() != 3 || l[0] != t[0] || l[2] != t[1] || l[3] != t[2] {
		return nil, fmt.Errorf("models: pixelXent wants logits N×K×H×W and targets N×H×W, got %v and %v", l, t)
	}
	g := pixGeom{N: l[0], K: l[1], HW: l[2] * l[3]}
	if weights != nil {
		if err := checkClassWeights(weights, g.K); err != nil {
			return nil, err
		}
		weights = slices.Clone(weights)
	}
	return G.ApplyOp(&pixelXentOp{opMeta: named("PixelXent%+v%v", g, weights), g: g, w: weights}, logits, targets)
}

// checkClassWeights returns an error unless w holds k finite weights ≥ 0,
// not all 0.
func checkClassWeights(w []float64, k int) error {
	if len(w) != k {
		return fmt.Errorf("models: %d class weights for %d classes; want one per class", len(w), k)
	}
	sum := 0.0
	for c, v := range w {
		if !(v >= 0) || math.IsInf(v, 1) {
			return fmt.Errorf("models: class %d has weight %v; want a finite weight ≥ 0", c, v)
		}
		sum += v
	}
	if sum == 0 {
		return fmt.Errorf("models: every class weight is 0; want at least one above 0")
	}
	return nil
}

// pixGeom is N images of K class planes of HW pixels.
type pixGeom struct{ N, K, HW int }

// pixelXentOp computes the loss and, in the same pass, each pixel's
// softmax, which its gradient op reads: the backward pass always follows
// the forward pass of the same run, and the exponentials are the op's
// main cost.
type pixelXentOp struct {
	opMeta
	g pixGeom
	// w is the class weights, nil for none.
	w []float64
	// norm is the last forward pass's divisor: the sum of the pixels'
	// weights (N·HW without weights).
	norm float64
	// prob holds the last forward pass's softmax, N×K×HW, as []float32
	// or []float64.
	prob any
}

func (op *pixelXentOp) Arity() int { return 2 }
func (op *pixelXentOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(&G.TensorType{Dims: 4, Of: a}, &G.TensorType{Dims: 3, Of: a}, a)
}
func (op *pixelXentOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.ScalarShape(), nil
}
func (op *pixelXentOp) DiffWRT(int) []bool { return []bool{true, false} }

func (op *pixelXentOp) Do(in ...G.Value) (G.Value, error) {
	switch ls := in[0].(*tensor.Dense).Data().(type) {
	case []float32:
		p, _ := op.prob.([]float32)
		if len(p) != len(ls) {
			p = make([]float32, len(ls))
			op.prob = p
		}
		v, norm, err := pixelXentForward(op.g, ls, data32(in[1]), op.w, p)
		op.norm = norm
		return G.NewF32(float32(v)), err
	case []float64:
		p, _ := op.prob.([]float64)
		if len(p) != len(ls) {
			p = make([]float64, len(ls))
			op.prob = p
		}
		v, norm, err := pixelXentForward(op.g, ls, data64(in[1]), op.w, p)
		op.norm = norm
		return G.NewF64(v), err
	default:
		return nil, fmt.Errorf("models: pixelXent: unsupported dtype %v", in[0].Dtype())
	}
}

// pixelXentForward returns the mean loss, weighted by w (nil: every
// class 1), and the divisor it used (the sum of the pixels' weights), and
// writes each pixel's softmax into prob. In float32 the exponentials come from expNonPos, whose error
// is far below float32's; float64 (the gradient checks) uses math.Exp. Each part of the batch sums its images' losses in float64 in
// pixel order; the parts are added in part order, so the result does not
// depend on the core count.
func pixelXentForward[F float](g pixGeom, l, t []F, w []float64, prob []F) (loss, norm float64, err error) {
	ps := parts(g.N)
	sums, wsums := make([]float64, len(ps)), make([]float64, len(ps))
	errs := make([]error, len(ps))
	var z F
	_, fast := any(z).(float32)
	forParts(ps, func(p int, lo, hi int) {
		buf, done := buffer[float64](2 * g.HW)
		defer done()
		mx, se := (*buf)[:g.HW], (*buf)[g.HW:]
		for n := lo; n < hi; n++ {
			img := l[n*g.K*g.HW:][:g.K*g.HW]
			pr := prob[n*g.K*g.HW:][:g.K*g.HW]
			tgt := t[n*g.HW:][:g.HW]
			// Per pixel: the largest logit, then Σ exp(l − max), walking
			// one class plane at a time (contiguous) rather than one
			// pixel's K strided logits.
			for i, v := range img[:g.HW] {
				mx[i] = float64(v)
			}
			for k := 1; k < g.K; k++ {
				for i, v := range img[k*g.HW:][:g.HW] {
					mx[i] = max(mx[i], float64(v))
				}
			}
			clear(se)
			for k := 0; k < g.K; k++ {
				plane := img[k*g.HW:][:g.HW]
				out := pr[k*g.HW:][:g.HW]
				for i, v := range plane {
					var e float64
					if fast {
						e = expNonPos(float64(v) - mx[i])
					} else {
						e = math.Exp(float64(v) - mx[i])
					}
					out[i] = F(e)
					se[i] += e
				}
			}
			for i := range se {
				se[i] = 1 / se[i]
			}
			for k := 0; k < g.K; k++ {
				out := pr[k*g.HW:][:g.HW]
				for i, v := range out {
					out[i] = F(float64(v) * se[i])
				}
			}
			for i, tv := range tgt {
				c := int(tv)
				if float64(c) != float64(tv) || c < 0 || c >= g.K {
					errs[p] = fmt.Errorf("models: pixelXent: image %d pixel %d has target %v; want a class id 0 to %d", n, i, tv, g.K-1)
					return
				}
				// −log softmax = max + log Σ exp(l − max) − l; se holds
				// 1/Σ.
				v := mx[i] - math.Log(se[i]) - float64(img[c*g.HW+i])
				if w != nil {
					v *= w[c]
					wsums[p] += w[c]
				}
				sums[p] += v
			}
		}
	})
	var total float64
	for p := range ps {
		if errs[p] != nil {
			return 0, 0, errs[p]
		}
		total += sums[p]
		norm += wsums[p]
	}
	if w == nil {
		norm = float64(g.N * g.HW)
	}
	if norm == 0 { // every pixel weighs 0: nothing to learn from
		return 0, 0, nil
	}
	return total / norm, norm, nil
}

func (op *pixelXentOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dl, err := G.ApplyOp(&pixelXentGradOp{opMeta: named("PixelXentGrad%+v", op.g), fwd: op}, in[0], in[1], grad)
	return G.Nodes{dl, nil}, err
}

// pixelXentGradOp is d loss / d logits = w[target]·(softmax −
// onehot(target))·g/norm, norm the forward pass's sum of weights (N·HW
// without weights):
// inputs logits (for the shape, and so that it runs after the forward
// op), targets and the loss's gradient g.
type pixelXentGradOp struct {
	opMeta
	fwd *pixelXentOp
	out outBuf
}

func (op *pixelXentGradOp) Arity() int { return 3 }
func (op *pixelXentGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t := &G.TensorType{Dims: 4, Of: a}
	return hm.NewFnType(t, &G.TensorType{Dims: 3, Of: a}, a, t)
}
func (op *pixelXentGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: pixelXent grad: shape unknown")
	}
	return s.Clone(), nil
}
func (op *pixelXentGradOp) DiffWRT(int) []bool { return []bool{false, false, false} }
func (op *pixelXentGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("models: pixelXent grad has no gradient")
}
func (op *pixelXentGradOp) Do(in ...G.Value) (G.Value, error) {
	l := in[0].(*tensor.Dense)
	gv, err := scalarOf(in[2])
	if err != nil {
		return nil, err
	}
	d := op.out.get(l.Dtype(), l.Shape()...)
	switch ds := d.Data().(type) {
	case []float32:
		p, ok := op.fwd.prob.([]float32)
		if !ok || len(p) != len(ds) {
			return nil, fmt.Errorf("models: pixelXent grad: no forward pass recorded")
		}
		pixelXentBackward(op.fwd.g, p, data32(in[1]), op.fwd.w, ds, gv, op.fwd.norm)
	case []float64:
		p, ok := op.fwd.prob.([]float64)
		if !ok || len(p) != len(ds) {
			return nil, fmt.Errorf("models: pixelXent grad: no forward pass recorded")
		}
		pixelXentBackward(op.fwd.g, p, data64(in[1]), op.fwd.w, ds, gv, op.fwd.norm)
	default:
		return nil, fmt.Errorf("models: pixelXent grad: unsupported dtype %v", l.Dtype())
	}
	return d, nil
}

// pixelXentBackward writes w[t]·(prob − onehot(t))·g/norm into d (w nil:
// every class 1). norm 0 (no pixel weighs anything) gives zeros. The
// targets were checked by the forward pass.
func pixelXentBackward[F float](g pixGeom, prob, t []F, w []float64, d []F, gv, norm float64) {
	if norm == 0 {
		clear(d)
		return
	}
	s64 := gv / norm
	scale := F(s64)
	forParts(parts(g.N), func(_ int, lo, hi int) {
		var sc []F // each pixel's scale: its weight · g/norm
		if w != nil {
			buf, done := buffer[F](g.HW)
			defer done()
			sc = *buf
		}
		for n := lo; n < hi; n++ {
			pr := prob[n*g.K*g.HW:][:g.K*g.HW]
			out := d[n*g.K*g.HW:][:g.K*g.HW]
			tgt := t[n*g.HW:][:g.HW]
			if w == nil {
				for i, v := range pr {
					out[i] = v * scale
				}
				for i, tv := range tgt {
					j := int(tv)*g.HW + i
					out[j] = (pr[j] - 1) * scale
				}
				continue
			}
			for i, tv := range tgt {
				sc[i] = F(w[int(tv)] * s64)
			}
			for k := 0; k < g.K; k++ {
				plane, o := pr[k*g.HW:][:g.HW], out[k*g.HW:][:g.HW]
				for i, v := range plane {
					o[i] = v * sc[i]
				}
			}
			for i, tv := range tgt {
				j := int(tv)*g.HW + i
				out[j] = (pr[j] - 1) * sc[i]
			}
		}
	})
}

// expNonPos returns e^x for x ≤ 0 to within a relative 1e-8, several times
// faster than math.Exp: x = k·ln 2 + r with |r| ≤ ln 2/2, e^r by its Taylor
// series to r⁷ (remainder below 0.35⁸/8! ≈ 5e-9), scaled by 2^k. Below
// −87 (e^x under float32's smallest normal) it returns 0.
func expNonPos(x float64) float64 {
	const (
		log2e = 1.4426950408889634
		ln2Hi = 6.93147180369123816490e-01 // ln 2 in two parts, as math.Exp
		ln2Lo = 1.90821492927058770002e-10
	)
	if !(x > -87) { // NaN too: a NaN logit makes the loss NaN elsewhere
		return 0
	}
	k := -int(-x*log2e + 0.5) // round(x·log₂e); −x·log₂e + 0.5 > 0 truncates as floor
	fk := float64(k)
	r := (x - fk*ln2Hi) - fk*ln2Lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	return p * math.Float64frombits(uint64(1023+k)<<52)
}

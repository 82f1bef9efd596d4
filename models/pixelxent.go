package models

import (
	"fmt"
	"math"

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
func pixelXent(logits, targets *G.Node) (*G.Node, error) {
	l, t := logits.Shape(), targets.Shape()
	if l.Dims() != 4 || t.Dims() != 3 || l[0] != t[0] || l[2] != t[1] || l[3] != t[2] {
		return nil, fmt.Errorf("models: pixelXent wants logits N×K×H×W and targets N×H×W, got %v and %v", l, t)
	}
	g := pixGeom{N: l[0], K: l[1], HW: l[2] * l[3]}
	return G.ApplyOp(&pixelXentOp{opMeta: named("PixelXent%+v", g), g: g}, logits, targets)
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
		v, err := pixelXentForward(op.g, ls, data32(in[1]), p)
		return G.NewF32(float32(v)), err
	case []float64:
		p, _ := op.prob.([]float64)
		if len(p) != len(ls) {
			p = make([]float64, len(ls))
			op.prob = p
		}
		v, err := pixelXentForward(op.g, ls, data64(in[1]), p)
		return G.NewF64(v), err
	default:
		return nil, fmt.Errorf("models: pixelXent: unsupported dtype %v", in[0].Dtype())
	}
}

// pixelXentForward returns the mean loss and writes each pixel's softmax
// into prob. Each part of the batch sums its images' losses in float64 in
// pixel order; the parts are added in part order, so the result does not
// depend on the core count.
func pixelXentForward[F float](g pixGeom, l, t, prob []F) (float64, error) {
	ps := parts(g.N)
	sums := make([]float64, len(ps))
	errs := make([]error, len(ps))
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
					e := math.Exp(float64(v) - mx[i])
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
				sums[p] += mx[i] - math.Log(se[i]) - float64(img[c*g.HW+i])
			}
		}
	})
	var total float64
	for p := range ps {
		if errs[p] != nil {
			return 0, errs[p]
		}
		total += sums[p]
	}
	return total / float64(g.N*g.HW), nil
}

func (op *pixelXentOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dl, err := G.ApplyOp(&pixelXentGradOp{opMeta: named("PixelXentGrad%+v", op.g), fwd: op}, in[0], in[1], grad)
	return G.Nodes{dl, nil}, err
}

// pixelXentGradOp is d loss / d logits = (softmax − onehot(target))·g/(N·HW):
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
		pixelXentBackward(op.fwd.g, p, data32(in[1]), ds, gv)
	case []float64:
		p, ok := op.fwd.prob.([]float64)
		if !ok || len(p) != len(ds) {
			return nil, fmt.Errorf("models: pixelXent grad: no forward pass recorded")
		}
		pixelXentBackward(op.fwd.g, p, data64(in[1]), ds, gv)
	default:
		return nil, fmt.Errorf("models: pixelXent grad: unsupported dtype %v", l.Dtype())
	}
	return d, nil
}

// pixelXentBackward writes (prob − onehot(t))·g/(N·HW) into d. The
// targets were checked by the forward pass.
func pixelXentBackward[F float](g pixGeom, prob, t, d []F, gv float64) {
	scale := F(gv / float64(g.N*g.HW))
	forParts(parts(g.N), func(_ int, lo, hi int) {
		for n := lo; n < hi; n++ {
			pr := prob[n*g.K*g.HW:][:g.K*g.HW]
			out := d[n*g.K*g.HW:][:g.K*g.HW]
			for i, v := range pr {
				out[i] = v * scale
			}
			for i, tv := range t[n*g.HW:][:g.HW] {
				j := int(tv)*g.HW + i
				out[j] = (pr[j] - 1) * scale
			}
		}
	})
}

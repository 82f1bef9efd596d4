package models

import (
	"fmt"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// deconv2d is a transposed convolution, the decoder's upsampling layer: the
// adjoint of a convolution from outH×outW down to x's size. x is
// N×InC×H×W, w is InC × OutC·K·K (a convolution's weights seen from the
// other side), b is OutC; the output is N×OutC×outH×outW. With kernel 4,
// padding 1 and stride 2 it doubles height and width.
func deconv2d(x, w, b *G.Node, k, pad, stride, outH, outW int) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || w.Shape().Dims() != 2 || b.Shape().Dims() != 1 {
		return nil, fmt.Errorf("models: deconv2d wants x N×C×H×W, w 2-D, b 1-D; got %v %v %v", s, w.Shape(), b.Shape())
	}
	outC := b.Shape()[0]
	g := convGeom{InC: outC, H: outH, W: outW, OutC: s[1], K: k, Pad: pad, Stride: stride}
	if g.outH() != s[2] || g.outW() != s[3] {
		return nil, fmt.Errorf("models: deconv2d: a %d×%d output does not convolve back to the %d×%d input (kernel %d, pad %d, stride %d)", outH, outW, s[2], s[3], k, pad, stride)
	}
	if w.Shape()[0] != s[1] || w.Shape()[1] != g.ckk() {
		return nil, fmt.Errorf("models: deconv2d weights %v, want %d×%d", w.Shape(), s[1], g.ckk())
	}
	return G.ApplyOp(&deconvOp{named("Deconv%+v", g), g}, x, w, b)
}

// deconvOp: y = convᵀ(x; w) + b, where conv has geometry g (g.OutC = the
// input's channels, g.InC = the output's).
type deconvOp struct {
	opMeta
	g convGeom
}

func (op *deconvOp) Arity() int { return 3 }
func (op *deconvOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(2), tensorT(1), tensorT(4))
}
func (op *deconvOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: deconv2d: shape unknown")
	}
	return tensor.Shape{s[0], op.g.InC, op.g.H, op.g.W}, nil
}
func (op *deconvOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(x.Shape()[0], op.g.InC, op.g.H, op.g.W))
	return op.UsePreallocDo(out, in...)
}
func (op *deconvOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	x, w, b, y := in[0].(*tensor.Dense), in[1].(*tensor.Dense), in[2].(*tensor.Dense), prealloc.(*tensor.Dense)
	n := x.Shape()[0]
	switch xs := x.Data().(type) {
	case []float32:
		deconvForward(op.g, n, xs, w.Data().([]float32), b.Data().([]float32), y.Data().([]float32))
	case []float64:
		deconvForward(op.g, n, xs, w.Data().([]float64), b.Data().([]float64), y.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: deconv2d: unsupported dtype %v", x.Dtype())
	}
	return y, nil
}

func deconvForward[F float](g convGeom, n int, x, w, b, y []F) {
	convBackwardX(g, n, w, x, y)
	plane := g.H * g.W
	for i := 0; i < n*g.InC; i++ {
		bo := b[i%g.InC]
		for j := range y[i*plane : (i+1)*plane] {
			y[i*plane+j] += bo
		}
	}
}

func (op *deconvOp) DiffWRT(int) []bool { return []bool{true, true, true} }

// SymDiff: the input's gradient is the convolution of dy; the weights'
// is conv's weight gradient with the roles of input and output swapped.
func (op *deconvOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&convNoBiasOp{named("ConvNoBias%+v", op.g), op.g}, grad, in[1])
	if err != nil {
		return nil, err
	}
	dwb, err := G.ApplyOp(&convDwOp{named("ConvDw%+v", op.g), op.g}, grad, in[0])
	if err != nil {
		return nil, err
	}
	dw, _, err := splitDW(dwb, op.g)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(planeSumOp{named("PlaneSum")}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// convNoBiasOp is conv(x; w) with no bias: inputs x, w.
type convNoBiasOp struct {
	opMeta
	g convGeom
}

func (op *convNoBiasOp) Arity() int    { return 2 }
func (op *convNoBiasOp) Type() hm.Type { return hm.NewFnType(tensorT(4), tensorT(2), tensorT(4)) }
func (op *convNoBiasOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: conv: shape unknown")
	}
	return tensor.Shape{s[0], op.g.OutC, op.g.outH(), op.g.outW()}, nil
}
func (op *convNoBiasOp) Do(in ...G.Value) (G.Value, error) {
	x, w := in[0].(*tensor.Dense), in[1].(*tensor.Dense)
	n := x.Shape()[0]
	y := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(n, op.g.OutC, op.g.outH(), op.g.outW()))
	switch xs := x.Data().(type) {
	case []float32:
		convForward(op.g, n, xs, w.Data().([]float32), make([]float32, op.g.OutC), y.Data().([]float32))
	case []float64:
		convForward(op.g, n, xs, w.Data().([]float64), make([]float64, op.g.OutC), y.Data().([]float64))
	}
	return y, nil
}

// planeSumOp sums N×C×H×W over all but the channel axis, giving C.
type planeSumOp struct{ opMeta }

func (planeSumOp) Arity() int    { return 1 }
func (planeSumOp) Type() hm.Type { return hm.NewFnType(tensorT(4), tensorT(1)) }
func (planeSumOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: plane sum: shape unknown")
	}
	return tensor.Shape{s[1]}, nil
}
func (planeSumOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	s := x.Shape()
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(s[1]))
	switch xs := x.Data().(type) {
	case []float32:
		planeSum(xs, out.Data().([]float32), s[0], s[1], s[2]*s[3])
	case []float64:
		planeSum(xs, out.Data().([]float64), s[0], s[1], s[2]*s[3])
	}
	return out, nil
}

func planeSum[F float](x, out []F, n, c, plane int) {
	for i := 0; i < n*c; i++ {
		var s F
		for _, v := range x[i*plane : (i+1)*plane] {
			s += v
		}
		out[i%c] += s
	}
}

package models

import (
	"fmt"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// reluPool2 computes max(0, max over each 2×2 window) of x (N×C×H×W, H and
// W even): a ReLU followed by 2×2 max pooling, fused so that the
// activations are walked once instead of four times. The backward op finds
// each window's maximum again from x, so the op keeps no state between the
// two passes.
func reluPool2(x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || s[2]%2 != 0 || s[3]%2 != 0 {
		return nil, fmt.Errorf("models: reluPool2 wants N×C×H×W with even H and W, got %v", s)
	}
	return G.ApplyOp(&reluPoolOp{opMeta: named("ReluPool2")}, x)
}

func reluPoolForward[F float](x, y []F, planes, h, w int) {
	oh, ow := h/2, w/2
	forParts(parts(planes), func(_ int, lo, hi int) {
		for p := lo; p < hi; p++ {
			in, out := x[p*h*w:(p+1)*h*w], y[p*oh*ow:(p+1)*oh*ow]
			for oy := 0; oy < oh; oy++ {
				r0, r1 := in[2*oy*w:(2*oy+1)*w], in[(2*oy+1)*w:(2*oy+2)*w]
				o := out[oy*ow : (oy+1)*ow]
				for ox := range o {
					m := max(r0[2*ox], r0[2*ox+1], r1[2*ox], r1[2*ox+1])
					o[ox] = max(m, 0)
				}
			}
		}
	})
}

// reluPoolBackward sends each window's gradient to the window's maximum
// (the first in row order on ties), when that maximum is positive. Each
// window's four elements of dx are written once (the gradient or zero),
// so dx needs no clearing pass.
func reluPoolBackward[F float](x, dy, dx []F, planes, h, w int) {
	if x32, ok := any(x).([]float32); ok {
		reluPoolBackward32(x32, any(dy).([]float32), any(dx).([]float32), planes, h, w)
		return
	}
	oh, ow := h/2, w/2
	forParts(parts(planes), func(_ int, lo, hi int) {
		for p := lo; p < hi; p++ {
			in, d, g := x[p*h*w:(p+1)*h*w], dx[p*h*w:(p+1)*h*w], dy[p*oh*ow:(p+1)*oh*ow]
			for oy := 0; oy < oh; oy++ {
				r0, r1 := in[2*oy*w:(2*oy+1)*w], in[(2*oy+1)*w:(2*oy+2)*w]
				d0, d1 := d[2*oy*w:(2*oy+1)*w], d[(2*oy+1)*w:(2*oy+2)*w]
				gr := g[oy*ow : (oy+1)*ow]
				r1, d0, d1 = r1[:len(r0)], d0[:len(r0)], d1[:len(r0)]
				for ox, gv := range gr {
					i := 2 * ox
					a, b, c, e := r0[i], r0[i+1], r1[i], r1[i+1]
					m := max(a, b, c, e)
					// The target is chosen without branches (conditional
					// moves): which element is the maximum is as good as
					// random, and mispredicted branches cost more than
					// the rest of the loop. Slot 4 takes the gradient of
					// a window with no positive maximum. A NaN maximum
					// sends it to the last element, as it always has.
					k := 3
					if c == m {
						k = 2
					}
					if b == m {
						k = 1
					}
					if a == m {
						k = 0
					}
					if m <= 0 {
						k = 4
					}
					var v [5]F
					v[k] = gv
					d0[i], d0[i+1], d1[i], d1[i+1] = v[0], v[1], v[2], v[3]
				}
			}
		}
	})
}

// outBuf is an op's output tensor, kept to be returned again by the op's
// next Do when the shape and type match: the tape machine drops every
// value at Reset and calls Do again on the next step, and allocating the
// large activations and gradients afresh each step cost more (the
// runtime zeroing them, page faults, garbage collection) than the kernels
// that fill them. A value these ops return is therefore valid until the
// same node runs again: the models read outputs before the next Run (or
// copy them), and no graph is run from two goroutines at once. The
// kernels write every element of their output, so what the buffer held
// before changes nothing.
type outBuf struct{ t *tensor.Dense }

func (b *outBuf) get(dt tensor.Dtype, shape ...int) *tensor.Dense {
	if t := b.t; t != nil && t.Dtype() == dt && t.Shape().Eq(tensor.Shape(shape)) {
		return t
	}
	b.t = tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	return b.t
}

// reluPoolBackward32 is reluPoolBackward for float32 with the four
// gradients of a window selected by bit masks (conditional moves and
// ands) rather than through memory.
func reluPoolBackward32(x, dy, dx []float32, planes, h, w int) {
	oh, ow := h/2, w/2
	forParts(parts(planes), func(_ int, lo, hi int) {
		for p := lo; p < hi; p++ {
			in, d, g := x[p*h*w:(p+1)*h*w], dx[p*h*w:(p+1)*h*w], dy[p*oh*ow:(p+1)*oh*ow]
			for oy := 0; oy < oh; oy++ {
				r0, r1 := in[2*oy*w:(2*oy+1)*w], in[(2*oy+1)*w:(2*oy+2)*w]
				d0, d1 := d[2*oy*w:(2*oy+1)*w], d[(2*oy+1)*w:(2*oy+2)*w]
				gr := g[oy*ow : (oy+1)*ow]
				r1, d0, d1 = r1[:len(r0)], d0[:len(r0)], d1[:len(r0)]
				for ox, gv := range gr {
					i := 2 * ox
					a, b, c, e := r0[i], r0[i+1], r1[i], r1[i+1]
					m := max(a, b, c, e)
					k := 3
					if c == m {
						k = 2
					}
					if b == m {
						k = 1
					}
					if a == m {
						k = 0
					}
					if m <= 0 {
						k = 4
					}
					gb := math.Float32bits(gv)
					var ma, mb, mc, me uint32
					if k == 0 {
						ma = gb
					}
					if k == 1 {
						mb = gb
					}
					if k == 2 {
						mc = gb
					}
					if k == 3 {
						me = gb
					}
					d0[i], d0[i+1] = math.Float32frombits(ma), math.Float32frombits(mb)
					d1[i], d1[i+1] = math.Float32frombits(mc), math.Float32frombits(me)
				}
			}
		}
	})
}

type reluPoolOp struct {
	opMeta
	out outBuf
}

func (reluPoolOp) Arity() int         { return 1 }
func (reluPoolOp) Type() hm.Type      { return hm.NewFnType(tensorT(4), tensorT(4)) }
func (reluPoolOp) DiffWRT(int) []bool { return []bool{true} }
func (reluPoolOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: reluPool2: shape unknown")
	}
	return tensor.Shape{s[0], s[1], s[2] / 2, s[3] / 2}, nil
}
func (op *reluPoolOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	s := x.Shape()
	return op.UsePreallocDo(op.out.get(x.Dtype(), s[0], s[1], s[2]/2, s[3]/2), in...)
}
func (reluPoolOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	x, y := in[0].(*tensor.Dense), prealloc.(*tensor.Dense)
	s := x.Shape()
	switch xs := x.Data().(type) {
	case []float32:
		reluPoolForward(xs, y.Data().([]float32), s[0]*s[1], s[2], s[3])
	case []float64:
		reluPoolForward(xs, y.Data().([]float64), s[0]*s[1], s[2], s[3])
	default:
		return nil, fmt.Errorf("models: reluPool2: unsupported dtype %v", x.Dtype())
	}
	return y, nil
}
func (reluPoolOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&reluPoolGradOp{opMeta: named("ReluPool2Grad")}, in[0], grad)
	return G.Nodes{dx}, err
}

// reluPoolGradOp routes each window's gradient to its maximum: inputs x, dy.
type reluPoolGradOp struct {
	opMeta
	out outBuf
}

func (reluPoolGradOp) Arity() int    { return 2 }
func (reluPoolGradOp) Type() hm.Type { return hm.NewFnType(tensorT(4), tensorT(4), tensorT(4)) }
func (reluPoolGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: reluPool2 grad: shape unknown")
	}
	return s.Clone(), nil
}
func (op *reluPoolGradOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	return op.UsePreallocDo(op.out.get(x.Dtype(), x.Shape()...), in...)
}
func (reluPoolGradOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	x, dy, dx := in[0].(*tensor.Dense), in[1].(*tensor.Dense), prealloc.(*tensor.Dense)
	s := x.Shape()
	switch xs := x.Data().(type) {
	case []float32:
		reluPoolBackward(xs, dy.Data().([]float32), dx.Data().([]float32), s[0]*s[1], s[2], s[3])
	case []float64:
		reluPoolBackward(xs, dy.Data().([]float64), dx.Data().([]float64), s[0]*s[1], s[2], s[3])
	}
	return dx, nil
}

package models

import (
	"fmt"

	"github.com/chewxy/hm"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convRelu computes max(0, conv(x, w) + b): conv2d with the ReLU applied
// to each image's output while it is still in cache, instead of in a
// second pass over the whole activation. Its backward pass masks dy where
// the output is zero (reluGradOp) and then runs conv2d's own gradient ops.
// needDx is false for a first layer, whose input needs no gradient.
func convRelu(x, w, b *G.Node, k, pad, stride int, needDx bool) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || w.Shape().Dims() != 2 || b.Shape().Dims() != 1 {
		return nil, fmt.Errorf("models: convRelu wants x N×C×H×W, w 2-D, b 1-D; got %v %v %v", s, w.Shape(), b.Shape())
	}
	g := convGeom{InC: s[1], H: s[2], W: s[3], OutC: w.Shape()[0], K: k, Pad: pad, Stride: stride}
	if w.Shape()[1] != g.ckk() || b.Shape()[0] != g.OutC {
		return nil, fmt.Errorf("models: convRelu weights %v, bias %v do not fit %d input channels and a %d×%d kernel", w.Shape(), b.Shape(), g.InC, k, k)
	}
	return G.ApplyOp(&convReluOp{opMeta: named("ConvReLU%+v", g), g: g, needDx: needDx}, x, w, b)
}

// convReluOp is conv2d's op with a ReLU on its output: inputs x, w, b.
type convReluOp struct {
	opMeta
	g      convGeom
	needDx bool
	out    outBuf
}

func (op *convReluOp) Arity() int { return 3 }
func (op *convReluOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(2), tensorT(1), tensorT(4))
}
func (op *convReluOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: convRelu: input shape unknown")
	}
	return tensor.Shape{s[0], op.g.OutC, op.g.outH(), op.g.outW()}, nil
}
func (op *convReluOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	y := op.out.get(x.Dtype(), x.Shape()[0], op.g.OutC, op.g.outH(), op.g.outW())
	n := x.Shape()[0]
	switch xs := x.Data().(type) {
	case []float32:
		convReluForward(op.g, n, xs, data32(in[1]), data32(in[2]), y.Data().([]float32))
	case []float64:
		convReluForward(op.g, n, xs, data64(in[1]), data64(in[2]), y.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: convRelu: unsupported dtype %v", x.Dtype())
	}
	return y, nil
}

// convReluForward is convForward with the ReLU applied to each image's
// output right after its product.
func convReluForward[F float](g convGeom, batch int, x, w, b, y []F) {
	ckk, hw := g.ckk(), g.hw()
	mm := serialGemm(gemm[F]())
	forParts(parts(batch), func(_ int, lo, hi int) {
		buf, done := buffer[F](ckk * hw)
		defer done()
		col := *buf
		for n := lo; n < hi; n++ {
			im2col(g, x[n*g.InC*g.H*g.W:][:g.InC*g.H*g.W], col)
			out := y[n*g.OutC*hw:][:g.OutC*hw]
			for o := 0; o < g.OutC; o++ {
				fill(out[o*hw:(o+1)*hw], b[o])
			}
			mm(blas.NoTrans, blas.NoTrans, g.OutC, hw, ckk, 1, w, ckk, col, hw, 1, out, hw)
			for i, v := range out {
				out[i] = max(v, 0)
			}
		}
	})
}

func (op *convReluOp) DiffWRT(int) []bool { return []bool{op.needDx, true, true} }
func (op *convReluOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dz, err := G.ApplyOp(&reluGradOp{opMeta: named("ReLUGrad%v", out.Shape())}, out, grad)
	if err != nil {
		return nil, err
	}
	var dx *G.Node
	if op.needDx {
		if dx, err = G.ApplyOp(&convDxOp{opMeta: named("ConvDx%+v", op.g), g: op.g}, in[1], dz); err != nil {
			return nil, err
		}
	}
	dwb, err := G.ApplyOp(&convDwOp{named("ConvDw%+v", op.g), op.g}, in[0], dz)
	if err != nil {
		return nil, err
	}
	dw, db, err := splitDW(dwb, op.g)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// reluGradOp passes dy where the ReLU's output y is positive and zero
// elsewhere (PyTorch's convention at 0): inputs y, dy of one shape.
type reluGradOp struct {
	opMeta
	out outBuf
}

func (op *reluGradOp) Arity() int { return 2 }
func (op *reluGradOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(4), tensorT(4))
}
func (op *reluGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: relu grad: shape unknown")
	}
	return s.Clone(), nil
}
func (op *reluGradOp) DiffWRT(int) []bool { return []bool{false, false} }
func (op *reluGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("models: relu grad has no gradient")
}
func (op *reluGradOp) Do(in ...G.Value) (G.Value, error) {
	y := in[0].(*tensor.Dense)
	dz := op.out.get(y.Dtype(), y.Shape()...)
	switch ys := y.Data().(type) {
	case []float32:
		reluMask(ys, data32(in[1]), dz.Data().([]float32))
	case []float64:
		reluMask(ys, data64(in[1]), dz.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: relu grad: unsupported dtype %v", y.Dtype())
	}
	return dz, nil
}

// reluMask sets dz to dy where y > 0 and to 0 elsewhere, in parallel (each
// element is independent, so any split gives the same bits).
func reluMask[F float](y, dy, dz []F) {
	forParts(parts(len(y)), func(_ int, lo, hi int) {
		ys, ds, zs := y[lo:hi], dy[lo:hi], dz[lo:hi]
		ds, zs = ds[:len(ys)], zs[:len(ys)]
		for i, v := range ys {
			d := ds[i]
			if v <= 0 {
				d = 0
			}
			zs[i] = d
		}
	})
}

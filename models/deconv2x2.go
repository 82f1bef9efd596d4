package models

import (
	"fmt"

	"github.com/chewxy/hm"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// deconv2x2 is deconv2d with kernel 2, stride 2 and no padding, the
// U-Net's upsampling (PyTorch's ConvTranspose2d(in, out, 2, stride=2)):
// every input pixel paints its own 2×2 block of the output, so
//
//	y[o, 2i+ky, 2j+kx] = b[o] + Σ_c x[c, i, j]·w[c, (o, ky, kx)]
//
// with no overlap between blocks. x is N×InC×H×W, w is InC × OutC·4
// (PyTorch's in×out×2×2 flattened), b is OutC; y is N×OutC×2H×2W.
// deconv2d computes the same through a general transposed convolution
// (an im2col of the whole output, and a scatter back); here each product
// is one matrix product per image whose output is interleaved into y
// (forward) or taken from y's interleaved planes (backward), each element
// read or written once.
func deconv2x2(x, w, b *G.Node) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || w.Shape().Dims() != 2 || b.Shape().Dims() != 1 {
		return nil, fmt.Errorf("models: deconv2x2 wants x N×C×H×W, w 2-D, b 1-D; got %v %v %v", s, w.Shape(), b.Shape())
	}
	g := upGeom{InC: s[1], OutC: b.Shape()[0], H: s[2], W: s[3]}
	if w.Shape()[0] != g.InC || w.Shape()[1] != 4*g.OutC {
		return nil, fmt.Errorf("models: deconv2x2 weights %v, want %d×%d", w.Shape(), g.InC, 4*g.OutC)
	}
	return G.ApplyOp(&upOp{opMeta: named("Deconv2x2%+v", g), g: g}, x, w, b)
}

// upGeom is a 2×2 stride-2 transposed convolution's sizes: InC channels
// of H×W in, OutC of 2H×2W out.
type upGeom struct{ InC, OutC, H, W int }

// ld is the row stride of the OutC·4 × H·W matrix of 2×2 blocks: a
// multiple of 16 floats by an odd number, so that sgemm reads it in place
// (see bands).
func (g upGeom) ld() int {
	lines := (g.H*g.W + 15) / 16
	if lines%2 == 0 {
		lines++
	}
	return lines * 16
}

// interleave writes y (OutC×2H×2W) from z (OutC·4 × H·W, row stride ld):
// row (o, ky, kx) of z holds y[o, 2i+ky, 2j+kx] at i·W+j; b[o] is added.
func interleave[F float](g upGeom, z []F, ld int, b, y []F) {
	w2 := 2 * g.W
	for o := 0; o < g.OutC; o++ {
		plane := y[o*4*g.H*g.W:][:4*g.H*g.W]
		bo := b[o]
		for ky := 0; ky < 2; ky++ {
			z0, z1 := z[(o*4+ky*2)*ld:][:g.H*g.W], z[(o*4+ky*2+1)*ld:][:g.H*g.W]
			for i := 0; i < g.H; i++ {
				row := plane[(2*i+ky)*w2:][:w2]
				a, c := z0[i*g.W:][:g.W], z1[i*g.W:][:g.W]
				for j, v := range a {
					row[2*j] = v + bo
					row[2*j+1] = c[j] + bo
				}
			}
		}
	}
}

// deinterleave is interleave's adjoint without the bias: it writes into z
// (row stride ld) the 2×2 blocks of dy (OutC×2H×2W).
func deinterleave[F float](g upGeom, dy, z []F, ld int) {
	w2 := 2 * g.W
	for o := 0; o < g.OutC; o++ {
		plane := dy[o*4*g.H*g.W:][:4*g.H*g.W]
		for ky := 0; ky < 2; ky++ {
			z0, z1 := z[(o*4+ky*2)*ld:][:g.H*g.W], z[(o*4+ky*2+1)*ld:][:g.H*g.W]
			for i := 0; i < g.H; i++ {
				row := plane[(2*i+ky)*w2:][:w2]
				a, c := z0[i*g.W:][:g.W], z1[i*g.W:][:g.W]
				for j := range a {
					a[j] = row[2*j]
					c[j] = row[2*j+1]
				}
			}
		}
	}
}

// upForward computes y: per image, z = wᵀ·x, interleaved into y with b.
func upForward[F float](g upGeom, batch int, x, w, b, y []F) {
	hw, ld := g.H*g.W, g.ld()
	mm := serialGemm(gemm[F]())
	forParts(parts(batch), func(_ int, lo, hi int) {
		buf, done := buffer[F](4 * g.OutC * ld)
		defer done()
		z := *buf
		for n := lo; n < hi; n++ {
			mm(blas.Trans, blas.NoTrans, 4*g.OutC, hw, g.InC, 1, w, 4*g.OutC, x[n*g.InC*hw:], hw, 0, z, ld)
			interleave(g, z, ld, b, y[n*4*g.OutC*hw:][:4*g.OutC*hw])
		}
	})
}

// upBackwardX computes dx: per image, w·(dy's 2×2 blocks).
func upBackwardX[F float](g upGeom, batch int, w, dy, dx []F) {
	hw, ld := g.H*g.W, g.ld()
	mm := serialGemm(gemm[F]())
	forParts(parts(batch), func(_ int, lo, hi int) {
		buf, done := buffer[F](4 * g.OutC * ld)
		defer done()
		z := *buf
		for n := lo; n < hi; n++ {
			deinterleave(g, dy[n*4*g.OutC*hw:][:4*g.OutC*hw], z, ld)
			mm(blas.NoTrans, blas.NoTrans, g.InC, hw, 4*g.OutC, 1, w, 4*g.OutC, z, ld, 0, dx[n*g.InC*hw:], hw)
		}
	})
}

// upBackwardW computes dw = Σₙ xₙ·(dyₙ's 2×2 blocks)ᵀ and db, the sums of
// dy's planes. Each part of the batch sums its own images; parts are then
// added in part order, so the result does not depend on scheduling.
func upBackwardW[F float](g upGeom, batch int, x, dy, dw, db []F) {
	hw, ld := g.H*g.W, g.ld()
	mm := serialGemm(gemm[F]())
	ps := parts(batch)
	dws, dbs := make([][]F, len(ps)), make([][]F, len(ps))
	forParts(ps, func(p int, lo, hi int) {
		buf, done := buffer[F](4 * g.OutC * ld)
		defer done()
		z := *buf
		pw, pb := make([]F, g.InC*4*g.OutC), make([]F, g.OutC)
		for n := lo; n < hi; n++ {
			d := dy[n*4*g.OutC*hw:][:4*g.OutC*hw]
			deinterleave(g, d, z, ld)
			mm(blas.NoTrans, blas.Trans, g.InC, 4*g.OutC, hw, 1, x[n*g.InC*hw:], hw, z, ld, 1, pw, 4*g.OutC)
			sumRows(d, pb, g.OutC, 4*hw)
		}
		dws[p], dbs[p] = pw, pb
	})
	sumParts(dw, dws)
	sumParts(db, dbs)
}

// upOp: inputs x, w, b.
type upOp struct {
	opMeta
	g   upGeom
	out outBuf
}

func (op *upOp) Arity() int { return 3 }
func (op *upOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(2), tensorT(1), tensorT(4))
}
func (op *upOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: deconv2x2: shape unknown")
	}
	return tensor.Shape{s[0], op.g.OutC, 2 * op.g.H, 2 * op.g.W}, nil
}
func (op *upOp) DiffWRT(int) []bool { return []bool{true, true, true} }
func (op *upOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	n := x.Shape()[0]
	y := op.out.get(x.Dtype(), n, op.g.OutC, 2*op.g.H, 2*op.g.W)
	switch xs := x.Data().(type) {
	case []float32:
		upForward(op.g, n, xs, data32(in[1]), data32(in[2]), y.Data().([]float32))
	case []float64:
		upForward(op.g, n, xs, data64(in[1]), data64(in[2]), y.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: deconv2x2: unsupported dtype %v", x.Dtype())
	}
	return y, nil
}
func (op *upOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(&upDxOp{opMeta: named("Deconv2x2Dx%+v", op.g), g: op.g}, in[1], grad)
	if err != nil {
		return nil, err
	}
	dwb, err := G.ApplyOp(&upDwOp{opMeta: named("Deconv2x2Dw%+v", op.g), g: op.g}, in[0], grad)
	if err != nil {
		return nil, err
	}
	p, err := unpack(dwb, tensor.Shape{op.g.InC, 4 * op.g.OutC}, tensor.Shape{op.g.OutC})
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, p[0], p[1]}, nil
}

// upDxOp is the gradient wrt the input: inputs w, dy.
type upDxOp struct {
	opMeta
	g   upGeom
	out outBuf
}

func (op *upDxOp) Arity() int    { return 2 }
func (op *upDxOp) Type() hm.Type { return hm.NewFnType(tensorT(2), tensorT(4), tensorT(4)) }
func (op *upDxOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[1].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: deconv2x2 dx: shape unknown")
	}
	return tensor.Shape{s[0], op.g.InC, op.g.H, op.g.W}, nil
}
func (op *upDxOp) DiffWRT(int) []bool { return []bool{false, false} }
func (op *upDxOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("models: deconv2x2 dx has no gradient")
}
func (op *upDxOp) Do(in ...G.Value) (G.Value, error) {
	dy := in[1].(*tensor.Dense)
	n := dy.Shape()[0]
	dx := op.out.get(dy.Dtype(), n, op.g.InC, op.g.H, op.g.W)
	switch ds := dy.Data().(type) {
	case []float32:
		upBackwardX(op.g, n, data32(in[0]), ds, dx.Data().([]float32))
	case []float64:
		upBackwardX(op.g, n, data64(in[0]), ds, dx.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: deconv2x2 dx: unsupported dtype %v", dy.Dtype())
	}
	return dx, nil
}

// upDwOp computes the gradients wrt weights and bias, packed (dw, then
// db): inputs x, dy.
type upDwOp struct {
	opMeta
	g upGeom
}

func (op *upDwOp) Arity() int    { return 2 }
func (op *upDwOp) Type() hm.Type { return hm.NewFnType(tensorT(4), tensorT(4), tensorT(1)) }
func (op *upDwOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.InC*4*op.g.OutC + op.g.OutC}, nil
}
func (op *upDwOp) DiffWRT(int) []bool { return []bool{false, false} }
func (op *upDwOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("models: deconv2x2 dw has no gradient")
}
func (op *upDwOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	n, nw := x.Shape()[0], op.g.InC*4*op.g.OutC
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(nw+op.g.OutC))
	switch xs := x.Data().(type) {
	case []float32:
		o := out.Data().([]float32)
		upBackwardW(op.g, n, xs, data32(in[1]), o[:nw], o[nw:])
	case []float64:
		o := out.Data().([]float64)
		upBackwardW(op.g, n, xs, data64(in[1]), o[:nw], o[nw:])
	default:
		return nil, fmt.Errorf("models: deconv2x2 dw: unsupported dtype %v", x.Dtype())
	}
	return out, nil
}

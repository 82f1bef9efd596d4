package models

import (
	"fmt"

	"github.com/chewxy/hm"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convSame is a stride-1 convolution whose output is as large as its input
// (odd kernel k, padding k/2), with bias, and with a ReLU on its output if
// relu is set: the U-Net's layers at full resolution. x is N×C×H×W, w is
// OutC × C·k·k, b is OutC. needDx is false for a first layer, whose input
// needs no gradient.
//
// It computes what conv2d (and a ReLU) computes, but an image at a time
// in bands of whole rows: im2col of one band, sized to stay in the
// core's L2 cache, then its product. conv2d lays out an image's whole
// im2col matrix, C·k² times the image (19 MB for a 32-channel 128×128
// image), which goes to memory and back, and whose power-of-two row
// length makes sgemm copy it once more to read it; a band's row stride
// is chosen so that sgemm reads it where it lies. The weight gradient is
// computed band by band the same way; the input gradient is itself a
// same-size convolution (of dy, with the kernel flipped), so it runs as
// the forward pass, with no scatter of columns back into an image.
// Results equal conv2d's up to the order of float32 additions, and are
// deterministic.
func convSame(x, w, b *G.Node, k int, relu, needDx bool) (*G.Node, error) {
	return convSameBands(x, w, b, k, relu, needDx, 0)
}

// convSameBands is convSame with bands of the given number of rows; 0
// means as many as fit bandBytes. Tests use it to cross band edges.
func convSameBands(x, w, b *G.Node, k int, relu, needDx bool, rows int) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || w.Shape().Dims() != 2 || b.Shape().Dims() != 1 {
		return nil, fmt.Errorf("models: convSame wants x N×C×H×W, w 2-D, b 1-D; got %v %v %v", s, w.Shape(), b.Shape())
	}
	if k%2 != 1 {
		return nil, fmt.Errorf("models: convSame wants an odd kernel, got %d", k)
	}
	g := convGeom{InC: s[1], H: s[2], W: s[3], OutC: w.Shape()[0], K: k, Pad: k / 2, Stride: 1}
	if w.Shape()[1] != g.ckk() || b.Shape()[0] != g.OutC {
		return nil, fmt.Errorf("models: convSame weights %v, bias %v do not fit %d input channels and a %d×%d kernel", w.Shape(), b.Shape(), g.InC, k, k)
	}
	bg := bandGeom{g, rows, 0}
	bg.Rows, bg.Ld = bands(g, rows)
	return G.ApplyOp(&convSameOp{opMeta: named("ConvSame(relu=%v)%+v", relu, bg), g: bg, relu: relu, needDx: needDx}, x, w, b)
}

// bandBytes is the most one band of im2col columns takes: with sgemm's
// packed weights and the output band it stays within a 1 MiB L2 cache
// (this machine's; on a 512 KiB L2 it spills to L3, slower but correct).
// Larger bands mean fewer calls, each packing the weights once.
const bandBytes = 512 << 10

// bandGeom is a same-size convolution's geometry and its bands: Rows
// output rows each, im2col rows Ld floats apart.
type bandGeom struct {
	convGeom
	Rows, Ld int
}

// bands returns how many output rows a band holds for geometry g (rows if
// positive, else as many as fit bandBytes), and the row stride of its
// im2col buffer: a multiple of 16 floats (64-byte lines) by an odd
// number, so that the rows of a band fall in different L1 cache sets and
// sgemm reads them in place (see its cacheFriendly).
func bands(g convGeom, rows int) (int, int) {
	if rows <= 0 {
		rows = bandBytes / (4 * g.ckk() * g.W)
	}
	rows = max(1, min(g.H, rows))
	n := rows * g.W
	lines := (n + 15) / 16
	if lines%2 == 0 {
		lines++
	}
	return rows, lines * 16
}

// im2colBand writes rows [r0, r1) of image x's im2col matrix: row
// (c, ky, kx) of col (stride ld) holds, for each output pixel of those
// rows, the input pixel its kernel tap reads, or zero in the padding.
func im2colBand[F float](g convGeom, x []F, r0, r1 int, col []F, ld int) {
	w := g.W
	for c := 0; c < g.InC; c++ {
		plane := x[c*g.H*w:][:g.H*w]
		for ky := 0; ky < g.K; ky++ {
			for kx := 0; kx < g.K; kx++ {
				row := col[((c*g.K+ky)*g.K+kx)*ld:][:(r1-r0)*w]
				// Output column ox reads input column ox+kx−Pad: valid
				// for ox in [lo, hi).
				lo, hi := max(0, g.Pad-kx), min(w, w+g.Pad-kx)
				for oy := r0; oy < r1; oy++ {
					dst := row[(oy-r0)*w:][:w]
					iy := oy + ky - g.Pad
					if iy < 0 || iy >= g.H {
						clear(dst)
						continue
					}
					src := plane[iy*w:][:w]
					clear(dst[:lo])
					copy(dst[lo:hi], src[lo+kx-g.Pad:])
					clear(dst[hi:])
				}
			}
		}
	}
}

// convSameForward computes y = conv(x, w) + b, ReLU'd if relu, an image
// per goroutine at a time and a band at a time; a nil b adds no bias.
func convSameForward[F float](g bandGeom, relu bool, batch int, x, w, b, y []F) {
	ckk, hw := g.ckk(), g.H*g.W
	rows, ld := g.Rows, g.Ld
	mm := serialGemm(gemm[F]())
	forParts(parts(batch), func(_ int, lo, hi int) {
		buf, done := buffer[F](ckk * ld)
		defer done()
		col := *buf
		for n := lo; n < hi; n++ {
			img := x[n*g.InC*hw:][:g.InC*hw]
			out := y[n*g.OutC*hw:][:g.OutC*hw]
			for r0 := 0; r0 < g.H; r0 += rows {
				r1 := min(g.H, r0+rows)
				px := (r1 - r0) * g.W
				im2colBand(g.convGeom, img, r0, r1, col, ld)
				var beta F
				if b != nil {
					for o := 0; o < g.OutC; o++ {
						fill(out[o*hw+r0*g.W:][:px], b[o])
					}
					beta = 1
				}
				c := out[r0*g.W:]
				mm(blas.NoTrans, blas.NoTrans, g.OutC, px, ckk, 1, w, ckk, col, ld, beta, c, hw)
				if relu {
					for o := 0; o < g.OutC; o++ {
						band := c[o*hw:][:px]
						for i, v := range band {
							band[i] = max(v, 0)
						}
					}
				}
			}
		}
	})
}

// convSameBackwardX computes dx, the correlation of dy with the kernel
// turned half a turn and its in and out channels swapped (wflip, from
// flipKernel): a same-size convolution of dy itself, so it runs as the
// forward pass does, with no scatter of columns back into an image.
func convSameBackwardX[F float](g convGeom, batch int, wflip, dy, dx []F) {
	gt := convGeom{InC: g.OutC, H: g.H, W: g.W, OutC: g.InC, K: g.K, Pad: g.Pad, Stride: 1}
	bt := bandGeom{convGeom: gt}
	bt.Rows, bt.Ld = bands(gt, 0)
	convSameForward(bt, false, batch, dy, wflip, nil, dx)
}

// flipKernel writes into wt (InC × OutC·K·K) the weights w (OutC × InC·K·K)
// of the convolution that carries dy back to dx: wt[c, (o, ky, kx)] =
// w[o, (c, K−1−ky, K−1−kx)].
func flipKernel[F float](g convGeom, w, wt []F) {
	kk := g.K * g.K
	for o := 0; o < g.OutC; o++ {
		for c := 0; c < g.InC; c++ {
			src := w[(o*g.InC+c)*kk:][:kk]
			dst := wt[(c*g.OutC+o)*kk:][:kk]
			for i, v := range src {
				dst[kk-1-i] = v
			}
		}
	}
}

// convSameBackwardW computes dw = Σₙ dyₙ·colₙᵀ and db = Σₙ Σ_pixels dyₙ,
// a band at a time. Each part of the batch sums its own images; parts are
// then added in part order, so the result does not depend on how parts
// were scheduled.
func convSameBackwardW[F float](g bandGeom, batch int, x, dy, dw, db []F) {
	ckk, hw := g.ckk(), g.H*g.W
	rows, ld := g.Rows, g.Ld
	mm := serialGemm(gemm[F]())
	ps := parts(batch)
	dws := make([][]F, len(ps))
	dbs := make([][]F, len(ps))
	forParts(ps, func(p int, lo, hi int) {
		buf, done := buffer[F](ckk * ld)
		defer done()
		col := *buf
		pw, pb := make([]F, g.OutC*ckk), make([]F, g.OutC)
		for n := lo; n < hi; n++ {
			img := x[n*g.InC*hw:][:g.InC*hw]
			d := dy[n*g.OutC*hw:][:g.OutC*hw]
			for r0 := 0; r0 < g.H; r0 += rows {
				r1 := min(g.H, r0+rows)
				px := (r1 - r0) * g.W
				im2colBand(g.convGeom, img, r0, r1, col, ld)
				mm(blas.NoTrans, blas.Trans, g.OutC, ckk, px, 1, d[r0*g.W:], hw, col, ld, 1, pw, ckk)
			}
			sumRows(d, pb, g.OutC, hw)
		}
		dws[p], dbs[p] = pw, pb
	})
	sumParts(dw, dws)
	sumParts(db, dbs)
}

// convSameOp: inputs x, w, b.
type convSameOp struct {
	opMeta
	g      bandGeom
	relu   bool
	needDx bool
	out    outBuf
}

func (op *convSameOp) Arity() int { return 3 }
func (op *convSameOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(2), tensorT(1), tensorT(4))
}
func (op *convSameOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: convSame: input shape unknown")
	}
	return tensor.Shape{s[0], op.g.OutC, op.g.H, op.g.W}, nil
}
func (op *convSameOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	n := x.Shape()[0]
	y := op.out.get(x.Dtype(), n, op.g.OutC, op.g.H, op.g.W)
	switch xs := x.Data().(type) {
	case []float32:
		convSameForward(op.g, op.relu, n, xs, data32(in[1]), data32(in[2]), y.Data().([]float32))
	case []float64:
		convSameForward(op.g, op.relu, n, xs, data64(in[1]), data64(in[2]), y.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: convSame: unsupported dtype %v", x.Dtype())
	}
	return y, nil
}

func (op *convSameOp) DiffWRT(int) []bool { return []bool{op.needDx, true, true} }
func (op *convSameOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	dz := grad
	var err error
	if op.relu {
		if dz, err = G.ApplyOp(&reluGradOp{opMeta: named("ReLUGrad%v", out.Shape())}, out, grad); err != nil {
			return nil, err
		}
	}
	var dx *G.Node
	if op.needDx {
		if dx, err = G.ApplyOp(&convSameDxOp{opMeta: named("ConvSameDx%+v", op.g), g: op.g}, in[1], dz); err != nil {
			return nil, err
		}
	}
	dwb, err := G.ApplyOp(&convSameDwOp{opMeta: named("ConvSameDw%+v", op.g), g: op.g}, in[0], dz)
	if err != nil {
		return nil, err
	}
	dw, db, err := splitDW(dwb, op.g.convGeom)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// convSameDxOp is the gradient wrt the input: inputs w, dy.
type convSameDxOp struct {
	opMeta
	g      bandGeom
	out    outBuf
	flip32 []float32
	flip64 []float64
}

func (op *convSameDxOp) Arity() int    { return 2 }
func (op *convSameDxOp) Type() hm.Type { return hm.NewFnType(tensorT(2), tensorT(4), tensorT(4)) }
func (op *convSameDxOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[1].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: convSame dx: shape unknown")
	}
	return tensor.Shape{s[0], op.g.InC, op.g.H, op.g.W}, nil
}
func (op *convSameDxOp) DiffWRT(int) []bool { return []bool{false, false} }
func (op *convSameDxOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("models: convSame dx has no gradient")
}
func (op *convSameDxOp) Do(in ...G.Value) (G.Value, error) {
	dy := in[1].(*tensor.Dense)
	n := dy.Shape()[0]
	dx := op.out.get(dy.Dtype(), n, op.g.InC, op.g.H, op.g.W)
	nw := op.g.OutC * op.g.ckk()
	switch ds := dy.Data().(type) {
	case []float32:
		if len(op.flip32) != nw {
			op.flip32 = make([]float32, nw)
		}
		flipKernel(op.g.convGeom, data32(in[0]), op.flip32)
		convSameBackwardX(op.g.convGeom, n, op.flip32, ds, dx.Data().([]float32))
	case []float64:
		if len(op.flip64) != nw {
			op.flip64 = make([]float64, nw)
		}
		flipKernel(op.g.convGeom, data64(in[0]), op.flip64)
		convSameBackwardX(op.g.convGeom, n, op.flip64, ds, dx.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: convSame dx: unsupported dtype %v", dy.Dtype())
	}
	return dx, nil
}

// convSameDwOp computes the gradients wrt weights and bias, packed as
// convDwOp's (see splitDW): inputs x, dy.
type convSameDwOp struct {
	opMeta
	g bandGeom
}

func (op *convSameDwOp) Arity() int    { return 2 }
func (op *convSameDwOp) Type() hm.Type { return hm.NewFnType(tensorT(4), tensorT(4), tensorT(1)) }
func (op *convSameDwOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.OutC*op.g.ckk() + op.g.OutC}, nil
}
func (op *convSameDwOp) DiffWRT(int) []bool { return []bool{false, false} }
func (op *convSameDwOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, fmt.Errorf("models: convSame dw has no gradient")
}
func (op *convSameDwOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	nw := op.g.OutC * op.g.ckk()
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(nw+op.g.OutC))
	n := x.Shape()[0]
	switch xs := x.Data().(type) {
	case []float32:
		o := out.Data().([]float32)
		convSameBackwardW(op.g, n, xs, data32(in[1]), o[:nw], o[nw:])
	case []float64:
		o := out.Data().([]float64)
		convSameBackwardW(op.g, n, xs, data64(in[1]), o[:nw], o[nw:])
	default:
		return nil, fmt.Errorf("models: convSame dw: unsupported dtype %v", x.Dtype())
	}
	return out, nil
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

package models

import (
	"fmt"

	"github.com/chewxy/hm"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convGeom is a 2-D convolution's geometry: square kernel, equal padding
// and stride on both axes.
type convGeom struct {
	InC, H, W      int // input channels and size
	OutC           int
	K, Pad, Stride int
}

func (g convGeom) outH() int { return (g.H+2*g.Pad-g.K)/g.Stride + 1 }
func (g convGeom) outW() int { return (g.W+2*g.Pad-g.K)/g.Stride + 1 }
func (g convGeom) ckk() int  { return g.InC * g.K * g.K }
func (g convGeom) hw() int   { return g.outH() * g.outW() }

// im2col lays image x (InC×H×W) out as columns: row (c, ky, kx), column
// (oy, ox), zero where the kernel reaches into the padding.
func im2col[F float](g convGeom, x, col []F) {
	oh, ow := g.outH(), g.outW()
	if g.Stride == 1 && ow == g.W {
		im2colSame(g, x, col)
		return
	}
	for c := 0; c < g.InC; c++ {
		for ky := 0; ky < g.K; ky++ {
			for kx := 0; kx < g.K; kx++ {
				row := col[((c*g.K+ky)*g.K+kx)*oh*ow:][:oh*ow]
				lo, hi := validOut(kx, g.Pad, g.Stride, g.W, ow)
				for oy := 0; oy < oh; oy++ {
					iy := oy*g.Stride - g.Pad + ky
					dst := row[oy*ow : (oy+1)*ow]
					if iy < 0 || iy >= g.H || lo >= hi {
						clear(dst)
						continue
					}
					src := x[(c*g.H+iy)*g.W:][:g.W]
					clear(dst[:lo])
					clear(dst[hi:])
					if g.Stride == 1 {
						copy(dst[lo:hi], src[lo-g.Pad+kx:])
						continue
					}
					for ox := lo; ox < hi; ox++ {
						dst[ox] = src[ox*g.Stride-g.Pad+kx]
					}
				}
			}
		}
	}
}

// im2colSame is im2col for stride 1 and an output as wide as the input
// (K = 2·Pad+1 for a square kernel). A row (c, ky, kx) of col is then
// plane c shifted by (ky−Pad)·W + kx−Pad: its valid part is one
// contiguous copy, after which the elements that wrapped around a row
// edge (kx−Pad of them per row) and the rows that fall into the padding
// are zeroed.
func im2colSame[F float](g convGeom, x, col []F) {
	oh, ow := g.outH(), g.outW()
	for c := 0; c < g.InC; c++ {
		plane := x[c*g.H*g.W:][:g.H*g.W]
		for ky := 0; ky < g.K; ky++ {
			// Output rows [y0, y1) read input rows y0−Pad+ky ∈ [0, H).
			y0, y1 := max(0, g.Pad-ky), min(oh, g.H+g.Pad-ky)
			for kx := 0; kx < g.K; kx++ {
				row := col[((c*g.K+ky)*g.K+kx)*oh*ow:][:oh*ow]
				lo, hi := validOut(kx, g.Pad, 1, g.W, ow)
				if y0 >= y1 || lo >= hi {
					clear(row)
					continue
				}
				// Elements [a, b) of row come from plane[a+off : b+off].
				a, b := y0*ow+lo, (y1-1)*ow+hi
				off := (ky-g.Pad)*g.W + kx - g.Pad
				copy(row[a:b], plane[a+off:b+off])
				clear(row[:a])
				clear(row[b:])
				for oy := y0; oy < y1-1; oy++ {
					gap := row[oy*ow+hi : (oy+1)*ow+lo]
					for i := range gap {
						gap[i] = 0
					}
				}
			}
		}
	}
}

// validOut returns the output columns [lo, hi) whose input column
// ox·stride − pad + kx lies inside [0, w).
func validOut(kx, pad, stride, w, ow int) (lo, hi int) {
	// ox·stride ≥ pad − kx, and ox·stride ≤ w − 1 + pad − kx.
	lo = max(0, (pad-kx+stride-1)/stride)
	if pad-kx <= 0 {
		lo = 0
	}
	hi = min(ow, (w-1+pad-kx)/stride+1)
	if w-1+pad-kx < 0 {
		hi = 0
	}
	return lo, max(lo, hi)
}

// col2im adds columns back into image dx (InC×H×W), the adjoint of im2col.
func col2im[F float](g convGeom, col, dx []F) {
	if g.K == 3 && g.Pad == 1 && g.Stride == 1 {
		col2im3(g, col, dx)
		return
	}
	oh, ow := g.outH(), g.outW()
	for c := 0; c < g.InC; c++ {
		for ky := 0; ky < g.K; ky++ {
			for kx := 0; kx < g.K; kx++ {
				row := col[((c*g.K+ky)*g.K+kx)*oh*ow:][:oh*ow]
				lo, hi := validOut(kx, g.Pad, g.Stride, g.W, ow)
				for oy := 0; oy < oh; oy++ {
					iy := oy*g.Stride - g.Pad + ky
					if iy < 0 || iy >= g.H || lo >= hi {
						continue
					}
					dst := dx[(c*g.H+iy)*g.W:][:g.W]
					src := row[oy*ow+lo : oy*ow+hi]
					if g.Stride == 1 {
						d := dst[lo-g.Pad+kx:][:len(src)]
						for i, v := range src {
							d[i] += v
						}
						continue
					}
					for i, v := range src {
						dst[(lo+i)*g.Stride-g.Pad+kx] += v
					}
				}
			}
		}
	}
}

// col2im3 is col2im for a 3×3 kernel with padding 1 and stride 1 (output
// the size of the input), computed by gathering: each element of dx adds
// its up to nine contributions in a register, in the order (ky, kx) in
// which col2im's scatter adds them, so the result has the same bits and
// dx is read and written once instead of nine times.
func col2im3[F float](g convGeom, col, dx []F) {
	h, w := g.H, g.W
	hw := h * w
	for c := 0; c < g.InC; c++ {
		base := col[c*9*hw:][:9*hw]
		img := dx[c*hw:][:hw]
		for iy := 0; iy < h; iy++ {
			dst := img[iy*w:][:w]
			if iy == 0 || iy == h-1 || w < 2 {
				col2im3Edge(base, dst, iy, h, w)
				continue
			}
			// ky = 0, 1, 2 read output rows iy+1, iy, iy−1; kx = 0, 1, 2
			// read output columns ix+1, ix, ix−1.
			r := func(ky, kx, oy int) []F { return base[(ky*3+kx)*hw+oy*w:][:w] }
			a0, a1, a2 := r(0, 0, iy+1), r(0, 1, iy+1), r(0, 2, iy+1)
			b0, b1, b2 := r(1, 0, iy), r(1, 1, iy), r(1, 2, iy)
			c0, c1, c2 := r(2, 0, iy-1), r(2, 1, iy-1), r(2, 2, iy-1)
			s := dst[0]
			s += a0[1]
			s += a1[0]
			s += b0[1]
			s += b1[0]
			s += c0[1]
			s += c1[0]
			dst[0] = s
			for ix := 1; ix < w-1; ix++ {
				s := dst[ix]
				s += a0[ix+1]
				s += a1[ix]
				s += a2[ix-1]
				s += b0[ix+1]
				s += b1[ix]
				s += b2[ix-1]
				s += c0[ix+1]
				s += c1[ix]
				s += c2[ix-1]
				dst[ix] = s
			}
			s = dst[w-1]
			s += a1[w-1]
			s += a2[w-2]
			s += b1[w-1]
			s += b2[w-2]
			s += c1[w-1]
			s += c2[w-2]
			dst[w-1] = s
		}
	}
}

// col2im3Edge adds into dst, row iy of a plane of dx, its contributions
// from one channel's nine rows of col (base), by scattering in col2im's
// order; for the first and last rows, where some ky fall outside.
func col2im3Edge[F float](base, dst []F, iy, h, w int) {
	hw := h * w
	for ky := 0; ky < 3; ky++ {
		oy := iy + 1 - ky
		if oy < 0 || oy >= h {
			continue
		}
		for kx := 0; kx < 3; kx++ {
			lo, hi := validOut(kx, 1, 1, w, w)
			src := base[(ky*3+kx)*hw+oy*w:][:w]
			for ox := lo; ox < hi; ox++ {
				dst[ox-1+kx] += src[ox]
			}
		}
	}
}

// convForward computes y = conv(x, w) + b for a batch, one GEMM per image.
func convForward[F float](g convGeom, batch int, x, w, b, y []F) {
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
		}
	})
}

// fill sets every element of s to v, by doubling copies (memmove's wide
// stores) rather than one store per element.
func fill[F float](s []F, v F) {
	if len(s) == 0 {
		return
	}
	s[0] = v
	for n := 1; n < len(s); n *= 2 {
		copy(s[n:], s[:n])
	}
}

// convBackwardX computes dx = col2im(wᵀ·dy) per image.
func convBackwardX[F float](g convGeom, batch int, w, dy, dx []F) {
	ckk, hw := g.ckk(), g.hw()
	mm := serialGemm(gemm[F]())
	forParts(parts(batch), func(_ int, lo, hi int) {
		buf, done := buffer[F](ckk * hw)
		defer done()
		dcol := *buf
		for n := lo; n < hi; n++ {
			mm(blas.Trans, blas.NoTrans, ckk, hw, g.OutC, 1, w, ckk, dy[n*g.OutC*hw:], hw, 0, dcol, hw)
			img := dx[n*g.InC*g.H*g.W:][:g.InC*g.H*g.W]
			clear(img)
			col2im(g, dcol, img)
		}
	})
}

// convBackwardW computes dw = Σₙ dyₙ·colₙᵀ and db = Σₙ Σ_pixels dyₙ. Each
// part sums its own images; parts are then added in part order, so the
// result does not depend on how parts were scheduled.
func convBackwardW[F float](g convGeom, batch int, x, dy, dw, db []F) {
	ckk, hw := g.ckk(), g.hw()
	mm := serialGemm(gemm[F]())
	ps := parts(batch)
	dws := make([][]F, len(ps))
	dbs := make([][]F, len(ps))
	forParts(ps, func(p int, lo, hi int) {
		buf, done := buffer[F](ckk * hw)
		defer done()
		col := *buf
		pw, pb := make([]F, g.OutC*ckk), make([]F, g.OutC)
		for n := lo; n < hi; n++ {
			im2col(g, x[n*g.InC*g.H*g.W:][:g.InC*g.H*g.W], col)
			d := dy[n*g.OutC*hw:][:g.OutC*hw]
			mm(blas.NoTrans, blas.Trans, g.OutC, ckk, hw, 1, d, hw, col, hw, 1, pw, ckk)
			sumRows(d, pb, g.OutC, hw)
		}
		dws[p], dbs[p] = pw, pb
	})
	sumParts(dw, dws)
	sumParts(db, dbs)
}

// sumParts sets dst to the sum of the batch parts' partial gradients,
// added in part order so the bits do not depend on which part finished
// first.
func sumParts[F float](dst []F, parts [][]F) {
	clear(dst)
	for _, part := range parts {
		for i, v := range part {
			dst[i] += v
		}
	}
}

// sumRows adds to sums[o] the sum of row o of the rows×n matrix d, each
// row summed from zero left to right. Four rows are summed side by side:
// four independent chains of additions instead of one, in the same order
// for each row as one at a time, so the same bits.
func sumRows[F float](d, sums []F, rows, n int) {
	o := 0
	for ; o+4 <= rows; o += 4 {
		r0 := d[o*n : (o+1)*n]
		r1, r2, r3 := d[(o+1)*n:][:len(r0)], d[(o+2)*n:][:len(r0)], d[(o+3)*n:][:len(r0)]
		var s0, s1, s2, s3 F
		for i, v := range r0 {
			s0 += v
			s1 += r1[i]
			s2 += r2[i]
			s3 += r3[i]
		}
		sums[o] += s0
		sums[o+1] += s1
		sums[o+2] += s2
		sums[o+3] += s3
	}
	for ; o < rows; o++ {
		var s F
		for _, v := range d[o*n : (o+1)*n] {
			s += v
		}
		sums[o] += s
	}
}

// convOp is a fused 2-D convolution with bias: inputs x (N×C×H×W),
// w (OutC × C·K·K), b (OutC); output N×OutC×H'×W'.
type convOp struct {
	opMeta
	g convGeom
	// needDx is false for a first layer, whose input needs no gradient.
	needDx bool
	out    outBuf
}

// conv2d applies a convolution to x with weights w (OutC × InC·K·K) and bias b.
func conv2d(x, w, b *G.Node, k, pad, stride int, needDx bool) (*G.Node, error) {
	s := x.Shape()
	if s.Dims() != 4 || w.Shape().Dims() != 2 || b.Shape().Dims() != 1 {
		return nil, fmt.Errorf("models: conv2d wants x N×C×H×W, w 2-D, b 1-D; got %v %v %v", s, w.Shape(), b.Shape())
	}
	g := convGeom{InC: s[1], H: s[2], W: s[3], OutC: w.Shape()[0], K: k, Pad: pad, Stride: stride}
	if w.Shape()[1] != g.ckk() || b.Shape()[0] != g.OutC {
		return nil, fmt.Errorf("models: conv2d weights %v, bias %v do not fit %d input channels and a %d×%d kernel", w.Shape(), b.Shape(), g.InC, k, k)
	}
	return G.ApplyOp(&convOp{opMeta: named("Conv%+v", g), g: g, needDx: needDx}, x, w, b)
}

func (op *convOp) Arity() int { return 3 }
func (op *convOp) Type() hm.Type {
	return hm.NewFnType(tensorT(4), tensorT(2), tensorT(1), tensorT(4))
}
func (op *convOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: conv2d: input shape unknown")
	}
	return tensor.Shape{s[0], op.g.OutC, op.g.outH(), op.g.outW()}, nil
}
func (op *convOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	return op.UsePreallocDo(op.out.get(x.Dtype(), x.Shape()[0], op.g.OutC, op.g.outH(), op.g.outW()), in...)
}
func (op *convOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	x, w, b, y := in[0].(*tensor.Dense), in[1].(*tensor.Dense), in[2].(*tensor.Dense), prealloc.(*tensor.Dense)
	n := x.Shape()[0]
	switch xs := x.Data().(type) {
	case []float32:
		convForward(op.g, n, xs, w.Data().([]float32), b.Data().([]float32), y.Data().([]float32))
	case []float64:
		convForward(op.g, n, xs, w.Data().([]float64), b.Data().([]float64), y.Data().([]float64))
	default:
		return nil, fmt.Errorf("models: conv2d: unsupported dtype %v", x.Dtype())
	}
	return y, nil
}
func (op *convOp) DiffWRT(int) []bool { return []bool{op.needDx, true, true} }
func (op *convOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	var dx *G.Node
	var err error
	if op.needDx {
		if dx, err = G.ApplyOp(&convDxOp{opMeta: named("ConvDx%+v", op.g), g: op.g}, in[1], grad); err != nil {
			return nil, err
		}
	}
	dwb, err := G.ApplyOp(&convDwOp{named("ConvDw%+v", op.g), op.g}, in[0], grad)
	if err != nil {
		return nil, err
	}
	dw, db, err := splitDW(dwb, op.g)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx, dw, db}, nil
}

// splitDW unpacks convDwOp's output, which packs dw (OutC × C·K·K) and db
// (OutC) in one vector so that the batch is walked once for both.
func splitDW(dwb *G.Node, g convGeom) (dw, db *G.Node, err error) {
	p, err := unpack(dwb, tensor.Shape{g.OutC, g.ckk()}, tensor.Shape{g.OutC})
	if err != nil {
		return nil, nil, err
	}
	return p[0], p[1], nil
}

// convDxOp computes the gradient wrt the input: inputs w, dy.
type convDxOp struct {
	opMeta
	g   convGeom
	out outBuf
}

func (op *convDxOp) Arity() int    { return 2 }
func (op *convDxOp) Type() hm.Type { return hm.NewFnType(tensorT(2), tensorT(4), tensorT(4)) }
func (op *convDxOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[1].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("models: conv2d dx: shape unknown")
	}
	return tensor.Shape{s[0], op.g.InC, op.g.H, op.g.W}, nil
}
func (op *convDxOp) Do(in ...G.Value) (G.Value, error) {
	dy := in[1].(*tensor.Dense)
	return op.UsePreallocDo(op.out.get(dy.Dtype(), dy.Shape()[0], op.g.InC, op.g.H, op.g.W), in...)
}
func (op *convDxOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	w, dy, dx := in[0].(*tensor.Dense), in[1].(*tensor.Dense), prealloc.(*tensor.Dense)
	n := dy.Shape()[0]
	switch ws := w.Data().(type) {
	case []float32:
		convBackwardX(op.g, n, ws, dy.Data().([]float32), dx.Data().([]float32))
	case []float64:
		convBackwardX(op.g, n, ws, dy.Data().([]float64), dx.Data().([]float64))
	}
	return dx, nil
}

// convDwOp computes the gradients wrt weights and bias, packed: inputs x, dy.
type convDwOp struct {
	opMeta
	g convGeom
}

func (op *convDwOp) Arity() int    { return 2 }
func (op *convDwOp) Type() hm.Type { return hm.NewFnType(tensorT(4), tensorT(4), tensorT(1)) }
func (op *convDwOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return tensor.Shape{op.g.OutC*op.g.ckk() + op.g.OutC}, nil
}
func (op *convDwOp) Do(in ...G.Value) (G.Value, error) {
	x := in[0].(*tensor.Dense)
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(op.g.OutC*op.g.ckk()+op.g.OutC))
	return op.UsePreallocDo(out, in...)
}
func (op *convDwOp) UsePreallocDo(prealloc G.Value, in ...G.Value) (G.Value, error) {
	x, dy, out := in[0].(*tensor.Dense), in[1].(*tensor.Dense), prealloc.(*tensor.Dense)
	n, nw := x.Shape()[0], op.g.OutC*op.g.ckk()
	switch xs := x.Data().(type) {
	case []float32:
		o := out.Data().([]float32)
		convBackwardW(op.g, n, xs, dy.Data().([]float32), o[:nw], o[nw:])
	case []float64:
		o := out.Data().([]float64)
		convBackwardW(op.g, n, xs, dy.Data().([]float64), o[:nw], o[nw:])
	}
	return out, nil
}

package models

import (
	"gonum.org/v1/gonum/blas"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveConv is the definition: y[n,o,oy,ox] = b[o] + Σ w[o,c,ky,kx]·x[n,c,iy,ix].
func naiveConv(g convGeom, batch int, x, w, b []float64) []float64 {
	oh, ow := g.outH(), g.outW()
	y := make([]float64, batch*g.OutC*oh*ow)
	for n := 0; n < batch; n++ {
		for o := 0; o < g.OutC; o++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					s := b[o]
					for c := 0; c < g.InC; c++ {
						for ky := 0; ky < g.K; ky++ {
							for kx := 0; kx < g.K; kx++ {
								iy, ix := oy*g.Stride-g.Pad+ky, ox*g.Stride-g.Pad+kx
								if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
									s += w[o*g.ckk()+(c*g.K+ky)*g.K+kx] * x[((n*g.InC+c)*g.H+iy)*g.W+ix]
								}
							}
						}
					}
					y[((n*g.OutC+o)*oh+oy)*ow+ox] = s
				}
			}
		}
	}
	return y
}

func TestConvForwardMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, g := range []convGeom{
		{InC: 3, H: 28, W: 28, OutC: 16, K: 3, Pad: 1, Stride: 1},
		{InC: 2, H: 7, W: 5, OutC: 3, K: 5, Pad: 2, Stride: 2},
		{InC: 1, H: 6, W: 6, OutC: 2, K: 3, Pad: 0, Stride: 1},
		{InC: 2, H: 5, W: 9, OutC: 2, K: 3, Pad: 3, Stride: 3},
		{InC: 1, H: 4, W: 4, OutC: 1, K: 1, Pad: 0, Stride: 1},
	} {
		batch := 3
		x := make([]float64, batch*g.InC*g.H*g.W)
		w := make([]float64, g.OutC*g.ckk())
		b := make([]float64, g.OutC)
		for _, s := range [][]float64{x, w, b} {
			for i := range s {
				s[i] = rng.Float64()*2 - 1
			}
		}
		got := make([]float64, batch*g.OutC*g.hw())
		convForward(g, batch, x, w, b, got)
		want := naiveConv(g, batch, x, w, b)
		for i := range want {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Fatalf("%+v: y[%d] = %v, want %v", g, i, got[i], want[i])
			}
		}
	}
}

// The kernels as they were before issue 19's data-movement work (im2col,
// col2im, the dW product, the ReLU-pool), kept verbatim under new names so
// that tests can prove the current kernels give the same bits.

// im2colRef lays image x (InC×H×W) out as columns: row (c, ky, kx), column
// (oy, ox), zero where the kernel reaches into the padding.
func im2colRef[F float](g convGeom, x, col []F) {
	oh, ow := g.outH(), g.outW()
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

// col2imRef adds columns back into image dx (InC×H×W), the adjoint of im2colRef.
func col2imRef[F float](g convGeom, col, dx []F) {
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

// convBackwardWRef computes dw = Σₙ dyₙ·colₙᵀ and db = Σₙ Σ_pixels dyₙ. Each
// part sums its own images; parts are then added in part order, so the
// result does not depend on how parts were scheduled.
func convBackwardWRef[F float](g convGeom, batch int, x, dy, dw, db []F) {
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
			im2colRef(g, x[n*g.InC*g.H*g.W:][:g.InC*g.H*g.W], col)
			d := dy[n*g.OutC*hw:][:g.OutC*hw]
			mm(blas.NoTrans, blas.Trans, g.OutC, ckk, hw, 1, d, hw, col, hw, 1, pw, ckk)
			for o := 0; o < g.OutC; o++ {
				var s F
				for _, v := range d[o*hw : (o+1)*hw] {
					s += v
				}
				pb[o] += s
			}
		}
		dws[p], dbs[p] = pw, pb
	})
	clear(dw)
	clear(db)
	for p := range ps {
		for i, v := range dws[p] {
			dw[i] += v
		}
		for i, v := range dbs[p] {
			db[i] += v
		}
	}
}

// convBackwardXRef computes dx = col2imRef(wᵀ·dy) per image.
func convBackwardXRef[F float](g convGeom, batch int, w, dy, dx []F) {
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
			col2imRef(g, dcol, img)
		}
	})
}

func reluPoolForwardRef[F float](x, y []F, planes, h, w int) {
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

// reluPoolBackwardRef sends each window's gradient to the window's maximum
// (the first in row order on ties), when that maximum is positive.
func reluPoolBackwardRef[F float](x, dy, dx []F, planes, h, w int) {
	oh, ow := h/2, w/2
	forParts(parts(planes), func(_ int, lo, hi int) {
		for p := lo; p < hi; p++ {
			in, d, g := x[p*h*w:(p+1)*h*w], dx[p*h*w:(p+1)*h*w], dy[p*oh*ow:(p+1)*oh*ow]
			clear(d)
			for oy := 0; oy < oh; oy++ {
				r0, r1 := in[2*oy*w:(2*oy+1)*w], in[(2*oy+1)*w:(2*oy+2)*w]
				d0, d1 := d[2*oy*w:(2*oy+1)*w], d[(2*oy+1)*w:(2*oy+2)*w]
				gr := g[oy*ow : (oy+1)*ow]
				for ox, gv := range gr {
					a, b, c, e := r0[2*ox], r0[2*ox+1], r1[2*ox], r1[2*ox+1]
					switch m := max(a, b, c, e); {
					case m <= 0:
					case a == m:
						d0[2*ox] = gv
					case b == m:
						d0[2*ox+1] = gv
					case c == m:
						d1[2*ox] = gv
					default:
						d1[2*ox+1] = gv
					}
				}
			}
		}
	})
}

// bitsGeoms are the geometries the same-bits tests run: the reference
// CNN's two layers, the VAE's stride-2 layers, and odd corners (kernel
// larger than the padded input's step, padding wider than the kernel,
// non-square images, 1×1 kernels).
var bitsGeoms = []convGeom{
	{InC: 3, H: 28, W: 28, OutC: 16, K: 3, Pad: 1, Stride: 1},
	{InC: 16, H: 14, W: 14, OutC: 32, K: 3, Pad: 1, Stride: 1},
	{InC: 3, H: 32, W: 32, OutC: 8, K: 4, Pad: 1, Stride: 2},
	{InC: 2, H: 7, W: 5, OutC: 3, K: 5, Pad: 2, Stride: 2},
	{InC: 1, H: 6, W: 6, OutC: 2, K: 3, Pad: 0, Stride: 1},
	{InC: 2, H: 5, W: 9, OutC: 2, K: 3, Pad: 3, Stride: 3},
	{InC: 2, H: 5, W: 9, OutC: 2, K: 3, Pad: 3, Stride: 1},
	{InC: 1, H: 4, W: 4, OutC: 1, K: 1, Pad: 0, Stride: 1},
	{InC: 2, H: 9, W: 4, OutC: 3, K: 5, Pad: 2, Stride: 1},
	{InC: 2, H: 3, W: 3, OutC: 2, K: 5, Pad: 1, Stride: 1},
	{InC: 2, H: 6, W: 7, OutC: 17, K: 2, Pad: 1, Stride: 1},
	{InC: 2, H: 8, W: 8, OutC: 3, K: 4, Pad: 2, Stride: 1},
	{InC: 2, H: 1, W: 5, OutC: 2, K: 3, Pad: 1, Stride: 1},
	{InC: 2, H: 3, W: 1, OutC: 2, K: 3, Pad: 1, Stride: 1},
	{InC: 2, H: 2, W: 2, OutC: 2, K: 3, Pad: 1, Stride: 1},
	{InC: 1, H: 1, W: 1, OutC: 2, K: 3, Pad: 1, Stride: 1},
	{InC: 3, H: 5, W: 3, OutC: 4, K: 3, Pad: 1, Stride: 1},
}

// firstDiff returns the first index where a and b differ in bits, or -1.
func firstDiff[F float](a, b []F) int {
	if len(a) != len(b) {
		return 0
	}
	for i := range a {
		switch x := any(a[i]).(type) {
		case float32:
			if math.Float32bits(x) != math.Float32bits(any(b[i]).(float32)) {
				return i
			}
		case float64:
			if math.Float64bits(x) != math.Float64bits(any(b[i]).(float64)) {
				return i
			}
		}
	}
	return -1
}

// randFill fills s with values in [-1, 1), a quarter of them exact zeros
// of either sign and repeats, so that ties and signed zeros are exercised.
func randFill[F float](rng *rand.Rand, s []F) {
	for i := range s {
		switch rng.IntN(8) {
		case 0:
			s[i] = 0
		case 1:
			s[i] = F(math.Copysign(0, -1))
		case 2:
			s[i] = F(float64(rng.IntN(3)-1) / 2)
		default:
			s[i] = F(rng.Float64()*2 - 1)
		}
	}
}

func nanFill[F float](s []F) {
	for i := range s {
		s[i] = F(math.NaN())
	}
}

func testIm2colBits[F float](t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, g := range bitsGeoms {
		x := make([]F, g.InC*g.H*g.W)
		randFill(rng, x)
		got, want := make([]F, g.ckk()*g.hw()), make([]F, g.ckk()*g.hw())
		nanFill(got) // every element must be written
		im2col(g, x, got)
		im2colRef(g, x, want)
		if i := firstDiff(got, want); i >= 0 {
			t.Fatalf("%+v: im2col[%d] = %v, was %v", g, i, got[i], want[i])
		}
		col := make([]F, g.ckk()*g.hw())
		randFill(rng, col)
		gotX, wantX := make([]F, len(x)), make([]F, len(x))
		randFill(rng, gotX) // col2im adds to what is there
		copy(wantX, gotX)
		col2im(g, col, gotX)
		col2imRef(g, col, wantX)
		if i := firstDiff(gotX, wantX); i >= 0 {
			t.Fatalf("%+v: col2im[%d] = %v, was %v", g, i, gotX[i], wantX[i])
		}
	}
}

// im2col and col2im move and add the same values in the same order as
// before their rewrite: the same bits in both precisions.
func TestIm2colCol2imSameBitsAsBefore(t *testing.T) {
	t.Run("float32", testIm2colBits[float32])
	t.Run("float64", testIm2colBits[float64])
}

// The convolution's backward kernels give the bits they gave before
// (float32 through the default build's sgemm, where layouts could change
// rounding if the reduction order moved).
func TestConvBackwardSameBitsAsBefore(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for _, g := range bitsGeoms {
		const batch = 11
		x := make([]float32, batch*g.InC*g.H*g.W)
		dy := make([]float32, batch*g.OutC*g.hw())
		w := make([]float32, g.OutC*g.ckk())
		for _, s := range [][]float32{x, dy, w} {
			randFill(rng, s)
		}
		dw, db := make([]float32, len(w)), make([]float32, g.OutC)
		wantW, wantB := make([]float32, len(w)), make([]float32, g.OutC)
		nanFill(dw)
		nanFill(db)
		convBackwardW(g, batch, x, dy, dw, db)
		convBackwardWRef(g, batch, x, dy, wantW, wantB)
		if i := firstDiff(dw, wantW); i >= 0 {
			t.Fatalf("%+v: dw[%d] = %v, was %v", g, i, dw[i], wantW[i])
		}
		if i := firstDiff(db, wantB); i >= 0 {
			t.Fatalf("%+v: db[%d] = %v, was %v", g, i, db[i], wantB[i])
		}
		dx, wantX := make([]float32, len(x)), make([]float32, len(x))
		nanFill(dx)
		convBackwardX(g, batch, w, dy, dx)
		convBackwardXRef(g, batch, w, dy, wantX)
		if i := firstDiff(dx, wantX); i >= 0 {
			t.Fatalf("%+v: dx[%d] = %v, was %v", g, i, dx[i], wantX[i])
		}
	}
}

func testReluPoolBits[F float](t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	for _, s := range [][3]int{{1, 2, 2}, {5, 28, 28}, {7, 14, 14}, {3, 4, 6}, {2, 6, 2}} {
		planes, h, w := s[0], s[1], s[2]
		x := make([]F, planes*h*w)
		randFill(rng, x)
		got, want := make([]F, planes*h*w/4), make([]F, planes*h*w/4)
		nanFill(got)
		reluPoolForward(x, got, planes, h, w)
		reluPoolForwardRef(x, want, planes, h, w)
		if i := firstDiff(got, want); i >= 0 {
			t.Fatalf("%v: forward[%d] = %v, was %v", s, i, got[i], want[i])
		}
		dy := make([]F, len(got))
		randFill(rng, dy)
		dx, wantX := make([]F, len(x)), make([]F, len(x))
		nanFill(dx)
		reluPoolBackward(x, dy, dx, planes, h, w)
		reluPoolBackwardRef(x, dy, wantX, planes, h, w)
		if i := firstDiff(dx, wantX); i >= 0 {
			t.Fatalf("%v: backward[%d] = %v, was %v", s, i, dx[i], wantX[i])
		}
	}
}

// The fused ReLU-pool gives the bits it gave before its rewrite, ties and
// signed zeros included.
func TestReluPoolSameBitsAsBefore(t *testing.T) {
	t.Run("float32", testReluPoolBits[float32])
	t.Run("float64", testReluPoolBits[float64])
}

// Kernel benchmarks at the reference CNN's shapes (batch 64): the current
// kernels and the ones they replaced (…Ref).
func benchKernel(b *testing.B, f func()) {
	for b.Loop() {
		f()
	}
}

func BenchmarkConvKernels(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	conv1 := convGeom{InC: 3, H: 28, W: 28, OutC: 16, K: 3, Pad: 1, Stride: 1}
	conv2 := convGeom{InC: 16, H: 14, W: 14, OutC: 32, K: 3, Pad: 1, Stride: 1}
	const batch = 64
	for _, tc := range []struct {
		name string
		g    convGeom
	}{{"conv1", conv1}, {"conv2", conv2}} {
		g := tc.g
		x := make([]float32, batch*g.InC*g.H*g.W)
		dy := make([]float32, batch*g.OutC*g.hw())
		w := make([]float32, g.OutC*g.ckk())
		for _, s := range [][]float32{x, dy, w} {
			randFill(rng, s)
		}
		col := make([]float32, g.ckk()*g.hw())
		dw, db, dx := make([]float32, len(w)), make([]float32, g.OutC), make([]float32, len(x))
		y := make([]float32, len(dy))
		b.Run(tc.name+"/im2col", func(b *testing.B) { benchKernel(b, func() { im2col(g, x[:g.InC*g.H*g.W], col) }) })
		b.Run(tc.name+"/im2colRef", func(b *testing.B) { benchKernel(b, func() { im2colRef(g, x[:g.InC*g.H*g.W], col) }) })
		b.Run(tc.name+"/col2im", func(b *testing.B) { benchKernel(b, func() { col2im(g, col, dx[:g.InC*g.H*g.W]) }) })
		b.Run(tc.name+"/col2imRef", func(b *testing.B) { benchKernel(b, func() { col2imRef(g, col, dx[:g.InC*g.H*g.W]) }) })
		b.Run(tc.name+"/forward", func(b *testing.B) { benchKernel(b, func() { convForward(g, batch, x, w, db, y) }) })
		b.Run(tc.name+"/backwardW", func(b *testing.B) { benchKernel(b, func() { convBackwardW(g, batch, x, dy, dw, db) }) })
		b.Run(tc.name+"/backwardWRef", func(b *testing.B) { benchKernel(b, func() { convBackwardWRef(g, batch, x, dy, dw, db) }) })
		b.Run(tc.name+"/backwardX", func(b *testing.B) { benchKernel(b, func() { convBackwardX(g, batch, w, dy, dx) }) })
		b.Run(tc.name+"/backwardXRef", func(b *testing.B) { benchKernel(b, func() { convBackwardXRef(g, batch, w, dy, dx) }) })
		planes := batch * g.OutC
		py, pdx := make([]float32, len(y)/4), make([]float32, len(y))
		b.Run(tc.name+"/reluPoolForward", func(b *testing.B) { benchKernel(b, func() { reluPoolForward(dy, py, planes, g.H, g.W) }) })
		b.Run(tc.name+"/reluPoolForwardRef", func(b *testing.B) { benchKernel(b, func() { reluPoolForwardRef(dy, py, planes, g.H, g.W) }) })
		b.Run(tc.name+"/reluPoolBackward", func(b *testing.B) { benchKernel(b, func() { reluPoolBackward(dy, py, pdx, planes, g.H, g.W) }) })
		b.Run(tc.name+"/reluPoolBackwardRef", func(b *testing.B) { benchKernel(b, func() { reluPoolBackwardRef(dy, py, pdx, planes, g.H, g.W) }) })
	}
}

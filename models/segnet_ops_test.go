package models

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The segmentation net's ops: gradient checks against finite differences
// (gradCheck) and values against plain loops.

func TestConvSameGradient(t *testing.T) {
	tests := []struct {
		name                   string
		n, c, h, w, o, k, rows int
		relu, needDx           bool
	}{
		{"3x3 relu, one band", 3, 2, 5, 4, 3, 3, 0, true, true},
		{"3x3 relu, bands of 2 rows", 3, 2, 5, 4, 3, 3, 2, true, true},
		{"3x3 relu, bands of 1 row, first layer", 2, 3, 4, 6, 2, 3, 1, true, false},
		{"1x1 no relu, bands of 2 rows", 2, 3, 5, 3, 4, 1, 2, false, true},
		{"5x5, bands of 3 rows", 2, 2, 7, 6, 2, 5, 3, false, true},
		{"batch of 9 (uneven parts)", 9, 1, 3, 3, 2, 3, 0, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(21, 22))
			gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
				x := G.NewTensor(g, tensor.Float64, 4, G.WithValue(randTensor(rng, tt.n, tt.c, tt.h, tt.w)), G.WithName("x"))
				w := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, tt.o, tt.c*tt.k*tt.k)), G.WithName("w"))
				b := G.NewVector(g, tensor.Float64, G.WithValue(randTensor(rng, tt.o)), G.WithName("b"))
				y, err := convSameBands(x, w, b, tt.k, tt.relu, tt.needDx, tt.rows)
				if err != nil {
					t.Fatal(err)
				}
				check := G.Nodes{w, b}
				if tt.needDx {
					check = append(check, x)
				}
				return check, projectSum(g, rng, y)
			})
		})
	}
}

// TestConvSameMatchesConv: band by band, convSame's output and gradients
// are conv2d's kernels' (and a ReLU), in float64 where the order of
// additions changes nothing visible; with the ReLU biting on some
// outputs (a test where it never does proves nothing).
func TestConvSameMatchesConv(t *testing.T) {
	for _, tt := range []struct {
		c, h, w, o, k, rows int
	}{
		{3, 6, 5, 4, 3, 0}, {3, 6, 5, 4, 3, 4}, {2, 9, 7, 3, 3, 2}, {4, 5, 6, 3, 1, 2}, {2, 7, 8, 2, 5, 3},
	} {
		rng := rand.New(rand.NewPCG(23, uint64(tt.rows)))
		const n = 3
		cg := convGeom{InC: tt.c, H: tt.h, W: tt.w, OutC: tt.o, K: tt.k, Pad: tt.k / 2, Stride: 1}
		bg := bandGeom{convGeom: cg}
		bg.Rows, bg.Ld = bands(cg, tt.rows)
		x, w, b := data64(randTensor(rng, n, tt.c, tt.h, tt.w)), data64(randTensor(rng, tt.o, cg.ckk())), data64(randTensor(rng, tt.o))
		dy := data64(randTensor(rng, n, tt.o, tt.h, tt.w))
		size := n * tt.o * tt.h * tt.w
		plain, banded, relu := make([]float64, size), make([]float64, size), make([]float64, size)
		convForward(cg, n, x, w, b, plain)
		convSameForward(bg, false, n, x, w, b, banded)
		convSameForward(bg, true, n, x, w, b, relu)
		zeroed := 0
		for i, v := range plain {
			if math.Abs(banded[i]-v) > 1e-12 || relu[i] != max(banded[i], 0) {
				t.Fatalf("%+v element %d: conv %v, banded %v, with ReLU %v", tt, i, v, banded[i], relu[i])
			}
			if v < 0 {
				zeroed++
			}
		}
		if zeroed == 0 || zeroed == size {
			t.Fatalf("%+v: %d of %d outputs negative: the ReLU is not exercised", tt, zeroed, size)
		}
		dxA, dxB := make([]float64, len(x)), make([]float64, len(x))
		convBackwardX(cg, n, w, dy, dxA)
		wflip := make([]float64, len(w))
		flipKernel(cg, w, wflip)
		convSameBackwardX(cg, n, wflip, dy, dxB)
		dwA, dwB := make([]float64, len(w)), make([]float64, len(w))
		dbA, dbB := make([]float64, tt.o), make([]float64, tt.o)
		convBackwardW(cg, n, x, dy, dwA, dbA)
		convSameBackwardW(bg, n, x, dy, dwB, dbB)
		for name, pair := range map[string][2][]float64{"dx": {dxA, dxB}, "dw": {dwA, dwB}, "db": {dbA, dbB}} {
			for i, v := range pair[0] {
				if math.Abs(pair[1][i]-v) > 1e-12*max(1, math.Abs(v)) {
					t.Fatalf("%+v %s[%d]: conv %v, banded %v", tt, name, i, v, pair[1][i])
				}
			}
		}
	}
}

// TestBands: a band's im2col rows are a multiple of 16 floats by an odd
// number (sgemm then reads them in place) and hold the band; a default
// band is as many rows as fit bandBytes, at least one and at most the
// image.
func TestBands(t *testing.T) {
	for _, tt := range []struct {
		c, h, w, rows int
	}{
		{64, 64, 64, 0}, {32, 128, 128, 0}, {16, 64, 64, 0}, {3, 128, 128, 0}, {512, 8, 512, 0},
		{3, 10, 10, 0}, {3, 10, 10, 3}, {3, 10, 10, 30}, {64, 32, 32, 1},
	} {
		g := convGeom{InC: tt.c, H: tt.h, W: tt.w, OutC: 8, K: 3, Pad: 1, Stride: 1}
		rows, ld := bands(g, tt.rows)
		if ld < rows*tt.w || ld%16 != 0 || (ld/16)%2 != 1 || ld-rows*tt.w > 32 {
			t.Errorf("%+v: stride %d; want an odd multiple of 16 just above %d", tt, ld, rows*tt.w)
		}
		rowBytes := 4 * g.ckk() * tt.w
		switch {
		case tt.rows > 0:
			if want := min(tt.rows, tt.h); rows != want {
				t.Errorf("%+v: %d rows, want %d", tt, rows, want)
			}
		case rows < 1 || rows > tt.h:
			t.Errorf("%+v: %d rows of an image of %d", tt, rows, tt.h)
		case rows > 1 && rows*rowBytes > bandBytes:
			t.Errorf("%+v: %d rows of %d bytes exceed bandBytes", tt, rows, rowBytes)
		case rows < tt.h && (rows+1)*rowBytes <= bandBytes:
			t.Errorf("%+v: %d rows of %d bytes; one more fits bandBytes", tt, rows, rowBytes)
		}
	}
}

func TestConcatChannelsGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		a := G.NewTensor(g, tensor.Float64, 4, G.WithValue(randTensor(rng, 3, 2, 4, 5)), G.WithName("a"))
		b := G.NewTensor(g, tensor.Float64, 4, G.WithValue(randTensor(rng, 3, 3, 4, 5)), G.WithName("b"))
		return G.Nodes{a, b}, projectSum(g, rng, G.Must(concatChannels(a, b)))
	})
}

// TestConcatChannelsValue: torch.cat([a, b], 1) element by element, with
// images large enough for several parts and a channel count past 256
// (gorgonia's Concat fails there; see the package comment).
func TestConcatChannelsValue(t *testing.T) {
	const n, ca, cb, hw = 10, 300, 7, 3
	a, b := make([]float32, n*ca*hw), make([]float32, n*cb*hw)
	for i := range a {
		a[i] = float32(i)
	}
	for i := range b {
		b[i] = -float32(i) - 1
	}
	y := make([]float32, n*(ca+cb)*hw)
	g := chanGeom{N: n, A: ca, B: cb, HW: hw}
	concatForward(g, a, b, y)
	for i := range n {
		for c := range ca + cb {
			for p := range hw {
				want := float32(0)
				if c < ca {
					want = a[(i*ca+c)*hw+p]
				} else {
					want = b[(i*cb+c-ca)*hw+p]
				}
				if got := y[(i*(ca+cb)+c)*hw+p]; got != want {
					t.Fatalf("image %d channel %d pixel %d: %v, want %v", i, c, p, got, want)
				}
			}
		}
	}
	back := make([]float32, len(b))
	channels(g, ca, ca+cb, y, back)
	if !slices.Equal(back, b) {
		t.Fatal("channels [A, A+B) of the concatenation are not b")
	}
}

func TestPixelXentGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 28))
	const n, k, h, w = 3, 4, 2, 3
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		l := randTensor(rng, n, k, h, w)
		for i := range data64(l) {
			data64(l)[i] *= 20 // large logits exercise the shift
		}
		y := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(n, h, w))
		for i := range data64(y) {
			data64(y)[i] = float64(rng.IntN(k))
		}
		logits := G.NewTensor(g, tensor.Float64, 4, G.WithValue(l), G.WithName("logits"))
		target := G.NewTensor(g, tensor.Float64, 3, G.WithValue(y), G.WithName("y"))
		cost := G.Must(G.Mul(G.Must(pixelXent(logits, target, nil)), G.NewConstant(3.0)))
		return G.Nodes{logits}, cost
	})
}

// TestPixelXentValue checks the loss against a hand computation and
// against softmaxXent on the same pixels laid out as rows.
func TestPixelXentValue(t *testing.T) {
	// One image, two classes, two pixels: logits (0, ln 3) at both; the
	// targets 1 and 0 give −ln(3/4) and −ln(1/4).
	l := []float64{0, 0, math.Log(3), math.Log(3)}
	want := (-math.Log(0.75) - math.Log(0.25)) / 2
	prob := make([]float64, 4)
	got, _, err := pixelXentForward(pixGeom{N: 1, K: 2, HW: 2}, l, []float64{1, 0}, nil, prob)
	if err != nil || math.Abs(got-want) > 1e-12 {
		t.Fatalf("loss %v (%v), want %v", got, err, want)
	}
	if want := []float64{0.25, 0.25, 0.75, 0.75}; math.Abs(prob[0]-want[0])+math.Abs(prob[2]-want[2]) > 1e-12 {
		t.Fatalf("softmax %v, want %v", prob, want)
	}

	rng := rand.New(rand.NewPCG(29, 30))
	g := pixGeom{N: 11, K: 5, HW: 7}
	l = make([]float64, g.N*g.K*g.HW)
	for i := range l {
		l[i] = 10 * rng.NormFloat64()
	}
	tgt := make([]float64, g.N*g.HW)
	rows, onehot := make([]float64, 0, len(l)), make([]float64, 0, len(l))
	for i := range tgt {
		tgt[i] = float64(rng.IntN(g.K))
	}
	for n := range g.N {
		for p := range g.HW {
			for k := range g.K {
				rows = append(rows, l[(n*g.K+k)*g.HW+p])
				onehot = append(onehot, float64(b2i(int(tgt[n*g.HW+p]) == k)))
			}
		}
	}
	got, _, err = pixelXentForward(g, l, tgt, nil, make([]float64, len(l)))
	if want := xentLoss(rows, onehot, g.N*g.HW, g.K); err != nil || math.Abs(got-want) > 1e-12*want {
		t.Fatalf("loss %v (%v), softmaxXent on rows %v", got, err, want)
	}

	for _, bad := range []float64{-1, 5, 2.5, math.NaN()} {
		tgt[17] = bad
		if _, _, err := pixelXentForward(g, l, tgt, nil, make([]float64, len(l))); err == nil {
			t.Errorf("target %v accepted", bad)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestDeconv2x2Gradient: the decoder's transposed convolution, kernel 2,
// stride 2, no padding (layers_test.go checks the VAE's 4/1/2).
func TestDeconv2x2Gradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		x := G.NewTensor(g, tensor.Float64, 4, G.WithValue(randTensor(rng, 3, 4, 2, 3)), G.WithName("x"))
		w := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, 4, 2*2*2)), G.WithName("w"))
		b := G.NewVector(g, tensor.Float64, G.WithValue(randTensor(rng, 2)), G.WithName("b"))
		y, err := deconv2d(x, w, b, 2, 0, 2, 4, 6)
		if err != nil {
			t.Fatal(err)
		}
		return G.Nodes{x, w, b}, projectSum(g, rng, y)
	})
}

// TestExpNonPos: within 1e-8 of math.Exp, relatively, over [−87, 0], at
// the ends and at the reduction's interval edges (±ln 2/2 around k·ln 2).
func TestExpNonPos(t *testing.T) {
	xs := []float64{0, -1e-300, -0.5 * math.Ln2, -1.5 * math.Ln2, -math.Ln2, -1, -10, -86.99}
	rng := rand.New(rand.NewPCG(33, 34))
	for range 100000 {
		xs = append(xs, -87*rng.Float64())
	}
	worst := 0.0
	for _, x := range xs {
		want, got := math.Exp(x), expNonPos(x)
		if d := math.Abs(got-want) / want; d > worst {
			worst = d
		}
	}
	if worst > 1e-8 {
		t.Fatalf("largest relative error %.3g, want ≤ 1e-8", worst)
	}
	for _, x := range []float64{-87.5, -1000, math.Inf(-1), math.NaN()} {
		if got := expNonPos(x); got != 0 {
			t.Errorf("expNonPos(%v) = %v, want 0", x, got)
		}
	}
	t.Logf("largest relative error %.3g", worst)
}

// TestPixelXentFloat32: the float32 path (fast exponentials) agrees with
// the float64 path (math.Exp) on the loss and the softmax.
func TestPixelXentFloat32(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 36))
	g := pixGeom{N: 5, K: 13, HW: 64}
	l64, l32 := make([]float64, g.N*g.K*g.HW), make([]float32, g.N*g.K*g.HW)
	for i := range l32 {
		l32[i] = float32(8 * rng.NormFloat64())
		l64[i] = float64(l32[i])
	}
	t64, t32 := make([]float64, g.N*g.HW), make([]float32, g.N*g.HW)
	for i := range t32 {
		t32[i] = float32(rng.IntN(g.K))
		t64[i] = float64(t32[i])
	}
	p64, p32 := make([]float64, len(l64)), make([]float32, len(l32))
	want, _, err := pixelXentForward(g, l64, t64, nil, p64)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := pixelXentForward(g, l32, t32, nil, p32)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-want) > 1e-7*want {
		t.Fatalf("float32 loss %v, float64 %v", got, want)
	}
	for i, p := range p32 {
		if math.Abs(float64(p)-p64[i]) > 1e-6*max(p64[i], 1e-30) {
			t.Fatalf("softmax %d: float32 %v, float64 %v", i, p, p64[i])
		}
	}
}

func TestDeconv2x2OpGradient(t *testing.T) {
	for _, n := range []int{3, 9} {
		rng := rand.New(rand.NewPCG(37, uint64(n)))
		gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
			x := G.NewTensor(g, tensor.Float64, 4, G.WithValue(randTensor(rng, n, 4, 2, 3)), G.WithName("x"))
			w := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, 4, 3*4)), G.WithName("w"))
			b := G.NewVector(g, tensor.Float64, G.WithValue(randTensor(rng, 3)), G.WithName("b"))
			y, err := deconv2x2(x, w, b)
			if err != nil {
				t.Fatal(err)
			}
			if s := y.Shape(); !s.Eq(tensor.Shape{n, 3, 4, 6}) {
				t.Fatalf("shape %v, want (%d, 3, 4, 6)", s, n)
			}
			return G.Nodes{x, w, b}, projectSum(g, rng, y)
		})
	}
}

// TestDeconv2x2MatchesDeconv: the fused op computes deconv2d's values
// (kernel 2, stride 2, no padding) and gradients.
func TestDeconv2x2MatchesDeconv(t *testing.T) {
	rng := rand.New(rand.NewPCG(39, 40))
	const n, c, o, h, w = 5, 6, 4, 3, 5
	xv, wv, bv := randTensor(rng, n, c, h, w), randTensor(rng, c, o*4), randTensor(rng, o)
	proj := randTensor(rng, n, o, 2*h, 2*w)
	run := func(fused bool) (y []float64, grads [3][]float64) {
		g := G.NewGraph()
		x := G.NewTensor(g, tensor.Float64, 4, G.WithValue(xv.Clone()), G.WithName("x"))
		wt := G.NewMatrix(g, tensor.Float64, G.WithValue(wv.Clone()), G.WithName("w"))
		b := G.NewVector(g, tensor.Float64, G.WithValue(bv.Clone()), G.WithName("b"))
		var out *G.Node
		var err error
		if fused {
			out, err = deconv2x2(x, wt, b)
		} else {
			out, err = deconv2d(x, wt, b, 2, 0, 2, 2*h, 2*w)
		}
		if err != nil {
			t.Fatal(err)
		}
		p := G.NewTensor(g, tensor.Float64, 4, G.WithValue(proj.Clone()))
		cost := G.Must(G.Sum(G.Must(G.HadamardProd(out, p))))
		if _, err := G.Grad(cost, x, wt, b); err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g, G.BindDualValues(x, wt, b))
		defer vm.Close()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		y = append(y, out.Value().Data().([]float64)...)
		for i, nd := range []*G.Node{x, wt, b} {
			gv, err := nd.Grad()
			if err != nil {
				t.Fatal(err)
			}
			grads[i] = append(grads[i], gv.Data().([]float64)...)
		}
		return y, grads
	}
	y1, g1 := run(true)
	y2, g2 := run(false)
	for i := range y2 {
		if math.Abs(y1[i]-y2[i]) > 1e-12 {
			t.Fatalf("y[%d]: fused %v, deconv2d %v", i, y1[i], y2[i])
		}
	}
	for k, name := range []string{"dx", "dw", "db"} {
		for i := range g2[k] {
			if math.Abs(g1[k][i]-g2[k][i]) > 1e-12 {
				t.Fatalf("%s[%d]: fused %v, deconv2d %v", name, i, g1[k][i], g2[k][i])
			}
		}
	}
}

// TestConvSameFloat32: the float32 path (sgemm reading im2col bands in
// place) agrees with float64 at a width and depth like the net's, over
// one band and several.
func TestConvSameFloat32(t *testing.T) {
	for _, rows := range []int{0, 3} {
		rng := rand.New(rand.NewPCG(41, uint64(rows)))
		const n = 2
		g := convGeom{InC: 16, H: 10, W: 128, OutC: 32, K: 3, Pad: 1, Stride: 1}
		bg := bandGeom{convGeom: g}
		bg.Rows, bg.Ld = bands(g, rows)
		x64, w64, b64 := data64(randTensor(rng, n, g.InC, g.H, g.W)), data64(randTensor(rng, g.OutC, g.ckk())), data64(randTensor(rng, g.OutC))
		f32 := func(v []float64) []float32 {
			out := make([]float32, len(v))
			for i, e := range v {
				out[i] = float32(e)
			}
			return out
		}
		y64, y32 := make([]float64, n*g.OutC*g.H*g.W), make([]float32, n*g.OutC*g.H*g.W)
		convSameForward(bg, false, n, x64, w64, b64, y64)
		convSameForward(bg, false, n, f32(x64), f32(w64), f32(b64), y32)
		for i, v := range y64 {
			// 145 products of magnitude ≤ 1: float32 rounding stays near 1e-5.
			if math.Abs(float64(y32[i])-v) > 1e-4 {
				t.Fatalf("rows %d element %d: float32 %v, float64 %v", rows, i, y32[i], v)
			}
		}
	}
}

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
		cost := G.Must(G.Mul(G.Must(pixelXent(logits, target)), G.NewConstant(3.0)))
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
	got, err := pixelXentForward(pixGeom{N: 1, K: 2, HW: 2}, l, []float64{1, 0}, prob)
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
	got, err = pixelXentForward(g, l, tgt, make([]float64, len(l)))
	if want := xentLoss(rows, onehot, g.N*g.HW, g.K); err != nil || math.Abs(got-want) > 1e-12*want {
		t.Fatalf("loss %v (%v), softmaxXent on rows %v", got, err, want)
	}

	for _, bad := range []float64{-1, 5, 2.5, math.NaN()} {
		tgt[17] = bad
		if _, err := pixelXentForward(g, l, tgt, make([]float64, len(l))); err == nil {
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

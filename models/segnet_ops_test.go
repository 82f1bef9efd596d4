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

func TestConvReluGradient(t *testing.T) {
	tests := []struct {
		name                    string
		n, c, h, w, o, k, p, st int
		needDx                  bool
	}{
		{"3x3 pad 1", 3, 2, 5, 4, 3, 3, 1, 1, true},
		{"3x3 pad 1, first layer", 2, 3, 4, 6, 2, 3, 1, 1, false},
		{"batch of 9 (uneven parts)", 9, 1, 3, 3, 2, 3, 1, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(21, 22))
			gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
				x := G.NewTensor(g, tensor.Float64, 4, G.WithValue(randTensor(rng, tt.n, tt.c, tt.h, tt.w)), G.WithName("x"))
				w := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, tt.o, tt.c*tt.k*tt.k)), G.WithName("w"))
				b := G.NewVector(g, tensor.Float64, G.WithValue(randTensor(rng, tt.o)), G.WithName("b"))
				y, err := convRelu(x, w, b, tt.k, tt.p, tt.st, tt.needDx)
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

// TestConvReluValue: convRelu is conv2d's output with negatives zeroed, and
// some are (a test whose ReLU never bites proves nothing).
func TestConvReluValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	gc := convGeom{InC: 3, H: 6, W: 5, OutC: 4, K: 3, Pad: 1, Stride: 1}
	x, w, b := randTensor(rng, 2, 3, 6, 5), randTensor(rng, 4, 27), randTensor(rng, 4)
	plain := make([]float64, 2*4*6*5)
	fused := make([]float64, len(plain))
	convForward(gc, 2, data64(x), data64(w), data64(b), plain)
	convReluForward(gc, 2, data64(x), data64(w), data64(b), fused)
	zeroed := 0
	for i, v := range plain {
		if want := max(v, 0); fused[i] != want {
			t.Fatalf("element %d: %v, want max(%v, 0)", i, fused[i], v)
		}
		if v < 0 {
			zeroed++
		}
	}
	if zeroed == 0 || zeroed == len(plain) {
		t.Fatalf("%d of %d outputs negative: the test does not exercise the ReLU", zeroed, len(plain))
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

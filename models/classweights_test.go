package models

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestPixelXentWeightedGradient: the class-weighted loss's gradient, with
// one class weighing 0 and the others unequal, against central
// differences.
func TestPixelXentWeightedGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	const n, k, h, w = 3, 4, 2, 3
	weights := []float64{0.5, 0, 3, 1.25}
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		l := randTensor(rng, n, k, h, w)
		for i := range data64(l) {
			data64(l)[i] *= 20
		}
		y := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(n, h, w))
		for i := range data64(y) {
			data64(y)[i] = float64(i % k) // every class, the 0-weight one too
		}
		logits := G.NewTensor(g, tensor.Float64, 4, G.WithValue(l), G.WithName("logits"))
		target := G.NewTensor(g, tensor.Float64, 3, G.WithValue(y), G.WithName("y"))
		cost := G.Must(G.Mul(G.Must(pixelXent(logits, target, weights)), G.NewConstant(3.0)))
		return G.Nodes{logits}, cost
	})
}

// TestPixelXentWeightedValue: the weighted loss against a hand
// computation, and weights that change nothing (all 1, or all 2) against
// the unweighted loss, bit for bit for all 1. Ignoring the weights fails
// the hand computation; normalising by the pixel count instead of the
// weights' sum fails the all-2 case.
func TestPixelXentWeightedValue(t *testing.T) {
	// One image, two classes, two pixels, logits (0, ln 3) at both:
	// targets 1 and 0 lose −ln(3/4) and −ln(1/4). Weights 3 and 1 give
	// (1·(−ln 3/4) + 3·(−ln 1/4)) / (1 + 3).
	l := []float64{0, 0, math.Log(3), math.Log(3)}
	tgt := []float64{1, 0}
	w := []float64{3, 1}
	want := (-math.Log(0.75) - 3*math.Log(0.25)) / 4
	got, norm, err := pixelXentForward(pixGeom{N: 1, K: 2, HW: 2}, l, tgt, w, make([]float64, 4))
	if err != nil || math.Abs(got-want) > 1e-12 || norm != 4 {
		t.Fatalf("loss %v, divisor %v (%v); want %v and 4", got, norm, err, want)
	}
	unweighted, _, _ := pixelXentForward(pixGeom{N: 1, K: 2, HW: 2}, l, tgt, nil, make([]float64, 4))
	if math.Abs(unweighted-want) < 0.1 {
		t.Fatalf("the weights move the loss by %v only: the test cannot tell them from none", unweighted-want)
	}

	rng := rand.New(rand.NewPCG(43, 44))
	g := pixGeom{N: 5, K: 13, HW: 64}
	l32 := make([]float32, g.N*g.K*g.HW)
	for i := range l32 {
		l32[i] = float32(8 * rng.NormFloat64())
	}
	t32 := make([]float32, g.N*g.HW)
	for i := range t32 {
		t32[i] = float32(rng.IntN(g.K))
	}
	base, _, _ := pixelXentForward(g, l32, t32, nil, make([]float32, len(l32)))
	for _, c := range []struct {
		w     float64
		exact bool
	}{{1, true}, {2, false}} {
		ws := slices.Repeat([]float64{c.w}, g.K)
		v, _, err := pixelXentForward(g, l32, t32, ws, make([]float32, len(l32)))
		if err != nil {
			t.Fatal(err)
		}
		if c.exact && v != base || math.Abs(v-base) > 1e-12*base {
			t.Errorf("every class weighing %v: loss %v, unweighted %v", c.w, v, base)
		}
	}
}

// TestPixelXentWeightedGrad: the float32 gradient of a weighted loss is
// w[target]/Σw times the unweighted pixel's, and 0 where the target's
// weight is 0; with every pixel weighing 0 the loss and the gradient are
// 0.
func TestPixelXentWeightedGrad(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 46))
	g := pixGeom{N: 3, K: 4, HW: 10}
	l := make([]float32, g.N*g.K*g.HW)
	for i := range l {
		l[i] = float32(rng.NormFloat64())
	}
	tgt := make([]float32, g.N*g.HW)
	for i := range tgt {
		tgt[i] = float32(i % g.K)
	}
	w := []float64{0, 1, 2, 4}
	p, pw := make([]float32, len(l)), make([]float32, len(l))
	_, n0, _ := pixelXentForward(g, l, tgt, nil, p)
	_, nw, _ := pixelXentForward(g, l, tgt, w, pw)
	d, dw := make([]float32, len(l)), make([]float32, len(l))
	pixelXentBackward(g, p, tgt, nil, d, 1, n0)
	pixelXentBackward(g, pw, tgt, w, dw, 1, nw)
	for n := range g.N {
		for k := range g.K {
			for i := range g.HW {
				j := (n*g.K+k)*g.HW + i
				want := float64(d[j]) * n0 * w[int(tgt[n*g.HW+i])] / nw
				if math.Abs(float64(dw[j])-want) > 1e-6*math.Abs(want)+1e-9 {
					t.Fatalf("image %d class %d pixel %d: gradient %v, want %v", n, k, i, dw[j], want)
				}
			}
		}
	}
	zero := []float64{0, 0, 0, 1}
	for i := range tgt {
		tgt[i] = float32(i % 3) // no pixel of class 3
	}
	v, nz, err := pixelXentForward(g, l, tgt, zero, pw)
	if err != nil || v != 0 || nz != 0 {
		t.Fatalf("every pixel weighing 0: loss %v, divisor %v (%v); want 0, 0", v, nz, err)
	}
	for i := range dw {
		dw[i] = 1
	}
	pixelXentBackward(g, pw, tgt, zero, dw, 1, nz)
	if slices.ContainsFunc(dw, func(v float32) bool { return v != 0 }) {
		t.Fatal("every pixel weighing 0: a gradient not 0")
	}
}

func TestPixelXentRefusesWeights(t *testing.T) {
	tests := []struct {
		w    []float64
		want string
	}{
		{[]float64{1, 1}, "2 class weights for 3 classes"},
		{[]float64{1, -1, 1}, "class 1 has weight -1"},
		{[]float64{1, math.NaN(), 1}, "class 1 has weight NaN"},
		{[]float64{math.Inf(1), 1, 1}, "class 0 has weight +Inf"},
		{[]float64{0, 0, 0}, "every class weight is 0"},
	}
	for _, tt := range tests {
		g := G.NewGraph()
		logits := G.NewTensor(g, tensor.Float64, 4, G.WithShape(1, 3, 2, 2), G.WithName("l"))
		y := G.NewTensor(g, tensor.Float64, 3, G.WithShape(1, 2, 2), G.WithName("y"))
		if _, err := pixelXent(logits, y, tt.w); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("weights %v: error %v, want one containing %q", tt.w, err, tt.want)
		}
	}
}

// TestMedianFrequencyWeights against a hand computation. Three masks of
// four pixels:
//
//	[0 0 0 1]  [0 0 1 1]  [2 2 2 2]
//
// class 0: 5 pixels in the 8 of the two masks it is in, 5/8;
// class 1: 3 in 8, 3/8; class 2: 4 in 4, 1; class 3: in none.
// The median of 3/8, 5/8, 1 is 5/8: weights 1, 5/3, 5/8, and 1 for the
// absent class. Frequencies over all 12 pixels instead (5/12, 3/12,
// 4/12) would give 4/5, 4/3, 1.
func TestMedianFrequencyWeights(t *testing.T) {
	masks := []uint8{0, 0, 0, 1, 0, 0, 1, 1, 2, 2, 2, 2}
	got, err := MedianFrequencyWeights(masks, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{1, 5.0 / 3, 5.0 / 8, 1}
	for c := range want {
		if math.Abs(got[c]-want[c]) > 1e-15 {
			t.Fatalf("weights %v, want %v", got, want)
		}
	}
	// An even number of present classes takes the mean of the middle
	// two: frequencies 1/4, 3/4 → median 1/2, weights 2, 2/3.
	if got, _ := MedianFrequencyWeights([]uint8{0, 1, 1, 1}, 4, 2); math.Abs(got[0]-2) > 1e-15 || math.Abs(got[1]-2.0/3) > 1e-15 {
		t.Fatalf("two classes: weights %v, want [2 0.667]", got)
	}
	for _, bad := range []struct {
		masks       []uint8
		hw, classes int
		want        string
	}{
		{nil, 4, 4, "positive whole number of masks"},
		{masks[:5], 4, 4, "positive whole number of masks"},
		{masks, 0, 4, "positive whole number of masks"},
		{masks, 4, 2, "mask 2 has class 2; want 0 to 1"},
		{masks, 4, 0, "want 1 to 256"},
	} {
		if _, err := MedianFrequencyWeights(bad.masks, bad.hw, bad.classes); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v in masks of %d for %d classes: error %v, want one containing %q", bad.masks, bad.hw, bad.classes, err, bad.want)
		}
	}
}

// TestSegNetClassWeights: the net's loss uses Config.ClassWeights. With
// only class 0 weighing, the loss is the mean cross-entropy of class 0's
// pixels, computed here from the net's own logits; with every class
// weighing 1 it is the unweighted loss, bit for bit. A net that dropped
// its weights fails the first.
func TestSegNetClassWeights(t *testing.T) {
	d := rectangles(4, 8, 5)
	cfg := SegNetConfig{Input: d.Shape, Classes: 4, Widths: [3]int{2, 3, 4}, Seed: 3}
	loss := func(w []float64) (float64, []float32) {
		c := cfg
		c.ClassWeights = w
		s, err := NewSegNet(c)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		gr, err := s.Graph(d.Len(), true)
		if err != nil {
			t.Fatal(err)
		}
		x := tensor.New(tensor.WithShape(d.Len(), 3, 8, 8), tensor.Of(tensor.Float32))
		y := tensor.New(tensor.WithShape(d.Len(), 8, 8), tensor.Of(tensor.Float32))
		s.Feeder(d)([]*tensor.Dense{x, y}, []int{0, 1, 2, 3})
		if err := gr.Run(x, y); err != nil {
			t.Fatal(err)
		}
		v, err := scalarOf(gr.Loss.Value())
		if err != nil {
			t.Fatal(err)
		}
		return v, slices.Clone(gr.Outputs[0].Value().Data().([]float32))
	}
	plain, logits := loss(nil)
	if ones, _ := loss([]float64{1, 1, 1, 1}); ones != plain {
		t.Errorf("every class weighing 1: loss %v, unweighted %v", ones, plain)
	}
	only0, _ := loss([]float64{1, 0, 0, 0})
	var sum float64
	var count int
	const k, hw = 4, 64
	for n := range d.Len() {
		for i := range hw {
			if d.Masks[n*hw+i] != 0 {
				continue
			}
			mx := math.Inf(-1)
			for c := range k {
				mx = max(mx, float64(logits[(n*k+c)*hw+i]))
			}
			se := 0.0
			for c := range k {
				se += math.Exp(float64(logits[(n*k+c)*hw+i]) - mx)
			}
			sum += mx + math.Log(se) - float64(logits[(n*k)*hw+i])
			count++
		}
	}
	if count == 0 || count == len(d.Masks) {
		t.Fatalf("%d of %d pixels are class 0: the test needs some of each", count, len(d.Masks))
	}
	if want := sum / float64(count); math.Abs(only0-want) > 1e-5*want {
		t.Errorf("only class 0 weighing: loss %v, class 0's mean cross-entropy %v (unweighted %v)", only0, want, plain)
	}
}

package models

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestRelationGradient(t *testing.T) {
	tests := []struct {
		name           string
		n, k, d, q     int
		needDO, needDQ bool
		// absent zeroes the last object of every other scene (padding),
		// and the op masks absent objects' pairs.
		absent bool
	}{
		{"objects need gradients", 3, 3, 2, 2, true, false, false},
		{"objects are inputs", 2, 4, 3, 1, false, false, false},
		{"one object", 3, 1, 2, 2, true, false, false},
		{"batch of 11 (uneven parts)", 11, 2, 2, 1, true, false, false},
		// A text question's q is computed: rn (objects from the stem) and
		// state-rn (objects are inputs) differentiate it.
		{"rn with computed questions", 3, 3, 2, 3, true, true, false},
		{"state-rn with computed questions", 2, 4, 3, 5, false, true, false},
		{"computed questions, batch of 11", 11, 3, 2, 2, false, true, false},
		// Padding rows masked: their pairs are left out of the sum.
		{"masked padding", 3, 3, 2, 3, false, true, true},
		{"masked padding, batch of 11", 11, 3, 2, 2, false, true, true},
	}
	const h = 4
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(21, 22))
			gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
				ov := randTensor(rng, tt.n, tt.k, tt.d)
				if tt.absent {
					for n := 0; n < tt.n; n += 2 {
						clear(ov.Data().([]float64)[(n*tt.k+tt.k-1)*tt.d:][:tt.d])
					}
				}
				o := G.NewTensor(g, tensor.Float64, 3, G.WithValue(ov), G.WithName("o"))
				q := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, tt.n, tt.q)), G.WithName("q"))
				var w [8]*G.Node
				for i, s := range (relGeom{tt.n, tt.k, tt.d, tt.q, h}).weightShapes() {
					w[i] = G.NewTensor(g, tensor.Float64, s.Dims(), G.WithValue(randTensor(rng, s...)), G.WithName(string(rune('a'+i))))
				}
				y, _, err := relation(o, q, w, tt.needDO, tt.needDQ, true, tt.absent)
				if err != nil {
					t.Fatal(err)
				}
				check := G.Nodes(w[:])
				if tt.needDQ {
					check = append(G.Nodes{q}, check...)
				}
				if tt.needDO {
					check = append(G.Nodes{o}, check...)
				}
				return check, projectSum(g, rng, y)
			})
		})
	}
}

func TestGridObjectsGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		x := G.NewTensor(g, tensor.Float64, 4, G.WithValue(randTensor(rng, 2, 3, 2, 3)), G.WithName("x"))
		return G.Nodes{x}, projectSum(g, rng, G.Must(gridObjects(x)))
	})
}

func TestBatchNormGradient(t *testing.T) {
	tests := []struct {
		name       string
		n, c, h, w int
	}{
		{"3×2×2×3", 3, 2, 2, 3},
		{"one pixel, batch 2", 2, 3, 1, 1},
		{"11 channels (uneven parts)", 2, 11, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(25, 26))
			ps := NewParamSet(1)
			mean, variance := ps.Zeros("mean", tt.c), ps.Zeros("var", tt.c)
			gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
				x := G.NewTensor(g, tensor.Float64, 4, G.WithValue(randTensor(rng, tt.n, tt.c, tt.h, tt.w)), G.WithName("x"))
				gamma := G.NewVector(g, tensor.Float64, G.WithValue(randTensor(rng, tt.c)), G.WithName("gamma"))
				beta := G.NewVector(g, tensor.Float64, G.WithValue(randTensor(rng, tt.c)), G.WithName("beta"))
				y, err := bnRelu(x, gamma, beta, mean, variance, true)
				if err != nil {
					t.Fatal(err)
				}
				return G.Nodes{x, gamma, beta}, projectSum(g, rng, y)
			})
		})
	}
}

// naiveRelation is g's plain formulation: every pair's [o_i, o_j, q]
// through four dense ReLU layers, summed, in float64.
func naiveRelation(g relGeom, a relArgs[float64]) []float64 {
	out := make([]float64, g.N*g.H)
	in := 2*g.D + g.Q
	dense := func(x, w, b []float64, nOut int) []float64 {
		y := make([]float64, nOut)
		for j := range nOut {
			s := b[j]
			for i, v := range x {
				s += v * w[i*nOut+j]
			}
			y[j] = max(0, s)
		}
		return y
	}
	for n := range g.N {
		for i := range g.K {
			for j := range g.K {
				v := make([]float64, 0, in)
				v = append(v, a.o[(n*g.K+i)*g.D:][:g.D]...)
				v = append(v, a.o[(n*g.K+j)*g.D:][:g.D]...)
				v = append(v, a.q[n*g.Q:][:g.Q]...)
				for l := range 4 {
					v = dense(v, a.w[2*l], a.w[2*l+1], g.H)
				}
				for k, x := range v {
					out[n*g.H+k] += x
				}
			}
		}
	}
	return out
}

// TestRelationFactoredMatchesNaive checks the factored, batched g against
// the plain formulation at the reference sizes (25 objects of 26 values,
// 18-element questions, width 256), in float64 and float32.
func TestRelationFactoredMatchesNaive(t *testing.T) {
	g := relGeom{N: 3, K: 25, D: 26, Q: 18, H: 256}
	rng := rand.New(rand.NewPCG(31, 32))
	uniform := func(n int, scale float64) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = scale * (2*rng.Float64() - 1)
		}
		return s
	}
	var a relArgs[float64]
	a.o, a.q = uniform(g.N*g.K*g.D, 1), uniform(g.N*g.Q, 1)
	for i, s := range g.weightShapes() {
		a.w[i] = uniform(s.TotalSize(), 1/math.Sqrt(float64(s[0]))) // PyTorch's scale
	}
	want := naiveRelation(g, a)
	var nonZero int
	for _, v := range want {
		if v != 0 {
			nonZero++
		}
	}
	if nonZero < len(want)/4 {
		t.Fatalf("only %d of %d sums are non-zero: the test would not test much", nonZero, len(want))
	}
	got64 := make([]float64, g.N*g.H)
	relForward(g, a, &relTape[float64]{h: tapeBufs[float64](g)}, got64)
	var a32 relArgs[float32]
	a32.o, a32.q = to32(a.o), to32(a.q)
	for i := range a.w {
		a32.w[i] = to32(a.w[i])
	}
	got32 := make([]float32, g.N*g.H)
	relForward(g, a32, &relTape[float32]{h: tapeBufs[float32](g)}, got32)
	for i, w := range want {
		// float64: the sums differ only in order (about 1e-15 relative);
		// float32: 1e-4 relative to the largest sum covers 6 layers of
		// float32 rounding over 625 pairs.
		if d := math.Abs(got64[i] - w); d > 1e-10*max(1, math.Abs(w)) {
			t.Fatalf("float64 sum %d: factored %v, naive %v", i, got64[i], w)
		}
		if d := math.Abs(float64(got32[i]) - w); d > 1e-4*max(1, math.Abs(w)) {
			t.Fatalf("float32 sum %d: factored %v, naive %v", i, got32[i], w)
		}
	}
}

func tapeBufs[F float](g relGeom) [4][]F {
	var h [4][]F
	for l := range h {
		h[l] = make([]F, g.N*g.pairs()*g.H)
	}
	return h
}

func to32(s []float64) []float32 {
	out := make([]float32, len(s))
	for i, v := range s {
		out[i] = float32(v)
	}
	return out
}

// TestBatchNormMaskSums32 holds the branchless float32 kernel to the plain
// one (which the float64 gradient check covers): the same dz, sums equal
// to rounding.
func TestBatchNormMaskSums32(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	for _, n := range []int{0, 1, 2, 7, 1444} {
		x, d := make([]float32, n), make([]float32, n)
		for i := range x {
			x[i], d[i] = 2*rng.Float32()-1, 2*rng.Float32()-1
		}
		x64, d64 := make([]float64, n), make([]float64, n)
		for i := range x {
			x64[i], d64[i] = float64(x[i]), float64(d[i])
		}
		o, o64 := make([]float32, n), make([]float64, n)
		const a, b = 1.5, 0.25
		s, sx := bnMaskSums32(x, d, o, a, b)
		w, wx := bnMaskSums(x64, d64, o64, a, b)
		for i := range o {
			if float64(o[i]) != o64[i] {
				t.Fatalf("n=%d: dz[%d] = %v, plain %v (x %v)", n, i, o[i], o64[i], x[i])
			}
		}
		if math.Abs(s-w) > 1e-9 || math.Abs(sx-wx) > 1e-9 {
			t.Fatalf("n=%d: sums %v %v, plain %v %v", n, s, sx, w, wx)
		}
	}
}

// TestMaskRelu32 holds the branchless kernel to the plain one.
func TestMaskRelu32(t *testing.T) {
	y := []float32{1, 0, -1, float32(math.Inf(1)), -0.0, 1e-30, -2, 3}
	d := []float32{1, 2, 3, 4, 5, 6, 7, -8}
	want := []float32{1, 0, 0, 4, 0, 6, 0, -8}
	maskRelu32(d, y)
	for i := range want {
		if d[i] != want[i] {
			t.Fatalf("got %v, want %v", d, want)
		}
	}
}

// TestBatchNormMaskEdges: outputs of exactly +0, −0, tiny and infinite
// values mask as the forward ReLU does (gradient only where z > 0).
func TestBatchNormMaskEdges(t *testing.T) {
	// a = 1, b = 0: z = x.
	x := []float32{0, float32(math.Copysign(0, -1)), 1e-45, -1e-45, float32(math.Inf(1)), float32(math.Inf(-1)), 3, -3}
	d := []float32{1, 1, 1, 1, 1, 1, 1, 1}
	want := []float32{0, 0, 1, 0, 1, 0, 1, 0}
	o := make([]float32, len(x))
	bnMaskSums32(x, d, o, 1, 0)
	for i := range want {
		if o[i] != want[i] {
			t.Fatalf("x = %v: dz %v, want %v", x[i], o[i], want[i])
		}
	}
}

// TestRelationMaskMatchesFewerObjects: with the mask, a scene's sum is
// the unmasked sum over its present objects alone, wherever its absent
// (all-zero) rows are, and a scene with none present sums to zero.
func TestRelationMaskMatchesFewerObjects(t *testing.T) {
	g := relGeom{N: 4, K: 5, D: 3, Q: 2, H: 6}
	absent := [][]int{{}, {3, 4}, {1, 3}, {0, 1, 2, 3, 4}}
	rng := rand.New(rand.NewPCG(51, 52))
	uniform := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = 2*rng.Float64() - 1
		}
		return s
	}
	var a relArgs[float64]
	a.o, a.q = uniform(g.N*g.K*g.D), uniform(g.N*g.Q)
	for i, s := range g.weightShapes() {
		a.w[i] = uniform(s.TotalSize())
	}
	for n, rows := range absent {
		for _, i := range rows {
			clear(a.o[(n*g.K+i)*g.D:][:g.D])
		}
	}
	got := make([]float64, g.N*g.H)
	relForward(g, a, &relTape[float64]{h: tapeBufs[float64](g), keep: make([]bool, g.N*g.pairs())}, got)
	for n, rows := range absent {
		var b relArgs[float64]
		b.w, b.q = a.w, a.q[n*g.Q:][:g.Q]
		for i := range g.K {
			if !slices.Contains(rows, i) {
				b.o = append(b.o, a.o[(n*g.K+i)*g.D:][:g.D]...)
			}
		}
		want := make([]float64, g.H)
		if k := g.K - len(rows); k > 0 {
			one := relGeom{N: 1, K: k, D: g.D, Q: g.Q, H: g.H}
			relForward(one, b, &relTape[float64]{h: tapeBufs[float64](one)}, want)
		}
		for k, w := range want {
			if d := math.Abs(got[n*g.H+k] - w); d > 1e-12 {
				t.Errorf("scene %d (absent %v), unit %d: masked %v, over the present objects %v", n, rows, k, got[n*g.H+k], w)
			}
		}
	}
}

package models

import (
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// projectSum is ⟨y, P⟩ for a fixed random P: a scalar to which every
// element of y contributes, so a gradient check covers all of them.
func projectSum(g *G.ExprGraph, rng *rand.Rand, y *G.Node) *G.Node {
	proj := G.NewTensor(g, tensor.Float64, y.Shape().Dims(), G.WithValue(randTensor(rng, y.Shape()...)))
	return G.Must(G.Sum(G.Must(G.HadamardProd(y, proj))))
}

func TestDeconvGradient(t *testing.T) {
	tests := []struct {
		name                           string
		n, c, h, w, o, k, p, s, oh, ow int
	}{
		{"doubling 4/1/2", 2, 3, 3, 4, 2, 4, 1, 2, 6, 8},
		{"same size 3/1/1", 2, 2, 4, 3, 3, 3, 1, 1, 4, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 12))
			gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
				x := G.NewTensor(g, tensor.Float64, 4, G.WithValue(randTensor(rng, tt.n, tt.c, tt.h, tt.w)), G.WithName("x"))
				w := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, tt.c, tt.o*tt.k*tt.k)), G.WithName("w"))
				b := G.NewVector(g, tensor.Float64, G.WithValue(randTensor(rng, tt.o)), G.WithName("b"))
				y, err := deconv2d(x, w, b, tt.k, tt.p, tt.s, tt.oh, tt.ow)
				if err != nil {
					t.Fatal(err)
				}
				if s := y.Shape(); s[1] != tt.o || s[2] != tt.oh || s[3] != tt.ow {
					t.Fatalf("shape %v", s)
				}
				return G.Nodes{x, w, b}, projectSum(g, rng, y)
			})
		})
	}
}

// The transposed convolution is the adjoint of the convolution:
// ⟨conv(u), v⟩ = ⟨u, convᵀ(v)⟩ for every u, v (with no bias).
func TestDeconvIsTheAdjointOfConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	g := convGeom{InC: 2, H: 6, W: 8, OutC: 3, K: 4, Pad: 1, Stride: 2}
	u := randTensor(rng, 1, g.InC, g.H, g.W).Data().([]float64)
	v := randTensor(rng, 1, g.OutC, g.outH(), g.outW()).Data().([]float64)
	w := randTensor(rng, g.OutC, g.ckk()).Data().([]float64)
	cu := make([]float64, len(v))
	convForward(g, 1, u, w, make([]float64, g.OutC), cu)
	dv := make([]float64, len(u))
	deconvForward(g, 1, v, w, make([]float64, g.InC), dv)
	var a, b float64
	for i := range v {
		a += cu[i] * v[i]
	}
	for i := range u {
		b += u[i] * dv[i]
	}
	if d := a - b; d > 1e-10 || d < -1e-10 {
		t.Fatalf("<conv u, v> = %v, <u, conv^T v> = %v", a, b)
	}
}

func TestEmbedGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		table := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, 5, 3)), G.WithName("table"))
		ids := tensor.New(tensor.WithBacking([]float64{4, 0, 4, 2}), tensor.WithShape(4)) // 4 repeats: gradients add
		idn := G.NewVector(g, tensor.Float64, G.WithValue(ids), G.WithName("ids"))
		y := G.Must(embed(table, idn))
		return G.Nodes{table}, projectSum(g, rng, y)
	})
}

func TestLSTMGradientOverTwoSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		const n, in, hid = 2, 3, 4
		w := LSTMWeights{
			Wx: []*G.Node{G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, in, 4*hid)), G.WithName("Wx"))},
			Wh: G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, hid, 4*hid)), G.WithName("Wh")),
			B:  G.NewVector(g, tensor.Float64, G.WithValue(randTensor(rng, 4*hid)), G.WithName("b")),
		}
		h := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, n, hid)), G.WithName("h0"))
		c := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, n, hid)), G.WithName("c0"))
		x1 := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, n, in)), G.WithName("x1"))
		x2 := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, n, in)), G.WithName("x2"))
		h1, c1, err := lstmCell([]*G.Node{x1}, h, c, w)
		if err != nil {
			t.Fatal(err)
		}
		h2, _, err := lstmCell([]*G.Node{x2}, h1, c1, w)
		if err != nil {
			t.Fatal(err)
		}
		_ = c1
		return G.Nodes{w.Wx[0], w.Wh, w.B, h, c, x1}, projectSum(g, rng, h2)
	})
}

// convPoolRun builds conv → relu-pool → conv → relu-pool on x and w1, w2,
// runs it once per input in xs on one tape machine, and returns, for each
// run, copies of the output and of the gradients wrt x's first layer
// weights and the second layer's input.
func convPoolRun(t *testing.T, xs []*tensor.Dense, w1, w2 *tensor.Dense) [][][]float64 {
	t.Helper()
	g := G.NewGraph()
	s := xs[0].Shape()
	x := G.NewTensor(g, tensor.Float64, 4, G.WithShape(s...), G.WithName("x"))
	W1 := G.NewMatrix(g, tensor.Float64, G.WithValue(w1.Clone()), G.WithName("w1"))
	W2 := G.NewMatrix(g, tensor.Float64, G.WithValue(w2.Clone()), G.WithName("w2"))
	b1 := G.NewVector(g, tensor.Float64, G.WithShape(w1.Shape()[0]), G.WithInit(G.Zeroes()), G.WithName("b1"))
	b2 := G.NewVector(g, tensor.Float64, G.WithShape(w2.Shape()[0]), G.WithInit(G.Zeroes()), G.WithName("b2"))
	h := G.Must(reluPool2(G.Must(conv2d(x, W1, b1, 3, 1, 1, false))))
	y := G.Must(reluPool2(G.Must(conv2d(h, W2, b2, 3, 1, 1, true))))
	cost := G.Must(G.Sum(G.Must(G.Square(y))))
	if _, err := G.Grad(cost, W1, W2); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	var out [][][]float64
	for _, xv := range xs {
		vm.Reset()
		if err := G.Let(x, xv); err != nil {
			t.Fatal(err)
		}
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		gw1, _ := W1.Grad()
		gw2, _ := W2.Grad()
		var run [][]float64
		for _, v := range []G.Value{y.Value(), gw1, gw2} {
			run = append(run, append([]float64(nil), v.Data().([]float64)...))
		}
		out = append(out, run)
	}
	return out
}

// The conv and relu-pool ops hand their last output tensor back on the
// next run: a graph run on several inputs in turn gives, for each, what a
// fresh graph gives for that input alone.
func TestOpsReuseOutputsAcrossRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 32))
	xs := []*tensor.Dense{randTensor(rng, 2, 3, 8, 8), randTensor(rng, 2, 3, 8, 8), randTensor(rng, 2, 3, 8, 8)}
	w1, w2 := randTensor(rng, 4, 27), randTensor(rng, 5, 36)
	all := convPoolRun(t, xs, w1, w2)
	for i, x := range xs {
		alone := convPoolRun(t, []*tensor.Dense{x}, w1, w2)[0]
		for k := range alone {
			if !slices.Equal(all[i][k], alone[k]) {
				t.Fatalf("run %d, value %d differs from a fresh graph's", i, k)
			}
		}
	}
}

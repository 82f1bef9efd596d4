package models

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// randTensor returns a float64 tensor of the shape with values in [-1, 1).
func randTensor(rng *rand.Rand, shape ...int) *tensor.Dense {
	t := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(shape...))
	for i := range t.Data().([]float64) {
		t.Data().([]float64)[i] = 2*rng.Float64() - 1
	}
	return t
}

// gradCheck compares gorgonia's gradients of cost wrt params with central
// finite differences, element by element. build makes the graph: it returns
// the nodes to check and the scalar cost.
func gradCheck(t *testing.T, build func(g *G.ExprGraph) (G.Nodes, *G.Node)) {
	t.Helper()
	g := G.NewGraph()
	params, cost := build(g)
	if _, err := G.Grad(cost, params...); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(params...))
	defer vm.Close()
	run := func() float64 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		v, err := scalarOf(cost.Value())
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	run()
	analytic := make([][]float64, len(params))
	for i, p := range params {
		gv, err := p.Grad()
		if err != nil {
			t.Fatal(err)
		}
		analytic[i] = append([]float64(nil), gv.Data().([]float64)...)
	}
	// eps and the tolerance: central differences in float64 are accurate to
	// about eps² ≈ 1e-10 relative, far inside 1e-6.
	const eps, tol = 1e-5, 1e-6
	for i, p := range params {
		w := p.Value().Data().([]float64)
		for j := range w {
			orig := w[j]
			w[j] = orig + eps
			up := run()
			w[j] = orig - eps
			down := run()
			w[j] = orig
			num := (up - down) / (2 * eps)
			if d := math.Abs(num - analytic[i][j]); d > tol*max(1, math.Abs(num)) {
				t.Fatalf("%s[%d]: analytic %.9g, numeric %.9g", p.Name(), j, analytic[i][j], num)
			}
		}
	}
}

func TestConvGradient(t *testing.T) {
	tests := []struct {
		name                    string
		n, c, h, w, o, k, p, st int
	}{
		{"3x3 pad 1", 3, 2, 5, 4, 3, 3, 1, 1},
		{"5x5 pad 2 stride 2", 2, 1, 7, 6, 2, 5, 2, 2},
		{"1x1", 2, 3, 3, 3, 2, 1, 0, 1},
		{"batch of 11 (uneven parts)", 11, 1, 3, 3, 2, 3, 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
				x := G.NewTensor(g, tensor.Float64, 4, G.WithValue(randTensor(rng, tt.n, tt.c, tt.h, tt.w)), G.WithName("x"))
				w := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, tt.o, tt.c*tt.k*tt.k)), G.WithName("w"))
				b := G.NewVector(g, tensor.Float64, G.WithValue(randTensor(rng, tt.o)), G.WithName("b"))
				y, err := conv2d(x, w, b, tt.k, tt.p, tt.st, true)
				if err != nil {
					t.Fatal(err)
				}
				return G.Nodes{x, w, b}, projectSum(g, rng, y)
			})
		})
	}
}

func TestSoftmaxXentGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		l := randTensor(rng, 5, 4)
		for i := range l.Data().([]float64) {
			l.Data().([]float64)[i] *= 20 // large logits exercise the shift
		}
		logits := G.NewMatrix(g, tensor.Float64, G.WithValue(l), G.WithName("logits"))
		y := tensor.New(tensor.Of(tensor.Float64), tensor.WithShape(5, 4))
		for i := 0; i < 3; i++ {
			y.Data().([]float64)[i*4+i%4] = 1
		}
		// Row 3 is all zeros (a captioner step after <end>: no loss, so no
		// gradient); row 4 a target of mass 0.5.
		y.Data().([]float64)[4*4+1] = 0.5
		target := G.NewMatrix(g, tensor.Float64, G.WithValue(y), G.WithName("y"))
		cost := G.Must(G.Mul(G.Must(softmaxXent(logits, target)), G.NewConstant(3.0)))
		return G.Nodes{logits}, cost
	})
}

func TestSoftmaxXentValue(t *testing.T) {
	// Two classes with logits (0, ln 3): softmax (1/4, 3/4); the loss of
	// class 1 is −ln(3/4), of class 0 −ln(1/4). Their mean is ln(16/3)/2.
	l := []float64{0, math.Log(3), 0, math.Log(3)}
	y := []float64{0, 1, 1, 0}
	want := (-math.Log(0.75) - math.Log(0.25)) / 2
	if got := xentLoss(l, y, 2, 2); math.Abs(got-want) > 1e-12 {
		t.Fatalf("loss %v, want %v", got, want)
	}
	if got := xentLoss([]float64{1000, 0}, []float64{1, 0}, 1, 2); got != 0 {
		t.Fatalf("loss of a confident right answer %v, want 0 (no overflow)", got)
	}
}

func TestReluPoolGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		x := G.NewTensor(g, tensor.Float64, 4, G.WithValue(randTensor(rng, 2, 3, 4, 6)), G.WithName("x"))
		return G.Nodes{x}, projectSum(g, rng, G.Must(reluPool2(x)))
	})
}

func TestReluPoolValue(t *testing.T) {
	// One 4×4 plane: windows hold {1,-2,3,0}, {-1,-5,-2,-3}, … by hand.
	x := []float64{
		1, -2, -1, -5,
		3, 0, -2, -3,
		0, 7, 4, 4,
		2, 1, -1, 6,
	}
	y := make([]float64, 4)
	reluPoolForward(x, y, 1, 4, 4)
	if want := []float64{3, 0, 7, 6}; !slices.Equal(y, want) {
		t.Fatalf("got %v, want %v", y, want)
	}
}

// TestPositionsGradient checks the captioner's grid positions: added to
// the transposed conv output, as encode does.
func TestPositionsGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 3))
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		const n, c, h, w = 3, 4, 2, 3
		x := G.NewTensor(g, tensor.Float64, 4, G.WithValue(randTensor(rng, n, c, h, w)), G.WithName("x"))
		pos := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, h*w, c)), G.WithName("pos"))
		feats := must(G.Transpose(must(G.Reshape(x, tensor.Shape{n, c, h * w})), 0, 2, 1))
		y, err := addPositions(feats, pos)
		if err != nil {
			t.Fatal(err)
		}
		return G.Nodes{x, pos}, projectSum(g, rng, y)
	})
}

// TestPositionsValue checks that every example's cell l, feature k gains
// pos[l][k].
func TestPositionsValue(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 4))
	g := G.NewGraph()
	const n, l, c = 2, 3, 2
	fv, pv := randTensor(rng, n, l, c), randTensor(rng, l, c)
	// Copies: the graph may add in place.
	f, p := slices.Clone(fv.Data().([]float64)), slices.Clone(pv.Data().([]float64))
	feats := G.NewTensor(g, tensor.Float64, 3, G.WithValue(fv), G.WithName("feats"))
	pos := G.NewMatrix(g, tensor.Float64, G.WithValue(pv), G.WithName("pos"))
	y, err := addPositions(feats, pos)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	got := y.Value().Data().([]float64)
	for i := range got {
		if want := f[i] + p[i%(l*c)]; math.Abs(got[i]-want) > 1e-12 {
			t.Fatalf("element %d: %v, want %v", i, got[i], want)
		}
	}
}

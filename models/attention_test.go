package models

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestAttendGradient(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 1))
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		f := G.NewTensor(g, tensor.Float64, 3, G.WithValue(randTensor(rng, 2, 3, 4)), G.WithName("f"))
		pf := G.NewTensor(g, tensor.Float64, 3, G.WithValue(randTensor(rng, 2, 3, 5)), G.WithName("pf"))
		hp := G.NewMatrix(g, tensor.Float64, G.WithValue(randTensor(rng, 2, 5)), G.WithName("hp"))
		v := G.NewVector(g, tensor.Float64, G.WithValue(randTensor(rng, 5)), G.WithName("v"))
		out := G.Must(attend(f, pf, hp, v))
		return G.Nodes{f, pf, hp, v}, projectSum(g, rng, out)
	})
}

// The fused op against the formulas computed by hand on one example.
func TestAttendValues(t *testing.T) {
	g := G.NewGraph()
	fv := []float64{1, 0, 0, 2} // L = 2 locations, D = 2
	f := G.NewTensor(g, tensor.Float64, 3, G.WithValue(tensor.New(tensor.WithShape(1, 2, 2), tensor.WithBacking(fv))), G.WithName("f"))
	pf := G.NewTensor(g, tensor.Float64, 3, G.WithValue(tensor.New(tensor.WithShape(1, 2, 1), tensor.WithBacking([]float64{0.5, -0.5}))), G.WithName("pf"))
	hp := G.NewMatrix(g, tensor.Float64, G.WithValue(tensor.New(tensor.WithShape(1, 1), tensor.WithBacking([]float64{0.25}))), G.WithName("hp"))
	v := G.NewVector(g, tensor.Float64, G.WithValue(tensor.New(tensor.WithShape(1), tensor.WithBacking([]float64{2}))), G.WithName("v"))
	out := G.Must(attend(f, pf, hp, v))
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	e0, e1 := 2*math.Tanh(0.75), 2*math.Tanh(-0.25)
	a0 := math.Exp(e0) / (math.Exp(e0) + math.Exp(e1))
	want := []float64{a0 * 1, (1 - a0) * 2, a0, 1 - a0} // ctx, then α
	got := out.Value().Data().([]float64)
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("attend = %v, want %v", got, want)
		}
	}
}

// tanh32 against math.Tanh on every float32 in a fine grid over ±12 (past
// saturation), and its symmetry.
func TestTanh32(t *testing.T) {
	var worst float64
	for i := -1200000; i <= 1200000; i++ {
		x := float64(float32(float64(i) * 1e-5))
		got := tanh32(x)
		worst = max(worst, math.Abs(got-math.Tanh(x)))
		if got != -tanh32(-x) {
			t.Fatalf("tanh32(%v) = %v but tanh32(%v) = %v", x, got, -x, tanh32(-x))
		}
	}
	if worst > 2.7e-7 {
		t.Errorf("tanh32 is off math.Tanh by up to %g", worst)
	}
	if !math.IsNaN(tanh32(math.NaN())) || tanh32(math.Inf(1)) != tanh32(1e9) {
		t.Error("tanh32 of NaN or infinity")
	}
}

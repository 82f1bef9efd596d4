package models

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func TestUnpack(t *testing.T) {
	tests := []struct {
		name   string
		shapes []tensor.Shape
		want   [][]float64 // each part's values, in memory order
	}{
		{"one part", []tensor.Shape{{2, 3}}, [][]float64{{0, 1, 2, 3, 4, 5}}},
		{"two parts", []tensor.Shape{{2, 2}, {2}}, [][]float64{{0, 1, 2, 3}, {4, 5}}},
		{"three parts", []tensor.Shape{{1}, {1, 3}, {2}}, [][]float64{{0}, {1, 2, 3}, {4, 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := G.NewGraph()
			x := G.NewMatrix(g, tensor.Float64, G.WithValue(tensor.New(tensor.WithShape(3, 2), tensor.WithBacking([]float64{0, 1, 2, 3, 4, 5}))), G.WithName("x"))
			parts, err := unpack(x, tt.shapes...)
			if err != nil {
				t.Fatal(err)
			}
			vm := G.NewTapeMachine(g)
			defer vm.Close()
			if err := vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			if len(parts) != len(tt.want) {
				t.Fatalf("%d parts, want %d", len(parts), len(tt.want))
			}
			for i, p := range parts {
				if !p.Shape().Eq(tt.shapes[i]) {
					t.Errorf("part %d has shape %v, want %v", i, p.Shape(), tt.shapes[i])
				}
				if got := p.Value().Data().([]float64); !slices.Equal(got, tt.want[i]) {
					t.Errorf("part %d = %v, want %v", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestUnpackPast256(t *testing.T) {
	// Five parts of 64 of x = 0, 1, …, 319: part k starts with 64k. With
	// gorgonia's Slice, part 4 (256…319) would be part 0 (see doc.go).
	g := G.NewGraph()
	xs := make([]float64, 320)
	for i := range xs {
		xs[i] = float64(i)
	}
	x := G.NewVector(g, tensor.Float64, G.WithValue(tensor.New(tensor.WithShape(320), tensor.WithBacking(xs))), G.WithName("x"))
	shapes := []tensor.Shape{{64}, {64}, {64}, {64}, {2, 32}}
	parts, err := unpack(x, shapes...)
	if err != nil {
		t.Fatal(err)
	}
	run(t, g)
	for k, p := range parts {
		got := p.Value().Data().([]float64)
		if got[0] != float64(64*k) || got[63] != float64(64*k+63) {
			t.Errorf("part %d holds %v…%v, want %d…%d", k, got[0], got[63], 64*k, 64*k+63)
		}
	}
}

func TestUnpackRejectsPartsThatDoNotCover(t *testing.T) {
	for _, shapes := range [][]tensor.Shape{{{2, 2}}, {{2, 2}, {3}}, {}} {
		g := G.NewGraph()
		x := G.NewVector(g, tensor.Float64, G.WithShape(6), G.WithName("x"))
		if _, err := unpack(x, shapes...); err == nil || !strings.Contains(err.Error(), "models: unpack") {
			t.Errorf("unpack of 6 elements into %v: err %v, want a models: unpack error", shapes, err)
		}
	}
}

func TestUnpackGradient(t *testing.T) {
	// Each part's gradient must land in its own place in x's gradient.
	rng := rand.New(rand.NewPCG(13, 1))
	gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) {
		x := G.NewVector(g, tensor.Float64, G.WithValue(randTensor(rng, 5*64)), G.WithName("x"))
		parts, err := unpack(x, tensor.Shape{64}, tensor.Shape{64}, tensor.Shape{64}, tensor.Shape{64}, tensor.Shape{2, 32})
		if err != nil {
			t.Fatal(err)
		}
		cost := projectSum(g, rng, parts[0])
		for _, p := range parts[1:] {
			cost = G.Must(G.Add(cost, projectSum(g, rng, p)))
		}
		return G.Nodes{x}, cost
	})
}

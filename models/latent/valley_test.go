package latent

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestKNNDensity(t *testing.T) {
	// Points 0, 1, 3, 7 on a line. Nearest other point: 1, 1, 2, 4 away;
	// second nearest: 3, 2, 3, 6 away.
	pts := [][]float64{{0}, {1}, {3}, {7}}
	for _, c := range []struct {
		k    int
		want []float64
	}{
		{1, []float64{1, 1, 0.5, 0.25}},
		{2, []float64{1.0 / 3, 0.5, 1.0 / 3, 1.0 / 6}},
	} {
		got := KNNDensity(pts, c.k)
		for i := range got {
			near(t, "ρ", got[i], c.want[i], 1e-15)
		}
	}
}

func TestDensityAt(t *testing.T) {
	// From 2 among 0, 1, 3, 7: 1 and 3 are 1 away, 0 is 2, 7 is 5.
	pts := [][]float64{{0}, {1}, {3}, {7}}
	for k, want := range []float64{1, 1, 0.5, 0.2} {
		near(t, "ρ(2)", DensityAt(pts, []float64{2}, k+1), want, 1e-15)
	}
}

func TestResample(t *testing.T) {
	// An L of length 2 in 5 points: every ½ along it.
	got := Resample([][]float64{{0, 0}, {1, 0}, {1, 1}}, 5)
	want := [][]float64{{0, 0}, {0.5, 0}, {1, 0}, {1, 0.5}, {1, 1}}
	for i := range want {
		if dist(got[i], want[i]) > 1e-15 {
			t.Errorf("point %d = %v, want %v", i, got[i], want[i])
		}
	}
	if got := Resample([][]float64{{3, 4}}, 3); len(got) != 3 || !slices.Equal(got[2], []float64{3, 4}) {
		t.Errorf("one point resampled to %v", got)
	}
}

// annulus is a dense ring 2 ≤ r ≤ 3 of 400 points, the ends a = (−2.5, 0)
// (index 0) and b = (2.5, 0) (index 1), and 15 points sprinkled in the
// hole r < 1.5, so that a path through the hole exists.
func annulus() [][]float64 {
	rng := rand.New(rand.NewPCG(20, 3))
	pts := [][]float64{{-2.5, 0}, {2.5, 0}}
	for range 400 {
		th, r := 2*math.Pi*rng.Float64(), 2+rng.Float64()
		pts = append(pts, []float64{r * math.Cos(th), r * math.Sin(th)})
	}
	for range 15 {
		th, r := 2*math.Pi*rng.Float64(), 1.5*math.Sqrt(rng.Float64())
		pts = append(pts, []float64{r * math.Cos(th), r * math.Sin(th)})
	}
	return pts
}

func minRadius(path [][]float64) float64 {
	m := math.Inf(1)
	for _, p := range path {
		m = min(m, math.Hypot(p[0], p[1]))
	}
	return m
}

func TestValleyPathGoesRoundTheHole(t *testing.T) {
	pts := annulus()
	straight := Path(pts[0], pts[1], 21, false)
	if r := minRadius(straight); r > 1e-9 {
		t.Fatalf("the straight line's least radius is %g, want 0", r)
	}
	valley, err := ValleyPath(pts, 0, 1, 20, ValleyConfig{K: 8, Alpha: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(valley) != 20 || !slices.Equal(valley[0], pts[0]) || !slices.Equal(valley[19], pts[1]) {
		t.Fatalf("the valley path has %d points from %v to %v", len(valley), valley[0], valley[len(valley)-1])
	}
	if r := minRadius(valley); r < 1.8 {
		t.Errorf("the valley path comes within %.2f of the centre, want it to stay on the ring (≥ 1.8)", r)
	}
	// Without the density term (α near 0: 0 means the default) the
	// shortest way is through the sparse points in the hole: the detour
	// is the density's doing.
	flat, err := ValleyPath(pts, 0, 1, 20, ValleyConfig{K: 8, Alpha: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	if r := minRadius(flat); r > 1.5 {
		t.Errorf("with α ≈ 0 the path's least radius is %.2f, want it through the hole (< 1.5)", r)
	}
	// Evenly spaced: every step as long as the others.
	for k := 2; k < len(valley); k++ {
		if d1, d2 := dist(valley[k-2], valley[k-1]), dist(valley[k-1], valley[k]); math.Abs(d1-d2) > 0.35*max(d1, d2) && k < len(valley)-1 {
			// Chords of a polyline are shorter than its arcs at corners,
			// so allow some slack; a path jumping ahead would be far off.
			t.Errorf("steps %d and %d: %.3f and %.3f apart", k-1, k, d1, d2)
		}
	}
}

func TestValleyGraphRefusals(t *testing.T) {
	pts := [][]float64{{0}, {1}, {2}}
	for _, cfg := range []ValleyConfig{{K: 3}, {K: 1, Alpha: -1}} {
		if _, err := NewValleyGraph(pts, cfg); err == nil {
			t.Errorf("%+v on 3 points accepted", cfg)
		}
	}
	if _, err := NewValleyGraph([][]float64{{0}, {1, 2}, {3}}, ValleyConfig{K: 1}); err == nil {
		t.Error("rows of different lengths accepted")
	}
	if _, err := ValleyPath(pts, 0, 3, 5, ValleyConfig{K: 1}); err == nil {
		t.Error("an end out of range accepted")
	}
}

func TestShortestPathIsConnected(t *testing.T) {
	// Two far clusters: the k-NN graph alone would leave them apart; the
	// spanning tree joins them.
	pts := [][]float64{{0}, {0.1}, {0.2}, {100}, {100.1}, {100.2}}
	g, err := NewValleyGraph(pts, ValleyConfig{K: 1})
	if err != nil {
		t.Fatal(err)
	}
	path, cost := g.ShortestPath(0, 5)
	if path[0] != 0 || path[len(path)-1] != 5 || math.IsInf(cost, 0) {
		t.Errorf("path %v at cost %g, want one from 0 to 5", path, cost)
	}
}

func TestSOMPath(t *testing.T) {
	pts := annulus()
	som, err := TrainSOM(pts, DefaultSOM(8, 8, len(pts), 1))
	if err != nil {
		t.Fatal(err)
	}
	path := som.SOMPath(pts[0], pts[1], 20, 0)
	if len(path) != 20 || !slices.Equal(path[0], pts[0]) || !slices.Equal(path[19], pts[1]) {
		t.Fatalf("the SOM path has %d points from %v to %v", len(path), path[0], path[len(path)-1])
	}
	// The map's units in the hole sit between units far apart: high
	// U-matrix values, which the path avoids.
	if r := minRadius(path); r < 1.8 {
		t.Errorf("the SOM path comes within %.2f of the centre, want ≥ 1.8", r)
	}
	// With α ≈ 0 the chain of units cuts across the hole.
	if r := minRadius(som.SOMPath(pts[0], pts[1], 20, 1e-9)); r > 1.2 {
		t.Errorf("with α ≈ 0 the SOM path's least radius is %.2f, want < 1.2", r)
	}
}

package latent

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestConvexHull(t *testing.T) {
	for _, c := range []struct {
		name   string
		points [][2]float64
		want   Hull
	}{
		{"square with inner and edge points", [][2]float64{{1, 1}, {2, 2}, {0, 2}, {1, 0}, {0, 0}, {2, 0}, {0, 0}},
			Hull{{0, 0}, {2, 0}, {2, 2}, {0, 2}}},
		{"collinear", [][2]float64{{1, 1}, {2, 2}, {0, 0}}, Hull{{0, 0}, {2, 2}}},
		{"one point", [][2]float64{{3, 4}, {3, 4}}, Hull{{3, 4}}},
		{"none", nil, Hull{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ConvexHull(c.points); !slices.Equal(got, c.want) {
				t.Errorf("hull %v, want %v", got, c.want)
			}
		})
	}
}

func TestHullContainsAndDistance(t *testing.T) {
	square := Hull{{0, 0}, {2, 0}, {2, 2}, {0, 2}}
	segment := Hull{{0, 0}, {2, 2}}
	point := Hull{{3, 4}}
	for _, c := range []struct {
		name   string
		h      Hull
		q      [2]float64
		inside bool
		dist   float64
	}{
		{"inside", square, [2]float64{1, 1}, true, 0},
		{"on an edge", square, [2]float64{2, 1}, true, 0},
		{"beside an edge", square, [2]float64{3, 1}, false, 1},
		{"off a corner", square, [2]float64{3, 3}, false, math.Sqrt2},
		{"on the segment", segment, [2]float64{1, 1}, true, 0},
		{"beside the segment", segment, [2]float64{0, 2}, false, math.Sqrt2},
		{"past its end", segment, [2]float64{3, 2}, false, 1},
		{"the point", point, [2]float64{3, 4}, true, 0},
		{"from the point", point, [2]float64{0, 0}, false, 5},
		{"empty", Hull{}, [2]float64{0, 0}, false, math.Inf(1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := c.h.Contains(c.q); got != c.inside {
				t.Errorf("Contains = %v, want %v", got, c.inside)
			}
			if got := c.h.Distance(c.q); got != c.dist && math.Abs(got-c.dist) > 1e-15 {
				t.Errorf("Distance = %g, want %g", got, c.dist)
			}
		})
	}
}

func TestHullClassifier(t *testing.T) {
	hc, err := NewHullClassifier([][][2]float64{
		{{0, 0}, {2, 0}, {2, 2}, {0, 2}}, // class 0: a square, mean (1, 1)
		{{1, 1}, {4, 1}, {1, 4}},         // class 1: a triangle, mean (2, 2)
		{{6, 6}},                         // class 2: a point
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    [2]float64
		want int
	}{
		{[2]float64{0.5, 0.2}, 0}, // inside the square only
		{[2]float64{1.2, 1.2}, 0}, // inside both, nearer the square's mean
		{[2]float64{1.9, 1.9}, 1}, // inside both, nearer the triangle's mean
		{[2]float64{3, 2.5}, 1},   // outside all: 0.35 from the triangle, 1 from the square
		{[2]float64{5.5, 6}, 2},   // nearest the point
	} {
		if got := hc.Predict(c.q); got != c.want {
			t.Errorf("Predict(%v) = %d, want %d", c.q, got, c.want)
		}
	}
	if _, err := NewHullClassifier([][][2]float64{{{0, 0}}, nil}); err == nil {
		t.Error("a class without landmarks accepted")
	}
}

func TestFewShotHull(t *testing.T) {
	x, y := blobs(3, 40, 3, 5)
	qx, qy := blobs(3, 20, 3, 6)
	for _, k := range []int{1, 5, 10} {
		acc, err := FewShotHull(x, y, qx, qy, k, 5, 1)
		if err != nil {
			t.Fatal(err)
		}
		// Blobs 10 apart with unit spread stay apart in their plane.
		if acc < 0.99 {
			t.Errorf("k = %d: accuracy %.3f on separated blobs", k, acc)
		}
		again, _ := FewShotHull(x, y, qx, qy, k, 5, 1)
		if again != acc {
			t.Errorf("k = %d: one seed gave %v and %v", k, acc, again)
		}
	}
	// Overlapping classes (one blob, labels alternating) score about
	// chance, not 1: the test can fail.
	ox, _ := blobs(1, 60, 2, 7)
	oy := make([]int, len(ox))
	for i := range oy {
		oy[i] = i % 2
	}
	if acc, _ := FewShotHull(ox, oy, ox, oy, 5, 10, 1); acc > 0.75 {
		t.Errorf("accuracy %.3f on labels that carry no information", acc)
	}
	if _, err := FewShotHull(x, y, qx, qy, 41, 1, 1); err == nil {
		t.Error("k above a class's rows accepted")
	}
}

// Two classes apart only along the third principal component: the
// codes spread 10 along x, 6 along y and the classes sit at z = ±2. In
// two components the class is invisible (about chance); in three, hulls
// and landmark means both separate it. FewShotIn in all three
// dimensions is FewShot. (Measured: 0.50, 0.98, 0.51, 0.90.)
func TestFewShotInThreeComponents(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 5))
	draw := func(n int) ([][]float64, []int) {
		var x [][]float64
		var y []int
		for i := range n {
			c := i % 2
			x = append(x, []float64{4 * rng.NormFloat64(), 3 * rng.NormFloat64(), 4*float64(c) - 2 + 0.3*rng.NormFloat64()})
			y = append(y, c)
		}
		return x, y
	}
	px, py := draw(400)
	qx, qy := draw(200)
	for _, c := range []struct {
		name   string
		score  func() (float64, error)
		lo, hi float64
	}{
		{"hull, 2 components", func() (float64, error) { return FewShotHullIn(px, py, qx, qy, 10, 2, 10, 1) }, 0.3, 0.7},
		{"hull, 3 components", func() (float64, error) { return FewShotHullIn(px, py, qx, qy, 10, 3, 10, 1) }, 0.95, 1},
		{"means, 2 components", func() (float64, error) { return FewShotIn(px, py, qx, qy, 10, 2, 10, 1) }, 0.3, 0.7},
		{"means, 3 components", func() (float64, error) { return FewShotIn(px, py, qx, qy, 10, 3, 10, 1) }, 0.85, 1},
	} {
		acc, err := c.score()
		if err != nil {
			t.Fatal(err)
		}
		if acc < c.lo || acc > c.hi {
			t.Errorf("%s: accuracy %.3f, want in [%g, %g]", c.name, acc, c.lo, c.hi)
		}
	}
	full, _ := FewShot(px, py, qx, qy, 5, 10, 1)
	if in, _ := FewShotIn(px, py, qx, qy, 5, 3, 10, 1); math.Abs(in-full) > 1e-12 {
		t.Errorf("nearest mean in all 3 components %.6f, FewShot %.6f", in, full)
	}
	if _, err := FewShotHullIn(px, py, qx, qy, 5, 4, 1, 1); err == nil {
		t.Error("4 components of 3-dimensional codes accepted")
	}
}

package latent

import (
	"math"
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

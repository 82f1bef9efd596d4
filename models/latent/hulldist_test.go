package latent

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestHullDistanceHandWorked(t *testing.T) {
	// The corner tetrahedron 0, e1, e2, e3: its far face is x+y+z = 1.
	tet := [][]float64{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}}
	for _, c := range []struct {
		name string
		pts  [][]float64
		q    []float64
		want float64
	}{
		{"inside", tet, []float64{0.1, 0.2, 0.3}, 0},
		{"on the far face", tet, []float64{0.5, 0.25, 0.25}, 0},
		{"beyond the far face", tet, []float64{1, 1, 1}, 2 / math.Sqrt(3)},
		{"off the corner", tet, []float64{-1, -2, -2}, 3},
		{"off an edge", tet, []float64{1, 1, -1}, math.Sqrt(0.5 + 1)}, // nearest (½, ½, 0)
		{"one point", [][]float64{{3, 4}}, []float64{0, 0}, 5},
		{"a segment, beside", [][]float64{{0, 0}, {2, 2}}, []float64{0, 2}, math.Sqrt2},
		{"a segment, past its end", [][]float64{{0, 0}, {2, 2}}, []float64{3, 2}, 1},
		{"a square in 3-D, above", [][]float64{{0, 0, 0}, {2, 0, 0}, {2, 2, 0}, {0, 2, 0}}, []float64{1, 1, 5}, 5},
		{"none", nil, []float64{0}, math.Inf(1)},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := HullDistance(c.pts, c.q); got != c.want && math.Abs(got-c.want) > 1e-9 {
				t.Errorf("HullDistance = %.12g, want %.12g", got, c.want)
			}
		})
	}
}

// In the plane HullDistance must agree with the exact Hull.Distance of
// the monotone chain, inside and out.
func TestHullDistanceMatchesPlane(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 3))
	inside := 0
	for trial := range 2000 {
		k := 1 + rng.IntN(10)
		var pts [][]float64
		var pts2 [][2]float64
		for range k {
			p := [2]float64{rng.NormFloat64(), rng.NormFloat64()}
			pts, pts2 = append(pts, p[:]), append(pts2, p)
		}
		q := [2]float64{1.5 * rng.NormFloat64(), 1.5 * rng.NormFloat64()}
		want := ConvexHull(pts2).Distance(q)
		got := HullDistance(pts, q[:])
		if want == 0 {
			inside++
		}
		if math.Abs(got-want) > 1e-9 {
			t.Fatalf("trial %d: %d points, q %v: HullDistance %.12g, the plane's hull %.12g", trial, k, q, got, want)
		}
	}
	if inside < 100 {
		t.Errorf("only %d of 2000 queries inside: the test does not reach the inside case", inside)
	}
}

// BenchmarkHullDistance measures HullDistance on 10 landmarks in 2, 3
// and 10 dimensions, and the plane's monotone chain (the hull built
// once, as HullClassifier does) as its peer.
func BenchmarkHullDistance(b *testing.B) {
	rng := rand.New(rand.NewPCG(20, 6))
	for _, d := range []int{2, 3, 10} {
		pts := make([][]float64, 10)
		for i := range pts {
			pts[i] = make([]float64, d)
			for j := range pts[i] {
				pts[i][j] = rng.NormFloat64()
			}
		}
		qs := make([][]float64, 256)
		for i := range qs {
			qs[i] = make([]float64, d)
			for j := range qs[i] {
				qs[i][j] = 1.5 * rng.NormFloat64()
			}
		}
		b.Run(fmt.Sprintf("wolfe-%dd", d), func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				HullDistance(pts, qs[n%len(qs)])
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "queries/s")
		})
		if d == 2 {
			var plane [][2]float64
			for _, p := range pts {
				plane = append(plane, [2]float64{p[0], p[1]})
			}
			h := ConvexHull(plane)
			b.Run("chain-2d", func(b *testing.B) {
				n := 0
				for b.Loop() {
					q := qs[n%len(qs)]
					h.Distance([2]float64{q[0], q[1]})
					n++
				}
				b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "queries/s")
			})
		}
	}
}

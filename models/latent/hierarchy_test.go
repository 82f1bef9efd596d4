package latent

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestAgglomerateHandWorked(t *testing.T) {
	// 0, 1, 10, 12 on a line: {0,1} at 1, {10,12} at 2, then the two at
	// the mean of 10, 12, 9, 11: 10.5.
	dg := Agglomerate([][]float64{{0}, {1}, {10}, {12}})
	want := []Merge{{0, 1, 1, 2}, {2, 3, 2, 2}, {4, 5, 10.5, 4}}
	if !slices.Equal(dg.Merges, want) {
		t.Errorf("merges %v, want %v", dg.Merges, want)
	}
	c := dg.Cophenetic()
	near(t, "c(0,1)", c[0][1], 1, 0)
	near(t, "c(2,3)", c[2][3], 2, 0)
	near(t, "c(1,2)", c[1][2], 10.5, 0)
	near(t, "c(3,0)", c[3][0], 10.5, 0)
	if got := dg.Order(); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("order %v", got)
	}
	// {0, 1, 3}: {0,1} at 1, then 3 at the mean of 3 and 2.
	dg = Agglomerate([][]float64{{3}, {0}, {1}})
	want = []Merge{{1, 2, 1, 2}, {0, 3, 2.5, 3}}
	if !slices.Equal(dg.Merges, want) {
		t.Errorf("merges %v, want %v", dg.Merges, want)
	}
}

// naiveAverage is average linkage by definition: merge the pair of
// clusters with the least mean distance over their cross pairs, computed
// afresh every time; it returns the merge heights and the cophenetic
// distances.
func naiveAverage(points [][]float64) ([]float64, [][]float64) {
	n := len(points)
	clusters := make([][]int, n)
	for i := range clusters {
		clusters[i] = []int{i}
	}
	coph := make([][]float64, n)
	for i := range coph {
		coph[i] = make([]float64, n)
	}
	var heights []float64
	for len(clusters) > 1 {
		ba, bb, best := 0, 1, math.Inf(1)
		for a := range clusters {
			for b := a + 1; b < len(clusters); b++ {
				var s float64
				for _, i := range clusters[a] {
					for _, j := range clusters[b] {
						s += dist(points[i], points[j])
					}
				}
				if s /= float64(len(clusters[a]) * len(clusters[b])); s < best {
					ba, bb, best = a, b, s
				}
			}
		}
		for _, i := range clusters[ba] {
			for _, j := range clusters[bb] {
				coph[i][j], coph[j][i] = best, best
			}
		}
		heights = append(heights, best)
		clusters[ba] = append(clusters[ba], clusters[bb]...)
		clusters = slices.Delete(clusters, bb, bb+1)
	}
	return heights, coph
}

func TestAgglomerateMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 4))
	for trial := range 5 {
		var pts [][]float64
		for range 40 {
			pts = append(pts, []float64{rng.NormFloat64(), rng.NormFloat64(), 3 * float64(rng.IntN(3))})
		}
		dg := Agglomerate(pts)
		heights, coph := naiveAverage(pts)
		for i, m := range dg.Merges {
			if math.Abs(m.Height-heights[i]) > 1e-12 {
				t.Fatalf("trial %d merge %d at %g, by definition %g", trial, i, m.Height, heights[i])
			}
		}
		got := dg.Cophenetic()
		for i := range pts {
			for j := range pts {
				if math.Abs(got[i][j]-coph[i][j]) > 1e-12 {
					t.Fatalf("trial %d: cophenetic (%d,%d) = %g, by definition %g", trial, i, j, got[i][j], coph[i][j])
				}
			}
		}
		if last := dg.Merges[len(dg.Merges)-1]; last.Size != len(pts) {
			t.Errorf("the root holds %d of %d points", last.Size, len(pts))
		}
	}
}

func TestPurity(t *testing.T) {
	dg := Agglomerate([][]float64{{0}, {1}, {10}, {12}})
	for _, c := range []struct {
		labels []int
		want   float64
	}{
		{[]int{0, 0, 1, 1}, 1},
		// Pairs (0,2) and (1,3) meet at the root, half of whose leaves
		// are their class.
		{[]int{0, 1, 0, 1}, 0.5},
		// Class 0's pairs: (0,1) in the pure {0,1}; (0,3) and (1,3) at
		// the root, ¾ class 0: (1 + ¾ + ¾)/3.
		{[]int{0, 0, 1, 0}, 2.5 / 3},
	} {
		near(t, "purity", dg.Purity(c.labels), c.want, 1e-15)
	}
	if !math.IsNaN(dg.Purity([]int{0, 1, 2, 3})) {
		t.Error("purity without a same-class pair is a number")
	}
}

func TestTreeDistancesAndCopheneticCorrelation(t *testing.T) {
	// Root 0 with children 1 and 2; 3 and 4 under 1; 5 under 2.
	d := TreeDistances([]int{-1, 0, 0, 1, 1, 2})
	for _, c := range []struct {
		i, j int
		want float64
	}{{3, 4, 2}, {3, 5, 4}, {0, 5, 2}, {1, 2, 2}, {4, 1, 1}, {2, 2, 0}} {
		near(t, "tree distance", d[c.i][c.j], c.want, 0)
	}
	// 0, 1, 10, 12 against the tree {{0,1},{10,12}} (leaf distances 2
	// within a pair, 4 across): cophenetic distances 1, 10.5 ×4, 2 with
	// mean 7.5; tree distances mean 10/3. Σdxdy = 24, Σdx² = 108.5,
	// Σdy² = 48/9.
	tree := TreeDistances([]int{4, 4, 5, 5, 6, 6, -1})
	var leaves [][]float64
	for i := range 4 {
		leaves = append(leaves, tree[i][:4])
	}
	dg := Agglomerate([][]float64{{0}, {1}, {10}, {12}})
	near(t, "cophenetic correlation", CopheneticCorrelation(dg, leaves), 24/math.Sqrt(108.5*48/9), 1e-12)
}

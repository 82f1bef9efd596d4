package latent

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// KMeans is a k-means clustering: centroids, each row's cluster and the
// inertia (sum of squared distances to the assigned centroids).
type KMeans struct {
	Centroids [][]float64
	Labels    []int
	Inertia   float64
}

// FitKMeans clusters the rows into k clusters with Lloyd's algorithm from
// k-means++ seeds (Arthur and Vassilvitskii 2007), restarts times from
// seeds drawn from (seed, restart), keeping the run of least inertia.
func FitKMeans(x [][]float64, k, restarts int, seed uint64) (*KMeans, error) {
	if k < 1 || k > len(x) {
		return nil, fmt.Errorf("latent: k-means with k = %d on %d rows: want 1 ≤ k ≤ rows", k, len(x))
	}
	var best *KMeans
	for r := range max(restarts, 1) {
		rng := rand.New(rand.NewPCG(seed, uint64(r)))
		km := lloyd(x, plusPlus(x, k, rng), 300)
		if best == nil || km.Inertia < best.Inertia {
			best = km
		}
	}
	return best, nil
}

// plusPlus picks k initial centroids, each next one with probability
// proportional to its squared distance from the nearest one chosen.
func plusPlus(x [][]float64, k int, rng *rand.Rand) [][]float64 {
	cents := [][]float64{clone(x[rng.IntN(len(x))])}
	d2 := make([]float64, len(x))
	for i := range x {
		d2[i] = sqDist(x[i], cents[0])
	}
	for len(cents) < k {
		var total float64
		for _, v := range d2 {
			total += v
		}
		pick := 0
		if total > 0 {
			u := rng.Float64() * total
			for pick = 0; pick < len(x)-1; pick++ {
				if u -= d2[pick]; u < 0 {
					break
				}
			}
		} else {
			pick = rng.IntN(len(x))
		}
		c := clone(x[pick])
		cents = append(cents, c)
		for i := range x {
			d2[i] = min(d2[i], sqDist(x[i], c))
		}
	}
	return cents
}

func lloyd(x [][]float64, cents [][]float64, iters int) *KMeans {
	labels := make([]int, len(x))
	d := len(x[0])
	for it := 0; it <= iters; it++ {
		changed := it == 0
		for i, row := range x {
			if l, _ := nearest(cents, row); l != labels[i] {
				labels[i], changed = l, true
			}
		}
		if !changed {
			break
		}
		counts := make([]int, len(cents))
		sums := make([][]float64, len(cents))
		for c := range sums {
			sums[c] = make([]float64, d)
		}
		for i, row := range x {
			counts[labels[i]]++
			for j, v := range row {
				sums[labels[i]][j] += v
			}
		}
		for c := range cents {
			if counts[c] == 0 {
				continue // an empty cluster keeps its centroid
			}
			for j := range cents[c] {
				cents[c][j] = sums[c][j] / float64(counts[c])
			}
		}
	}
	var inertia float64
	for i, row := range x {
		inertia += sqDist(row, cents[labels[i]])
	}
	return &KMeans{Centroids: cents, Labels: labels, Inertia: inertia}
}

// nearest returns the index of the closest of the points and its squared
// distance; ties go to the lowest index.
func nearest(points [][]float64, v []float64) (int, float64) {
	best, bestD := 0, math.Inf(1)
	for c, p := range points {
		if d := sqDist(p, v); d < bestD {
			best, bestD = c, d
		}
	}
	return best, bestD
}

// Predict assigns rows to the nearest centroid.
func (km *KMeans) Predict(x [][]float64) []int {
	out := make([]int, len(x))
	for i, row := range x {
		out[i], _ = nearest(km.Centroids, row)
	}
	return out
}

func clone(v []float64) []float64 { return append([]float64(nil), v...) }

package latent

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Hull is the convex hull of points in the plane, its vertices in
// counter-clockwise order without repeats. A hull of one point has one
// vertex; of collinear points, two (a segment).
type Hull [][2]float64

// ConvexHull returns the convex hull of the points by Andrew's monotone
// chain (1979), in O(n log n). No points give an empty Hull.
func ConvexHull(points [][2]float64) Hull {
	p := slices.Clone(points)
	slices.SortFunc(p, func(a, b [2]float64) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return cmp.Compare(a[1], b[1])
	})
	p = slices.Compact(p)
	if len(p) < 3 {
		return Hull(p)
	}
	var h [][2]float64
	for pass := range 2 { // the lower chain left to right, then the upper right to left
		start := len(h)
		for _, q := range p {
			for len(h) >= start+2 && cross(h[len(h)-2], h[len(h)-1], q) <= 0 {
				h = h[:len(h)-1]
			}
			h = append(h, q)
		}
		h = h[:len(h)-1] // each chain's last point starts the other
		if pass == 0 {
			slices.Reverse(p)
		}
	}
	return Hull(h) // collinear points leave their two ends
}

// cross is the z of (a−o)×(b−o): positive when o, a, b turn
// counter-clockwise.
func cross(o, a, b [2]float64) float64 {
	return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
}

// Contains reports whether q lies in the hull or on its boundary. A hull
// of one or two vertices contains only the point or the segment.
func (h Hull) Contains(q [2]float64) bool {
	switch len(h) {
	case 0:
		return false
	case 1, 2:
		return h.Distance(q) == 0
	}
	for i := range h {
		if cross(h[i], h[(i+1)%len(h)], q) < 0 {
			return false
		}
	}
	return true
}

// Distance is the Euclidean distance from q to the hull: 0 inside, else
// the distance to the nearest edge (to the point, for a hull of one). It
// is +Inf for an empty hull.
func (h Hull) Distance(q [2]float64) float64 {
	if len(h) == 0 {
		return math.Inf(1)
	}
	if len(h) == 1 {
		return math.Hypot(q[0]-h[0][0], q[1]-h[0][1])
	}
	if len(h) > 2 && h.Contains(q) {
		return 0
	}
	best := math.Inf(1)
	for i := range h {
		if len(h) == 2 && i == 1 {
			break
		}
		best = min(best, segmentDistance(q, h[i], h[(i+1)%len(h)]))
	}
	return best
}

// segmentDistance is the distance from q to the segment from a to b.
func segmentDistance(q, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = min(1, max(0, ((q[0]-a[0])*dx+(q[1]-a[1])*dy)/l2))
	}
	return math.Hypot(q[0]-(a[0]+t*dx), q[1]-(a[1]+t*dy))
}

// HullClassifier labels points of the plane by the convex hulls of a
// few labelled landmarks per class: a point inside one hull takes its
// class; inside several, the class whose landmarks' mean is nearest;
// inside none, the class of the nearest hull (ties to the lower class).
type HullClassifier struct {
	Hulls []Hull
	Means [][2]float64
}

// NewHullClassifier builds the classifier from landmarks[c], the
// landmarks of class c (at least one each).
func NewHullClassifier(landmarks [][][2]float64) (*HullClassifier, error) {
	hc := &HullClassifier{}
	for c, marks := range landmarks {
		if len(marks) == 0 {
			return nil, fmt.Errorf("latent: hull classifier: class %d has no landmarks", c)
		}
		var m [2]float64
		for _, p := range marks {
			m[0] += p[0] / float64(len(marks))
			m[1] += p[1] / float64(len(marks))
		}
		hc.Hulls, hc.Means = append(hc.Hulls, ConvexHull(marks)), append(hc.Means, m)
	}
	return hc, nil
}

// Predict returns q's class.
func (hc *HullClassifier) Predict(q [2]float64) int {
	best, bestD, inside := 0, math.Inf(1), false
	for c, h := range hc.Hulls {
		d := h.Distance(q)
		if d == 0 {
			// Inside: rank by the distance to the landmarks' mean, below
			// every outside hull.
			dm := math.Hypot(q[0]-hc.Means[c][0], q[1]-hc.Means[c][1])
			if !inside || dm < bestD {
				best, bestD, inside = c, dm, true
			}
			continue
		}
		if !inside && d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// FewShotHull is FewShot with hulls for landmarks: the codes of pool and
// query are projected on the first two principal components of the pool
// (unlabelled data: its labels are only read for the draws), each episode
// draws k labelled pool rows per class exactly as FewShot does (the same
// rows for the same seed), and each query is labelled by the
// HullClassifier of those landmarks. It returns the mean accuracy over
// the episodes. With k = 1 a hull is its point and this is nearest
// centroid in the plane; with k = 2 a segment. It is FewShotHullIn with
// two dimensions.
func FewShotHull(pool [][]float64, poolLabels []int, query [][]float64, queryLabels []int, k, episodes int, seed uint64) (float64, error) {
	return FewShotHullIn(pool, poolLabels, query, queryLabels, k, 2, episodes, seed)
}

// FewShotHullIn is FewShotHull in the pool's first dims principal
// components (the notes' "PCA to 2–3 dimensions"): a query inside one
// class's hull takes that class; inside several, the class whose
// landmarks' mean is nearest; inside none, the class of the nearest hull
// by Euclidean distance (HullDistance). In two dimensions it runs the
// plane's exact HullClassifier. dims above the codes' length are an
// error.
func FewShotHullIn(pool [][]float64, poolLabels []int, query [][]float64, queryLabels []int, k, dims, episodes int, seed uint64) (float64, error) {
	if dims == 2 {
		return fewShotProjected(pool, poolLabels, query, queryLabels, k, 2, episodes, seed, func(marks [][][]float64) (func([]float64) int, error) {
			plane := make([][][2]float64, len(marks))
			for c, ms := range marks {
				for _, m := range ms {
					plane[c] = append(plane[c], [2]float64{m[0], m[1]})
				}
			}
			hc, err := NewHullClassifier(plane)
			if err != nil {
				return nil, err
			}
			return func(q []float64) int { return hc.Predict([2]float64{q[0], q[1]}) }, nil
		})
	}
	return fewShotProjected(pool, poolLabels, query, queryLabels, k, dims, episodes, seed, func(marks [][][]float64) (func([]float64) int, error) {
		means := landmarkMeans(marks, dims)
		return func(q []float64) int {
			best, bestD, inside := 0, math.Inf(1), false
			for c, ms := range marks {
				d := HullDistance(ms, q)
				if d == 0 {
					if dm := dist(q, means[c]); !inside || dm < bestD {
						best, bestD, inside = c, dm, true
					}
					continue
				}
				if !inside && d < bestD {
					best, bestD = c, d
				}
			}
			return best
		}, nil
	})
}

// FewShotIn is FewShot (nearest landmark mean) in the pool's first dims
// principal components: the baseline that tells what FewShotHullIn loses
// to the projection from what it loses to the hulls.
func FewShotIn(pool [][]float64, poolLabels []int, query [][]float64, queryLabels []int, k, dims, episodes int, seed uint64) (float64, error) {
	return fewShotProjected(pool, poolLabels, query, queryLabels, k, dims, episodes, seed, func(marks [][][]float64) (func([]float64) int, error) {
		means := landmarkMeans(marks, dims)
		return func(q []float64) int { c, _ := nearest(means, q); return c }, nil
	})
}

// fewShotProjected runs the episodes of FewShot in the pool's first dims
// principal components: build makes each episode's classifier from the
// projected landmarks of each class.
func fewShotProjected(pool [][]float64, poolLabels []int, query [][]float64, queryLabels []int, k, dims, episodes int, seed uint64,
	build func(marks [][][]float64) (func([]float64) int, error)) (float64, error) {
	if k < 1 || episodes < 1 || len(query) == 0 || dims < 1 {
		return 0, fmt.Errorf("latent: few-shot with k = %d, %d dimensions, %d episodes, %d queries: want positive numbers", k, dims, episodes, len(query))
	}
	if len(pool) > 0 && dims > len(pool[0]) && dims != 2 {
		return 0, fmt.Errorf("latent: few-shot in %d principal components of %d-dimensional codes: want at most %d", dims, len(pool[0]), len(pool[0]))
	}
	byClass := make([][]int, numLabels(poolLabels))
	for i, l := range poolLabels {
		byClass[l] = append(byClass[l], i)
	}
	for c, rows := range byClass {
		if len(rows) < k {
			return 0, fmt.Errorf("latent: few-shot: class %d has %d labelled rows, fewer than k = %d", c, len(rows), k)
		}
	}
	p, err := FitPCA(pool)
	if err != nil {
		return 0, err
	}
	project := func(x [][]float64) [][]float64 {
		out := make([][]float64, len(x))
		for i, row := range p.Project(x, dims) {
			out[i] = make([]float64, dims)
			copy(out[i], row) // codes of fewer dimensions leave the rest 0
		}
		return out
	}
	poolP, queryP := project(pool), project(query)
	var total float64
	for e := range episodes {
		rng := rand.New(rand.NewPCG(seed, uint64(e)))
		marks := make([][][]float64, len(byClass))
		for c, rows := range byClass {
			for _, j := range rng.Perm(len(rows))[:k] {
				marks[c] = append(marks[c], poolP[rows[j]])
			}
		}
		predict, err := build(marks)
		if err != nil {
			return 0, err
		}
		right := 0
		for i, q := range queryP {
			if predict(q) == queryLabels[i] {
				right++
			}
		}
		total += float64(right) / float64(len(query))
	}
	return total / float64(episodes), nil
}

// landmarkMeans is each class's mean landmark, dims wide.
func landmarkMeans(marks [][][]float64, dims int) [][]float64 {
	means := make([][]float64, len(marks))
	for c, ms := range marks {
		means[c] = make([]float64, dims)
		for _, m := range ms {
			for t, v := range m {
				means[c][t] += v / float64(len(ms))
			}
		}
	}
	return means
}

package latent

import (
	"container/heap"
	"fmt"
	"math"
	"slices"
)

// The research notes' valley navigation: dense regions of the latent
// space are valleys, sparse ones ridges, and a path between two codes
// should stay in the valleys, where the decoder has seen data, rather than
// cross a ridge in a straight line. Here density is a k-nearest-neighbour
// estimate, the valleys are a graph on the codes whose edges cost more
// where density falls, and a valley path is a shortest path in it.

// KNNDensity returns each point's k-nearest-neighbour density,
// ρ_i = 1/r_k(i), with r_k(i) the distance from point i to its k-th
// nearest other point. This is the classical estimate k/(n·V_d·r_k^d)
// without its constant factor and its d-th power, which in ten or more
// dimensions under- or overflows and lets one outlier dominate; the
// valley graph's exponent α plays the power's part. Coincident points
// give +Inf. It panics if k < 1 or k ≥ len(points).
func KNNDensity(points [][]float64, k int) []float64 {
	if k < 1 || k >= len(points) {
		panic(fmt.Sprintf("latent: KNNDensity with k = %d of %d points: want 1 ≤ k < points", k, len(points)))
	}
	out := make([]float64, len(points))
	for i, p := range points {
		out[i] = 1 / kthDistance(points, p, k, i)
	}
	return out
}

// DensityAt is the k-NN density at any point q, 1/r_k(q) with r_k(q) the
// distance from q to its k-th nearest point (KNNDensity's estimate, for
// a point that need not be one of them: a grid to draw contours on). It
// panics if k < 1 or k > len(points).
func DensityAt(points [][]float64, q []float64, k int) float64 {
	if k < 1 || k > len(points) {
		panic(fmt.Sprintf("latent: DensityAt with k = %d of %d points: want 1 ≤ k ≤ points", k, len(points)))
	}
	return 1 / kthDistance(points, q, k, -1)
}

// kthDistance is the distance from q to its k-th nearest point, not
// counting the point with index skip (−1 to count every point).
func kthDistance(points [][]float64, q []float64, k, skip int) float64 {
	best := make([]float64, 0, k+1) // the k least squared distances, ascending
	for j, p := range points {
		if j == skip {
			continue
		}
		d := sqDist(p, q)
		if len(best) == k && d >= best[k-1] {
			continue
		}
		at, _ := slices.BinarySearch(best, d)
		best = slices.Insert(best, at, d)
		if len(best) > k {
			best = best[:k]
		}
	}
	return math.Sqrt(best[len(best)-1])
}

// ValleyConfig configures a valley graph. The zero value means the
// defaults: K 10, Alpha 2.
type ValleyConfig struct {
	// K is the number of neighbours each point links to, and the k of the
	// densities.
	K int
	// Alpha is how steeply an edge's cost grows where density falls: 0
	// makes the graph's shortest paths plain Euclidean ones along the
	// data.
	Alpha float64
}

func (c *ValleyConfig) defaults() {
	if c.K == 0 {
		c.K = 10
	}
	if c.Alpha == 0 {
		c.Alpha = 2
	}
}

// ValleyGraph is a weighted graph on points: each point is linked to its K
// nearest neighbours, and the Euclidean minimum spanning tree is added so
// that every two points are connected. An edge from i to j costs
//
//	‖x_i − x_j‖ · (ρ̄ / ρ_mid)^α,
//
// its length times how much sparser than average the data is at its
// midpoint: ρ_mid = 1/r_K(midpoint) is the k-NN density there (its K-th
// nearest point's distance), ρ̄ the mean of the points' own densities. An
// edge across a hole has a midpoint far from every point and costs many
// times its length. A ValleyGraph is safe for concurrent use.
type ValleyGraph struct {
	Points [][]float64
	// Density is each point's KNNDensity.
	Density []float64
	edges   [][]edge
}

type edge struct {
	to   int
	cost float64
}

// NewValleyGraph builds the valley graph of the points, in O(n²·d) time
// for n points of d values. It returns an error for fewer than K+1 points,
// rows of different lengths or a negative Alpha.
func NewValleyGraph(points [][]float64, cfg ValleyConfig) (*ValleyGraph, error) {
	cfg.defaults()
	if _, err := matrix(points); err != nil {
		return nil, err
	}
	if cfg.K < 1 || cfg.K >= len(points) || cfg.Alpha < 0 {
		return nil, fmt.Errorf("latent: valley graph with K = %d, α = %g on %d points: want 1 ≤ K < points and α ≥ 0", cfg.K, cfg.Alpha, len(points))
	}
	g := &ValleyGraph{Points: points, Density: KNNDensity(points, cfg.K)}
	var mean float64
	finite := 0
	for _, r := range g.Density {
		if !math.IsInf(r, 0) {
			mean += r
			finite++
		}
	}
	mean /= float64(max(finite, 1))
	n := len(points)
	linked := make([]map[int]bool, n)
	for i := range linked {
		linked[i] = map[int]bool{}
	}
	link := func(i, j int) {
		if i == j || linked[i][j] {
			return
		}
		linked[i][j], linked[j][i] = true, true
		mid := Lerp(points[i], points[j], 0.5)
		rk := kthDistance(points, mid, cfg.K, -1)
		cost := dist(points[i], points[j])
		if cost > 0 {
			// rk·mean is ρ̄/ρ_mid; a midpoint on a point (rk = 0) is as
			// dense as can be and costs nothing extra.
			cost *= math.Pow(rk*mean, cfg.Alpha)
		}
		g.edges[i] = append(g.edges[i], edge{j, cost})
		g.edges[j] = append(g.edges[j], edge{i, cost})
	}
	g.edges = make([][]edge, n)
	for i := range points {
		for _, j := range kNearest(points, i, cfg.K) {
			link(i, j)
		}
	}
	for i, j := range spanningTree(points) {
		if j >= 0 {
			link(i, j)
		}
	}
	for i := range g.edges { // map order played no part, but keep edges in index order
		slices.SortFunc(g.edges[i], func(a, b edge) int { return a.to - b.to })
	}
	return g, nil
}

// kNearest returns the indices of the k points nearest point i (not i),
// nearest first, ties to the lower index.
func kNearest(points [][]float64, i, k int) []int {
	idx := make([]int, 0, len(points)-1)
	d := make([]float64, len(points))
	for j, p := range points {
		if j != i {
			idx = append(idx, j)
			d[j] = sqDist(p, points[i])
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case d[a] < d[b]:
			return -1
		case d[a] > d[b]:
			return 1
		}
		return 0
	})
	return idx[:k]
}

// spanningTree returns the Euclidean minimum spanning tree by Prim's
// algorithm as each point's parent (−1 for the root, point 0).
func spanningTree(points [][]float64) []int {
	n := len(points)
	parent := make([]int, n)
	best := make([]float64, n)
	done := make([]bool, n)
	for i := range best {
		best[i], parent[i] = math.Inf(1), -1
	}
	best[0] = 0
	for range n {
		u := -1
		for i := range n {
			if !done[i] && (u < 0 || best[i] < best[u]) {
				u = i
			}
		}
		done[u] = true
		for i := range n {
			if !done[i] {
				if d := sqDist(points[u], points[i]); d < best[i] {
					best[i], parent[i] = d, u
				}
			}
		}
	}
	return parent
}

// ShortestPath returns the cheapest path from point a to point b by
// Dijkstra's algorithm, as point indices from a to b, and its cost. It
// panics if a or b is not a point's index.
func (g *ValleyGraph) ShortestPath(a, b int) ([]int, float64) {
	n := len(g.Points)
	if a < 0 || b < 0 || a >= n || b >= n {
		panic(fmt.Sprintf("latent: ShortestPath from %d to %d in a graph of %d points", a, b, n))
	}
	cost := make([]float64, n)
	prev := make([]int, n)
	for i := range cost {
		cost[i], prev[i] = math.Inf(1), -1
	}
	cost[a] = 0
	q := &queue{{a, 0}}
	for q.Len() > 0 {
		it := heap.Pop(q).(item)
		if it.cost > cost[it.node] {
			continue
		}
		if it.node == b {
			break
		}
		for _, e := range g.edges[it.node] {
			if c := it.cost + e.cost; c < cost[e.to] {
				cost[e.to], prev[e.to] = c, it.node
				heap.Push(q, item{e.to, c})
			}
		}
	}
	var path []int
	for v := b; v >= 0; v = prev[v] {
		path = append(path, v)
		if v == a {
			break
		}
	}
	slices.Reverse(path)
	return path, cost[b]
}

// Path returns the valley path from point a to point b as steps points
// evenly spaced along it (see Resample).
func (g *ValleyGraph) Path(a, b, steps int) [][]float64 {
	idx, _ := g.ShortestPath(a, b)
	poly := make([][]float64, len(idx))
	for k, i := range idx {
		poly[k] = g.Points[i]
	}
	return Resample(poly, steps)
}

// ValleyPath is NewValleyGraph(points, cfg).Path(a, b, steps): the
// cheapest path from point a to point b through the dense regions of the
// points, resampled to steps evenly spaced points. To draw many paths
// among one set of points, build the graph once.
func ValleyPath(points [][]float64, a, b, steps int, cfg ValleyConfig) ([][]float64, error) {
	g, err := NewValleyGraph(points, cfg)
	if err != nil {
		return nil, err
	}
	if a < 0 || b < 0 || a >= len(points) || b >= len(points) {
		return nil, fmt.Errorf("latent: valley path from point %d to point %d of %d", a, b, len(points))
	}
	return g.Path(a, b, steps), nil
}

// Resample returns steps points evenly spaced by Euclidean arc length
// along the polyline, its first and last points included (steps ≥ 2;
// one step is the first point). A polyline of one point, or of zero
// length, repeats that point.
func Resample(poly [][]float64, steps int) [][]float64 {
	if steps < 1 || len(poly) == 0 {
		return nil
	}
	cum := make([]float64, len(poly))
	for k := 1; k < len(poly); k++ {
		cum[k] = cum[k-1] + dist(poly[k-1], poly[k])
	}
	total := cum[len(cum)-1]
	out := make([][]float64, steps)
	seg := 0
	for s := range steps {
		if steps == 1 || total == 0 {
			out[s] = clone(poly[0])
			continue
		}
		at := total * float64(s) / float64(steps-1)
		for seg < len(poly)-2 && cum[seg+1] < at {
			seg++
		}
		span := cum[seg+1] - cum[seg]
		t := 0.0
		if span > 0 {
			t = min(1, max(0, (at-cum[seg])/span))
		}
		out[s] = Lerp(poly[seg], poly[seg+1], t)
	}
	out[steps-1] = clone(poly[len(poly)-1])
	return out
}

type item struct {
	node int
	cost float64
}

// queue is a min-heap of items by cost, ties by node, so Dijkstra's
// order is a function of the graph alone.
type queue []item

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].cost != q[j].cost {
		return q[i].cost < q[j].cost
	}
	return q[i].node < q[j].node
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(item)) }
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// SOMPath is the U-matrix variant of a valley path: the SOM's units are
// the graph's nodes, each linked to its 8 grid neighbours at a cost of
// ‖w_u − w_v‖·(ū/Ū)^α, where ū is the mean U-matrix value of the two
// units and Ū the mean over the map (α = 0 means the ValleyConfig
// default, 2). The path runs from a to a's best matching unit, along the
// cheapest chain of units to b's, then to b, resampled to steps points.
func (m *SOM) SOMPath(a, b []float64, steps int, alpha float64) [][]float64 {
	if alpha == 0 {
		alpha = 2
	}
	u := m.UMatrix()
	var mean float64
	for _, row := range u {
		for _, v := range row {
			mean += v / float64(len(m.W))
		}
	}
	g := &ValleyGraph{Points: m.W, edges: make([][]edge, len(m.W))}
	for v := range m.W {
		r, c := v/m.Cols, v%m.Cols
		for dr := -1; dr <= 1; dr++ {
			for dc := -1; dc <= 1; dc++ {
				rr, cc := r+dr, c+dc
				if (dr == 0 && dc == 0) || rr < 0 || cc < 0 || rr >= m.Rows || cc >= m.Cols {
					continue
				}
				w := rr*m.Cols + cc
				cost := dist(m.W[v], m.W[w])
				if mean > 0 {
					cost *= math.Pow((u[r][c]+u[rr][cc])/(2*mean), alpha)
				}
				g.edges[v] = append(g.edges[v], edge{w, cost})
			}
		}
	}
	ua, _ := m.BMU(a)
	ub, _ := m.BMU(b)
	idx, _ := g.ShortestPath(ua, ub)
	poly := [][]float64{a}
	for _, i := range idx {
		poly = append(poly, m.W[i])
	}
	return Resample(append(poly, b), steps)
}

package latent

import (
	"fmt"
	"math"
	"slices"
)

// Dendrogram is a hierarchical clustering of Leaves points, as SciPy's
// linkage matrix: node ids below Leaves are the points, and merge i
// creates node Leaves + i. Merges are in order of height.
type Dendrogram struct {
	Leaves int
	Merges []Merge
}

// Merge joins nodes A and B (A < B) at Height into a cluster of Size
// points.
type Merge struct {
	A, B   int
	Height float64
	Size   int
}

// Agglomerate clusters the points by average linkage (UPGMA): it merges,
// again and again, the two clusters whose points are closest on average
// (mean Euclidean distance over the pairs across them). It runs the
// nearest-neighbour chain algorithm (Murtagh 1983), O(n²) time and
// memory, and gives SciPy's linkage(method="average") up to the order of
// merges at one height. It panics on rows of different lengths; no points
// give an empty Dendrogram.
func Agglomerate(points [][]float64) *Dendrogram {
	n := len(points)
	dg := &Dendrogram{Leaves: n}
	if n < 2 {
		return dg
	}
	if _, err := matrix(points); err != nil {
		panic(err)
	}
	d := make([][]float64, n)
	for i := range d {
		d[i] = make([]float64, n)
		for j := range i {
			d[i][j] = dist(points[i], points[j])
			d[j][i] = d[i][j]
		}
	}
	size := make([]int, n)
	active := make([]bool, n)
	for i := range n {
		size[i], active[i] = 1, true
	}
	type slotMerge struct {
		a, b int // the slots merged; the cluster lives on in a
		h    float64
	}
	var merges []slotMerge
	var chain []int
	for left := n; left > 1; {
		if len(chain) == 0 {
			chain = append(chain, slices.Index(active, true))
		}
		a := chain[len(chain)-1]
		prev := -1
		if len(chain) > 1 {
			prev = chain[len(chain)-2]
		}
		// The nearest active cluster to a; a tie with the previous link
		// of the chain goes to it, which keeps the chain from cycling.
		b, best := -1, math.Inf(1)
		if prev >= 0 {
			b, best = prev, d[a][prev]
		}
		for k := range n {
			if active[k] && k != a && d[a][k] < best {
				b, best = k, d[a][k]
			}
		}
		if b != prev {
			chain = append(chain, b)
			continue
		}
		chain = chain[:len(chain)-2]
		lo, hi := min(a, b), max(a, b)
		merges = append(merges, slotMerge{lo, hi, best})
		for k := range n {
			if active[k] && k != lo && k != hi {
				// Lance–Williams for average linkage.
				v := (float64(size[lo])*d[lo][k] + float64(size[hi])*d[hi][k]) / float64(size[lo]+size[hi])
				d[lo][k], d[k][lo] = v, v
			}
		}
		size[lo] += size[hi]
		active[hi] = false
		left--
	}
	slices.SortStableFunc(merges, func(x, y slotMerge) int {
		switch {
		case x.h < y.h:
			return -1
		case x.h > y.h:
			return 1
		}
		return 0
	})
	// Relabel slots as node ids in height order, with union–find on the
	// slots (SciPy's label step).
	parent := make([]int, n)
	node := make([]int, n) // the node id of the cluster a root slot holds
	sizes := make([]int, n)
	for i := range n {
		parent[i], node[i], sizes[i] = i, i, 1
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for i, m := range merges {
		ra, rb := find(m.a), find(m.b)
		na, nb := node[ra], node[rb]
		dg.Merges = append(dg.Merges, Merge{A: min(na, nb), B: max(na, nb), Height: m.h, Size: sizes[ra] + sizes[rb]})
		parent[rb] = ra
		node[ra], sizes[ra] = n+i, sizes[ra]+sizes[rb]
	}
	return dg
}

// members returns each node's leaves, in the dendrogram's leaf order.
func (dg *Dendrogram) members() [][]int {
	out := make([][]int, dg.Leaves+len(dg.Merges))
	for i := range dg.Leaves {
		out[i] = []int{i}
	}
	for i, m := range dg.Merges {
		out[dg.Leaves+i] = append(slices.Clone(out[m.A]), out[m.B]...)
	}
	return out
}

// Order returns the leaves left to right as a dendrogram draws them: each
// merge's A side before its B side.
func (dg *Dendrogram) Order() []int {
	if len(dg.Merges) == 0 {
		out := make([]int, dg.Leaves)
		for i := range out {
			out[i] = i
		}
		return out
	}
	return dg.members()[dg.Leaves+len(dg.Merges)-1]
}

// Cophenetic returns the cophenetic distances: entry (i, j) is the height
// of the merge that first puts leaves i and j in one cluster (0 on the
// diagonal).
func (dg *Dendrogram) Cophenetic() [][]float64 {
	out := make([][]float64, dg.Leaves)
	for i := range out {
		out[i] = make([]float64, dg.Leaves)
	}
	mem := dg.members()
	for _, m := range dg.Merges {
		for _, i := range mem[m.A] {
			for _, j := range mem[m.B] {
				out[i][j], out[j][i] = m.Height, m.Height
			}
		}
	}
	return out
}

// CopheneticCorrelation is the Pearson correlation, over the pairs of
// leaves i < j, between the dendrogram's cophenetic distances and the
// given ones (the points' own distances for Sokal and Rohlf's measure of
// how faithful the tree is; a known tree's distances to ask whether the
// clustering found that tree). It returns NaN when either is constant and
// panics if distances is not Leaves×Leaves.
func CopheneticCorrelation(dg *Dendrogram, distances [][]float64) float64 {
	if len(distances) != dg.Leaves {
		panic(fmt.Sprintf("latent: cophenetic correlation of %d leaves with %d rows of distances", dg.Leaves, len(distances)))
	}
	c := dg.Cophenetic()
	var x, y []float64
	for i := range dg.Leaves {
		if len(distances[i]) != dg.Leaves {
			panic(fmt.Sprintf("latent: cophenetic correlation of %d leaves: distance row %d has %d values", dg.Leaves, i, len(distances[i])))
		}
		for j := i + 1; j < dg.Leaves; j++ {
			x, y = append(x, c[i][j]), append(y, distances[i][j])
		}
	}
	return pearson(x, y)
}

// Purity is the dendrogram purity of Heller and Ghahramani (2005): over
// every pair of leaves of one class, the share of the leaves under their
// lowest common merge that are of that class, averaged. It is 1 when each
// class is a subtree. It returns NaN when no two leaves share a class and
// panics if labels has not one label per leaf or a label is negative.
func (dg *Dendrogram) Purity(labels []int) float64 {
	if len(labels) != dg.Leaves {
		panic(fmt.Sprintf("latent: purity of %d leaves with %d labels", dg.Leaves, len(labels)))
	}
	k := numLabels(labels)
	counts := make([][]float64, dg.Leaves+len(dg.Merges))
	for i, l := range labels {
		counts[i] = make([]float64, k)
		counts[i][l] = 1
	}
	var sum, pairs float64
	for i, m := range dg.Merges {
		c := make([]float64, k)
		for l := range k {
			c[l] = counts[m.A][l] + counts[m.B][l]
			// Pairs of class l whose lowest common merge is this one.
			p := counts[m.A][l] * counts[m.B][l]
			pairs += p
			sum += p * c[l] / float64(m.Size)
		}
		counts[dg.Leaves+i] = c
	}
	if pairs == 0 {
		return math.NaN()
	}
	return sum / pairs
}

// TreeDistances returns the path lengths in a tree given by each node's
// parent (−1 for the root): entry (i, j) is the number of edges between
// nodes i and j. It panics on a parent out of range or a second root; a
// cycle is a programmer's error too, and loops.
func TreeDistances(parent []int) [][]float64 {
	n := len(parent)
	depth := make([]int, n)
	for i := range n {
		for p := parent[i]; p >= 0; p = parent[p] {
			if p >= n {
				panic(fmt.Sprintf("latent: TreeDistances: node %d has parent %d of %d nodes", i, p, n))
			}
			depth[i]++
		}
	}
	out := make([][]float64, n)
	for i := range out {
		out[i] = make([]float64, n)
	}
	for i := range n {
		for j := range i {
			a, b, steps := i, j, 0
			for a != b {
				if a < 0 || b < 0 {
					panic("latent: TreeDistances of a forest: want one root")
				}
				if depth[a] >= depth[b] {
					a = parent[a]
				} else {
					b = parent[b]
				}
				steps++
			}
			out[i][j], out[j][i] = float64(steps), float64(steps)
		}
	}
	return out
}

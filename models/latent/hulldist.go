package latent

import (
	"math"
	"slices"
)

// HullDistance is the Euclidean distance from q to the convex hull of
// the points, in any dimension: 0 when q lies inside or on the hull. It
// runs Wolfe's minimum-norm-point algorithm (Wolfe 1976) on the points
// less q, exact in finitely many steps up to a relative tolerance of
// about 1e-12 of the points' squared spread. No points give +Inf; it
// panics on points of another length than q.
func HullDistance(points [][]float64, q []float64) float64 {
	if len(points) == 0 {
		return math.Inf(1)
	}
	p := make([][]float64, len(points))
	var scale float64
	for i, row := range points {
		if len(row) != len(q) {
			panic("latent: HullDistance: a point's length differs from the query's")
		}
		p[i] = make([]float64, len(q))
		for j := range q {
			p[i][j] = row[j] - q[j]
		}
		scale = max(scale, dot(p[i], p[i]))
	}
	if scale == 0 {
		return 0
	}
	tol := 1e-12 * scale
	// The corral S and its weights; x = Σ w_i p_S[i] is its point.
	first := 0
	for i := range p {
		if dot(p[i], p[i]) < dot(p[first], p[first]) {
			first = i
		}
	}
	s, w := []int{first}, []float64{1}
	x := slices.Clone(p[first])
	for range 10 * (len(p) + len(q) + 1) { // major cycles; Wolfe's terminates far sooner
		xx := dot(x, x)
		if xx <= tol {
			return 0
		}
		j, best := -1, math.Inf(1)
		for i := range p {
			if v := dot(x, p[i]); v < best {
				j, best = i, v
			}
		}
		if xx-best <= tol || slices.Contains(s, j) {
			break // x is the nearest point
		}
		s, w = append(s, j), append(w, 0)
		for range len(p) + 1 { // minor cycles
			a, ok := affineMinimizer(p, s)
			if !ok {
				// Affinely dependent corral (degenerate landmarks): x is
				// as near as this corral gets.
				s = s[:len(s)-1]
				w = w[:len(w)-1]
				return math.Sqrt(dot(x, x))
			}
			if slices.Min(a) > 1e-14 {
				w = a
				break
			}
			theta := 1.0
			for i := range a {
				if a[i] <= 1e-14 {
					theta = min(theta, w[i]/(w[i]-a[i]))
				}
			}
			keep := 0
			for i := range a {
				v := theta*a[i] + (1-theta)*w[i]
				if v > 1e-14 {
					s[keep], w[keep] = s[i], v
					keep++
				}
			}
			s, w = s[:keep], w[:keep]
			if keep == 0 {
				break // cannot happen with theta ≤ 1; guards the loop
			}
		}
		x = make([]float64, len(q))
		var sum float64
		for _, v := range w {
			sum += v
		}
		for i, k := range s {
			for t := range x {
				x[t] += w[i] / sum * p[k][t]
			}
		}
	}
	return math.Sqrt(dot(x, x))
}

// affineMinimizer returns the weights (summing to 1) of the point of
// least norm on the affine hull of p[s]: the solution of
// [G 1; 1ᵀ 0][a; −μ] = [0; 1] with G the Gram matrix, by Gaussian
// elimination with partial pivoting. It reports false when the system is
// singular (affinely dependent points).
func affineMinimizer(p [][]float64, s []int) ([]float64, bool) {
	n := len(s) + 1
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n+1)
	}
	var scale float64
	for i, a := range s {
		for j, b := range s {
			m[i][j] = dot(p[a], p[b])
			scale = max(scale, math.Abs(m[i][j]))
		}
		m[i][n-1], m[n-1][i] = 1, 1
	}
	m[n-1][n] = 1
	for c := range n {
		piv := c
		for r := c + 1; r < n; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[piv][c]) {
				piv = r
			}
		}
		if math.Abs(m[piv][c]) <= 1e-13*max(scale, 1) {
			return nil, false
		}
		m[c], m[piv] = m[piv], m[c]
		for r := range n {
			if r != c && m[r][c] != 0 {
				f := m[r][c] / m[c][c]
				for k := c; k <= n; k++ {
					m[r][k] -= f * m[c][k]
				}
			}
		}
	}
	a := make([]float64, len(s))
	for i := range a {
		a[i] = m[i][n] / m[i][i]
	}
	return a, true
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

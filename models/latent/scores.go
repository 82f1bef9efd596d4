package latent

import (
	"math"
)

// Silhouette is the mean silhouette coefficient of the rows under the
// labelling, with Euclidean distances: for each row, (b − a)/max(a, b),
// where a is its mean distance to the rest of its cluster and b the least
// mean distance to another cluster; 0 for rows alone in their cluster
// (scikit-learn's silhouette_score). It needs 2 ≤ clusters < rows; it
// returns NaN otherwise.
func Silhouette(x [][]float64, labels []int) float64 {
	n := len(x)
	k := numLabels(labels)
	if k < 2 || k >= n {
		return math.NaN()
	}
	size := make([]float64, k)
	for _, l := range labels {
		size[l]++
	}
	sums := make([]float64, k)
	var total float64
	for i := range x {
		clear(sums)
		for j := range x {
			if i != j {
				sums[labels[j]] += dist(x[i], x[j])
			}
		}
		own := labels[i]
		if size[own] == 1 {
			continue
		}
		a := sums[own] / (size[own] - 1)
		b := math.Inf(1)
		for c := range k {
			if c != own && size[c] > 0 {
				b = min(b, sums[c]/size[c])
			}
		}
		total += (b - a) / max(a, b)
	}
	return total / float64(n)
}

// Homogeneity, Completeness and VMeasure compare a clustering with the true
// classes (Rosenberg and Hirschberg 2007, as scikit-learn computes them,
// with natural logarithms and V as their harmonic mean, β = 1).
type Homogeneity struct {
	Homogeneity, Completeness, VMeasure float64
}

// HomogeneityCompleteness scores pred against truth.
func HomogeneityCompleteness(truth, pred []int) Homogeneity {
	ct := contingency(truth, pred)
	hC := entropyOf(marginal(ct, true))
	hK := entropyOf(marginal(ct, false))
	mi := mutualInfo(ct)
	var s Homogeneity
	s.Homogeneity, s.Completeness = 1, 1
	if hC > 0 {
		s.Homogeneity = mi / hC
	}
	if hK > 0 {
		s.Completeness = mi / hK
	}
	if s.Homogeneity+s.Completeness > 0 {
		s.VMeasure = 2 * s.Homogeneity * s.Completeness / (s.Homogeneity + s.Completeness)
	}
	return s
}

// AdjustedRand is the adjusted Rand index of two labellings (Hubert and
// Arabie 1985): 1 for identical partitions, about 0 for random ones.
func AdjustedRand(truth, pred []int) float64 {
	ct := contingency(truth, pred)
	choose2 := func(v float64) float64 { return v * (v - 1) / 2 }
	var index, a, b float64
	for _, row := range ct {
		for _, v := range row {
			index += choose2(v)
		}
	}
	for _, v := range marginal(ct, true) {
		a += choose2(v)
	}
	for _, v := range marginal(ct, false) {
		b += choose2(v)
	}
	expected := a * b / choose2(float64(len(truth)))
	maxIndex := (a + b) / 2
	if maxIndex == expected { // both partitions trivial, as scikit-learn
		return 1
	}
	return (index - expected) / (maxIndex - expected)
}

// contingency counts pairs: ct[c][k] = #rows of class c in cluster k.
func contingency(truth, pred []int) [][]float64 {
	if len(truth) != len(pred) {
		panic("latent: labellings of different lengths")
	}
	ct := make([][]float64, numLabels(truth))
	k := numLabels(pred)
	for c := range ct {
		ct[c] = make([]float64, k)
	}
	for i := range truth {
		ct[truth[i]][pred[i]]++
	}
	return ct
}

func marginal(ct [][]float64, rows bool) []float64 {
	var out []float64
	if rows {
		for _, row := range ct {
			s := 0.0
			for _, v := range row {
				s += v
			}
			out = append(out, s)
		}
		return out
	}
	if len(ct) == 0 {
		return nil
	}
	out = make([]float64, len(ct[0]))
	for _, row := range ct {
		for k, v := range row {
			out[k] += v
		}
	}
	return out
}

// entropyOf is the entropy in nats of the distribution proportional to counts.
func entropyOf(counts []float64) float64 {
	var n, h float64
	for _, c := range counts {
		n += c
	}
	for _, c := range counts {
		if c > 0 {
			h -= c / n * math.Log(c/n)
		}
	}
	return h
}

// mutualInfo is the mutual information in nats of a contingency table.
func mutualInfo(ct [][]float64) float64 {
	rows, cols := marginal(ct, true), marginal(ct, false)
	var n float64
	for _, r := range rows {
		n += r
	}
	var mi float64
	for c, row := range ct {
		for k, v := range row {
			if v > 0 {
				mi += v / n * math.Log(v*n/(rows[c]*cols[k]))
			}
		}
	}
	return max(mi, 0)
}

// numLabels is one more than the largest label.
func numLabels(labels []int) int {
	k := 0
	for _, l := range labels {
		if l < 0 {
			panic("latent: negative label")
		}
		k = max(k, l+1)
	}
	return k
}

func dist(a, b []float64) float64 { return math.Sqrt(sqDist(a, b)) }

func sqDist(a, b []float64) float64 {
	var s float64
	for i := range a {
		d := a[i] - b[i]
		s += d * d
	}
	return s
}

package latent

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"sync"
)

// Factors are the generator's known factors of variation, each
// discretised to class indices (disentanglement_lib's metrics need
// discrete factors): Values[j][i] is factor j's class for row i.
type Factors struct {
	Names  []string
	Values [][]int
}

// Discretize maps continuous values to bins equal-width bins over their
// range, numbered 0 … bins−1, exactly as disentanglement_lib's
// _histogram_discretize does (np.digitize(x, np.histogram(x, bins)[1][:-1]),
// less one): the edges are numpy's linspace, edge k = k·((hi−lo)/bins) + lo
// in float64, and a value goes to the last edge at or below it, so a value
// on an edge starts the higher bin, as numpy decides "on" after rounding
// (0.3 with 10 bins on [0, 1] has edge 3 at 0.30000000000000004 and lands in
// bin 2). The maximum goes to the last bin. Values that are all equal are
// binned as numpy does, over [v−0.5, v+0.5], so they all land in bin
// bins/2. It panics if bins < 1.
func Discretize(v []float64, bins int) []int {
	if bins < 1 {
		panic(fmt.Sprintf("latent: Discretize into %d bins", bins))
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	out := make([]int, len(v))
	if len(v) == 0 {
		return out
	}
	if lo == hi {
		lo, hi = lo-0.5, hi+0.5
	}
	// numpy's linspace: step = (hi−lo)/bins, edge k = k·step + lo; the
	// float64 conversion keeps the compiler from fusing it into one
	// rounding, which numpy does not do.
	step := (hi - lo) / float64(bins)
	edges := make([]float64, bins)
	for k := range edges {
		edges[k] = float64(float64(k)*step) + lo
	}
	for i, x := range v {
		// the number of edges at or below x, less one (np.digitize, right=False).
		out[i] = max(sort.Search(bins, func(k int) bool { return edges[k] > x })-1, 0)
	}
	return out
}

// MIG is the mutual information gap (Chen et al. 2018) as
// disentanglement_lib computes it: each code dimension is discretised into
// 20 equal-width bins; for each factor, the gap between the two code
// dimensions sharing most information with it, over the factor's entropy;
// averaged over the factors that vary (a constant factor's gap is NaN and
// left out). It also returns each factor's gap.
func MIG(codes [][]float64, f Factors) (float64, []float64) {
	d := len(codes[0])
	binned := make([][]int, d)
	for i := range d {
		col := make([]float64, len(codes))
		for r, c := range codes {
			col[r] = c[i]
		}
		binned[i] = Discretize(col, 20)
	}
	gaps := make([]float64, len(f.Values))
	var sum float64
	used := 0
	for j, fac := range f.Values {
		h := entropyOf(marginal(contingency(fac, fac), true))
		mi := make([]float64, d)
		for i := range d {
			mi[i] = mutualInfo(contingency(fac, binned[i]))
		}
		sort.Sort(sort.Reverse(sort.Float64Slice(mi)))
		if h == 0 {
			gaps[j] = math.NaN() // a constant factor has no gap to measure
			continue
		}
		if d > 1 {
			gaps[j] = (mi[0] - mi[1]) / h
		}
		sum += gaps[j]
		used++
	}
	if used == 0 {
		return math.NaN(), gaps
	}
	return sum / float64(used), gaps
}

// DCI holds Eastwood and Williams' (2018) scores as disentanglement_lib
// defines them: Importance[i][j] is code i's importance for predicting
// factor j (from gradient-boosted trees); Disentanglement and Completeness
// are the importance-weighted 1 − entropy scores; Informativeness is the
// predictors' mean test accuracy.
type DCI struct {
	Importance                                     [][]float64
	Disentanglement, Completeness, Informativeness float64
	TrainAccuracy                                  float64
}

// ComputeDCI fits one boosted-tree classifier per factor on the training
// codes, reads the importance matrix off the trees and scores the test
// codes.
func ComputeDCI(train [][]float64, trainF Factors, test [][]float64, testF Factors, gb GBConfig) (*DCI, error) {
	if len(trainF.Values) == 0 || len(train) == 0 || len(test) == 0 {
		return nil, fmt.Errorf("latent: DCI needs codes and factors")
	}
	d, k := len(train[0]), len(trainF.Values)
	out := &DCI{Importance: make([][]float64, d)}
	for i := range out.Importance {
		out.Importance[i] = make([]float64, k)
	}
	// The factors' predictors are independent: fit them in parallel, then
	// sum in factor order so the result does not depend on scheduling.
	trainAcc, testAcc := make([]float64, k), make([]float64, k)
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for j := range trainF.Values {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			m := FitGB(train, trainF.Values[j], gb)
			for i, v := range m.Importances {
				out.Importance[i][j] = math.Abs(v)
			}
			trainAcc[j] = accuracy(m.Predict(train), trainF.Values[j])
			testAcc[j] = accuracy(m.Predict(test), testF.Values[j])
		}()
	}
	wg.Wait()
	for j := range k {
		out.TrainAccuracy += trainAcc[j] / float64(k)
		out.Informativeness += testAcc[j] / float64(k)
	}
	out.Disentanglement = dciScore(out.Importance)
	out.Completeness = dciScore(transpose(out.Importance))
	return out, nil
}

// dciScore is Σ_i ρ_i·(1 − H_K(P_i)) over the rows of R, with P_i row i
// normalised, H_K the entropy in base K = the number of columns, and ρ_i
// row i's share of the total importance.
func dciScore(r [][]float64) float64 {
	var total float64
	for _, row := range r {
		for _, v := range row {
			total += v
		}
	}
	if total == 0 {
		return 0
	}
	var s float64
	for _, row := range r {
		var rs float64
		for _, v := range row {
			rs += v
		}
		if rs == 0 {
			continue
		}
		h := 0.0
		if len(row) > 1 {
			h = entropyOf(row) / math.Log(float64(len(row)))
		}
		s += rs / total * (1 - h)
	}
	return s
}

func transpose(r [][]float64) [][]float64 {
	if len(r) == 0 {
		return nil
	}
	out := make([][]float64, len(r[0]))
	for j := range out {
		out[j] = make([]float64, len(r))
		for i := range r {
			out[j][i] = r[i][j]
		}
	}
	return out
}

func accuracy(pred, truth []int) float64 {
	right := 0
	for i := range pred {
		if pred[i] == truth[i] {
			right++
		}
	}
	return float64(right) / float64(max(len(pred), 1))
}

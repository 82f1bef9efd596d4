package latent

import (
	"math"
	"slices"
	"testing"
)

// The fixed vectors of these tests, and the reference values cited below,
// computed with scikit-learn 1.2.1 (Debian's python3-sklearn) by:
//
//	n = 30
//	X = [[sin(.7i)·3 + (i%3)·4, cos(1.3i)·2 + (i%2)·5, (i%5)·.5] for i < n]
//	truth = [i%3]; pred = [(7i)%4 if i%5 else i%3]
//	metrics.silhouette_score(X, truth), silhouette_score(X, pred),
//	homogeneity_completeness_v_measure(truth, pred), adjusted_rand_score(truth, pred)
//
// and disentanglement_lib's MIG (np.histogram/np.digitize into 20 bins,
// mutual_info_score) on codes [sin(.37i) + i%3, 2cos(.91i), i%4 + .1 sin i]
// and factors [i%3, i%4].
func fixture() (x [][]float64, truth, pred []int) {
	for i := range 30 {
		f := float64(i)
		x = append(x, []float64{math.Sin(f*0.7)*3 + float64(i%3)*4, math.Cos(f*1.3)*2 + float64(i%2)*5, float64(i%5) * 0.5})
		truth = append(truth, i%3)
		if i%5 != 0 {
			pred = append(pred, (i*7)%4)
		} else {
			pred = append(pred, i%3)
		}
	}
	return
}

func close(t *testing.T, name string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-12 {
		t.Errorf("%s = %.15g, scikit-learn gives %.15g", name, got, want)
	}
}

func TestScoresMatchScikitLearn(t *testing.T) {
	x, truth, pred := fixture()
	close(t, "silhouette(truth)", Silhouette(x, truth), 0.0729803435814441)
	close(t, "silhouette(pred)", Silhouette(x, pred), -0.0806405256931308)
	h := HomogeneityCompleteness(truth, pred)
	close(t, "homogeneity", h.Homogeneity, 0.0926126641672257)
	close(t, "completeness", h.Completeness, 0.0737663904154277)
	close(t, "v_measure", h.VMeasure, 0.0821221392261082)
	close(t, "adjusted_rand", AdjustedRand(truth, pred), 0.00319744204636291)
}

func TestMIGMatchesDisentanglementLib(t *testing.T) {
	var codes [][]float64
	f := Factors{Names: []string{"a", "b"}, Values: [][]int{nil, nil}}
	for i := range 30 {
		x := float64(i)
		codes = append(codes, []float64{math.Sin(x*0.37) + float64(i%3), math.Cos(x*0.91) * 2, float64(i%4) + 0.1*math.Sin(x)})
		f.Values[0] = append(f.Values[0], i%3)
		f.Values[1] = append(f.Values[1], i%4)
	}
	mig, gaps := MIG(codes, f)
	close(t, "mig", mig, 0.261109765446287)
	close(t, "gap a", gaps[0], 0.196534154881571)
	close(t, "gap b", gaps[1], 0.325685376011003)
}

func TestScoresAtTheirBounds(t *testing.T) {
	truth := []int{0, 0, 1, 1, 2, 2}
	renamed := []int{2, 2, 0, 0, 1, 1}
	tests := []struct {
		name      string
		got, want float64
	}{
		{"v of a renaming", HomogeneityCompleteness(truth, renamed).VMeasure, 1},
		{"ari of a renaming", AdjustedRand(truth, renamed), 1},
		{"homogeneity of singletons", HomogeneityCompleteness(truth, []int{0, 1, 2, 3, 4, 5}).Homogeneity, 1},
		{"completeness of one cluster", HomogeneityCompleteness(truth, []int{0, 0, 0, 0, 0, 0}).Completeness, 1},
		{"homogeneity of one cluster", HomogeneityCompleteness(truth, []int{0, 0, 0, 0, 0, 0}).Homogeneity, 0},
	}
	for _, tc := range tests {
		if math.Abs(tc.got-tc.want) > 1e-12 {
			t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if !math.IsNaN(Silhouette([][]float64{{0}, {1}}, []int{0, 0})) {
		t.Error("silhouette of one cluster is not NaN")
	}
}

func TestDiscretizeMatchesNumpy(t *testing.T) {
	// want is disentanglement_lib's binning less one, computed with numpy 2.4.6:
	//   python3 -c 'import numpy as np
	//   d = lambda x, b: (np.digitize(x, np.histogram(x, b)[1][:-1]) - 1).tolist()
	//   print(d([0, .15, 1], 20), d([0, .3, .7, 1], 10), d([i/10 for i in range(11)], 10))
	//   print(d([-1.5, .25, 2, 3, -.2], 7), d([2, 2, 2], 20), d([5], 10), d([0, .15, 1], 3))'
	// 0.15, 0.3, 0.6 and 0.7 lie on edges up to rounding: numpy's edges
	// (k·step + lo) put them in the lower bin, a direct x·bins would not.
	tests := []struct {
		name string
		v    []float64
		bins int
		want []int
	}{
		{"0.15 of 20 bins", []float64{0, 0.15, 1}, 20, []int{0, 2, 19}},
		{"0.3 and 0.7 of 10 bins", []float64{0, 0.3, 0.7, 1}, 10, []int{0, 2, 6, 9}},
		{"tenths", []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1}, 10, []int{0, 1, 2, 2, 4, 5, 5, 6, 8, 9, 9}},
		{"negative range", []float64{-1.5, 0.25, 2.0, 3.0, -0.2}, 7, []int{0, 2, 5, 6, 2}},
		{"constant", []float64{2, 2, 2}, 20, []int{10, 10, 10}},
		{"one value", []float64{5}, 10, []int{5}},
		{"few bins", []float64{0, 0.15, 1}, 3, []int{0, 0, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Discretize(tt.v, tt.bins); !slices.Equal(got, tt.want) {
				t.Errorf("Discretize(%v, %d) = %v, numpy says %v", tt.v, tt.bins, got, tt.want)
			}
		})
	}
}

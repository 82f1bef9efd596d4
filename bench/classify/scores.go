package classify

import (
	"math"
	"slices"

	"github.com/hiddendim/hiddendim/bench"
)

// MacroF1 scores one label: the unweighted mean, over the classes c in
// 0..k-1 that occur in truth or in pred, of class c's one-vs-rest F1,
//
//	F1_c = 2·TP_c / (2·TP_c + FP_c + FN_c).
//
// The 0/0 convention: a class that occurs in truth but is never predicted
// has TP = FP = 0 and scores F1 = 0 (its precision 0/0 counts as 0); a
// class predicted but never true likewise scores 0; a class that is neither
// true nor predicted (TP = FP = FN = 0) is left out of the mean, not
// counted as 0 or 1. It returns NaN when truth is empty, and panics if pred
// is shorter than truth or either holds a class outside 0..k-1.
//
// This equals scikit-learn's f1_score(truth, pred, average="macro") with
// its default labels=None (which averages over the classes present in
// either vector, with zero_division=0); passing labels=range(k) instead
// would count each absent class as 0.
func MacroF1(truth, pred []int, k int) float64 {
	tp, fp, fn := make([]float64, k), make([]float64, k), make([]float64, k)
	for i := range truth {
		if truth[i] == pred[i] {
			tp[truth[i]]++
		} else {
			fn[truth[i]]++
			fp[pred[i]]++
		}
	}
	var sum float64
	n := 0
	for c := 0; c < k; c++ {
		if tp[c]+fp[c]+fn[c] == 0 {
			continue
		}
		sum += 2 * tp[c] / (2*tp[c] + fp[c] + fn[c])
		n++
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}

// ClassificationScores scores predicted labels against the truth: truth[i]
// and pred[i] hold example i's value of every label; classes[h] is label
// h's class count; heldout marks the examples of held-out combinations
// (nil when there are none). Label names become metric names.
//
// Its "macro_f1" is the mean over the L labels of each label's MacroF1:
//
//	macro_f1 = (1/L) · Σ_h MacroF1(truth[·][h], pred[·][h], classes[h])
//
// that is, the mean over labels of scikit-learn's per-label
// f1_score(average="macro"). Every label (shape, color, …) weighs the same
// whatever its class count, and a class absent from both truth and
// prediction is left out of its label's mean (see MacroF1). It is not
// scikit-learn's multilabel macro average, which would one-hot every
// (label, class) pair into Σ_h classes[h] binary columns and average their
// F1 with equal weight, so that a label with 8 classes would count 8/3
// times as much as one with 3, and would score a column that is never true
// nor predicted as 0 (zero_division=0), which punishes a test set for the
// classes it lacks rather than the model for its mistakes. (scikit-learn's
// f1_score refuses multiclass-multioutput targets such as truth itself.)
// The two agree
// when every label has the same class count and every class occurs. The
// interval is a 1000-round bootstrap over examples seeded by seed.
func ClassificationScores(labels []string, classes []int, truth, pred [][]int, heldout []bool, seed uint64) map[string]bench.Metric {
	n, L := len(truth), len(labels)
	out := map[string]bench.Metric{}
	subset, wrong := 0, 0
	for i := range truth {
		if slices.Equal(truth[i], pred[i]) {
			subset++
		}
		for h := 0; h < L; h++ {
			if truth[i][h] != pred[i][h] {
				wrong++
			}
		}
	}
	out["subset_accuracy"] = bench.Wilson(subset, n)
	// Hamming loss is the share of wrong labels over all N·L label slots.
	h := bench.Wilson(wrong, n*L)
	out["hamming_loss"] = h
	col := func(h int, idx []int) ([]int, []int) {
		t, p := make([]int, len(idx)), make([]int, len(idx))
		for j, i := range idx {
			t[j], p[j] = truth[i][h], pred[i][h]
		}
		return t, p
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	macro := func(idx []int) float64 {
		var s float64
		for h := 0; h < L; h++ {
			t, p := col(h, idx)
			s += MacroF1(t, p, classes[h])
		}
		return s / float64(L)
	}
	out["macro_f1"] = bench.Metric{Value: macro(all), CI95: bench.BootstrapCI(n, seed, macro)}
	for hd, name := range labels {
		right := 0
		for i := range truth {
			if truth[i][hd] == pred[i][hd] {
				right++
			}
		}
		out[name+"_accuracy"] = bench.Wilson(right, n)
	}
	if heldout != nil {
		k, m := 0, 0
		for i := range truth {
			if heldout[i] {
				m++
				if slices.Equal(truth[i], pred[i]) {
					k++
				}
			}
		}
		if m > 0 {
			out["heldout_subset_accuracy"] = bench.Wilson(k, m)
		}
	}
	return out
}

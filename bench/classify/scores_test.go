package classify

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestMacroF1(t *testing.T) {
	// Hand-worked: classes 0,1,2. truth 0 0 1 1 2 2, pred 0 1 1 1 2 0.
	// class 0: tp1 fp1 fn1 → F1 0.5; class 1: tp2 fp1 fn0 → 0.8;
	// class 2: tp1 fp0 fn1 → 2/3. Mean 0.65556 (scikit-learn's
	// f1_score(average="macro") gives the same on these vectors).
	got := MacroF1([]int{0, 0, 1, 1, 2, 2}, []int{0, 1, 1, 1, 2, 0}, 3)
	if !near(got, (0.5+0.8+2.0/3)/3, 1e-12) {
		t.Fatalf("MacroF1 = %v", got)
	}
}

// TestMacroF1ConventionByHand checks macro_f1 on two labels of 3 classes
// each, computed by hand from F1_c = 2·TP/(2·TP + FP + FN):
//
//	shape  truth 0 0 1 1 2 2
//	       pred  0 0 1 0 1 1
//	  class 0: TP 2 (ex 0, 1), FP 1 (ex 3), FN 0      → 4/5 = 0.8
//	  class 1: TP 1 (ex 2), FP 2 (ex 4, 5), FN 1 (ex 3) → 2/5 = 0.4
//	  class 2: never predicted: TP 0, FP 0, FN 2      → 0/2 = 0
//	  MacroF1 = (0.8 + 0.4 + 0)/3 = 0.4
//	color  truth 0 1 0 1 0 1
//	       pred  0 1 1 1 0 0
//	  class 0: TP 2 (ex 0, 4), FP 1 (ex 5), FN 1 (ex 2) → 4/6 = 2/3
//	  class 1: TP 2 (ex 1, 3), FP 1 (ex 2), FN 1 (ex 5) → 4/6 = 2/3
//	  class 2: neither true nor predicted: 0/0, left out of the mean
//	  MacroF1 = (2/3 + 2/3)/2 = 2/3
//	macro_f1 = (0.4 + 2/3)/2 = 8/15 = 0.53333…
//
// scikit-learn's multilabel macro average over the 6 one-hot (label, class)
// columns would instead give (0.8 + 0.4 + 0 + 2/3 + 2/3 + 0)/6 = 19/45 =
// 0.42222…, and f1_score(color, average="macro", labels=[0, 1, 2]) 4/9.
// scikit-learn 1.9.1 agrees on all four: f1_score(·, average="macro",
// zero_division=0) gives 0.4 and 2/3 per label, and on the one-hot columns
// 0.42222…; it refuses the two-column integer arrays themselves
// ("multiclass-multioutput").
func TestMacroF1ConventionByHand(t *testing.T) {
	shapeT, shapeP := []int{0, 0, 1, 1, 2, 2}, []int{0, 0, 1, 0, 1, 1}
	colorT, colorP := []int{0, 1, 0, 1, 0, 1}, []int{0, 1, 1, 1, 0, 0}
	tests := []struct {
		name        string
		truth, pred []int
		want        float64
	}{
		{"a class never predicted scores 0", shapeT, shapeP, 0.4},
		{"a class neither true nor predicted is left out", colorT, colorP, 2.0 / 3},
		{"perfect", colorT, colorT, 1},
		{"all wrong", []int{0, 1}, []int{1, 0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MacroF1(tt.truth, tt.pred, 3); !near(got, tt.want, 1e-12) {
				t.Errorf("MacroF1 = %v, want %v", got, tt.want)
			}
		})
	}
	if got := MacroF1(nil, nil, 3); !math.IsNaN(got) {
		t.Errorf("MacroF1 of no examples = %v, want NaN", got)
	}
	var truth, pred [][]int
	for i := range shapeT {
		truth = append(truth, []int{shapeT[i], colorT[i]})
		pred = append(pred, []int{shapeP[i], colorP[i]})
	}
	s := ClassificationScores([]string{"shape", "color"}, []int{3, 3}, truth, pred, nil, 1)
	if got := s["macro_f1"].Value; !near(got, 8.0/15, 1e-12) {
		t.Errorf("macro_f1 = %v, want 8/15", got)
	}
}

func TestClassificationScores(t *testing.T) {
	truth := [][]int{{0, 0}, {1, 1}, {2, 2}, {0, 1}}
	pred := [][]int{{0, 0}, {1, 2}, {2, 2}, {1, 0}}
	s := ClassificationScores([]string{"shape", "color"}, []int{3, 3}, truth, pred, []bool{false, false, true, true}, 1)
	checks := map[string]float64{
		"subset_accuracy":         0.5,   // examples 0 and 2
		"hamming_loss":            0.375, // 3 wrong of 8 slots
		"shape_accuracy":          0.75,
		"color_accuracy":          0.5,
		"heldout_subset_accuracy": 0.5, // example 2 right, 3 wrong
	}
	for name, want := range checks {
		if got := s[name].Value; got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if s["macro_f1"].CI95 == nil || s["macro_f1"].CI95[0] > s["macro_f1"].Value {
		t.Errorf("macro_f1 interval %v around %v", s["macro_f1"].CI95, s["macro_f1"].Value)
	}
}

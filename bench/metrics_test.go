package bench

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestWilson(t *testing.T) {
	// Reference values: the Wilson score interval's closed form with
	// z = 1.959964, evaluated independently in Python: 8/10 → [0.4902,
	// 0.9433]; 0/20 → [0, 0.1611]; 95/100 → [0.8882, 0.9785]; 20/20 → [0.8389, 1].
	tests := []struct {
		k, n   int
		lo, hi float64
	}{{8, 10, 0.4902, 0.9433}, {0, 20, 0, 0.1611}, {95, 100, 0.8882, 0.9785}, {20, 20, 0.8389, 1}}
	for _, tt := range tests {
		m := Wilson(tt.k, tt.n)
		if !near(m.CI95[0], tt.lo, 1e-4) || !near(m.CI95[1], tt.hi, 1e-4) || m.Value != float64(tt.k)/float64(tt.n) {
			t.Errorf("Wilson(%d, %d) = %v %v, want [%v, %v]", tt.k, tt.n, m.Value, *m.CI95, tt.lo, tt.hi)
		}
	}
}

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

func TestMeanCI(t *testing.T) {
	// 1, 2, 3: mean 2, sd 1, se 1/√3, t(0.975, 2) = 4.302653.
	m := MeanCI([]float64{1, 2, 3})
	half := 4.302653 / math.Sqrt(3)
	if m.Value != 2 || !near(m.CI95[0], 2-half, 1e-5) || !near(m.CI95[1], 2+half, 1e-5) {
		t.Fatalf("MeanCI = %v %v", m.Value, *m.CI95)
	}
	if MeanCI([]float64{0.5}).CI95 != nil {
		t.Fatal("one value has no interval")
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

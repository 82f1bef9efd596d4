package reason

import (
	"math"
	"slices"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
)

// setOf builds a set of questions of the given families and answers.
func setOf(families, answers []int) *Set {
	return &Set{Family: families, Answer: answers, Image: make([]int, len(answers))}
}

func TestMajorityPrior(t *testing.T) {
	// shape (family 0): circle (3) twice, square (2) once → 3. is_left
	// (1): yes (0) and no (1) once each → the lower class, 0. count_obtuse
	// (8): count 1 (index 5) twice → 5. Every other family has no
	// questions → 0.
	train := setOf([]int{0, 0, 0, 1, 1, 8, 8}, []int{3, 2, 3, 1, 0, 5, 5})
	want := []int{3, 0, 0, 0, 0, 0, 0, 0, 5}
	if got := MajorityPrior(train); !slices.Equal(got, want) {
		t.Fatalf("MajorityPrior = %v, want %v", got, want)
	}
}

func TestScores(t *testing.T) {
	// Six questions: shape ×2 and is_top (non-relational), closest_shape
	// ×2 (binary), on_line (ternary).
	set := setOf([]int{0, 0, 2, 3, 3, 7}, []int{2, 3, 0, 3, 3, 1})
	prior := []int{3, 0, 1, 3, 0, 0, 0, 0, 0} // shape→circle, is_top→no, closest→circle, on_line→yes
	tests := []struct {
		name string
		pred []int
		want map[string]float64
	}{
		{"all right", []int{2, 3, 0, 3, 3, 1}, map[string]float64{
			"accuracy": 1, "non_relational_accuracy": 1, "binary_accuracy": 1, "ternary_accuracy": 1,
			"non_relational_shape_accuracy": 1, "non_relational_is_top_accuracy": 1, "binary_closest_shape_accuracy": 1, "ternary_on_line_accuracy": 1,
		}},
		{"some wrong", []int{3, 3, 1, 3, 2, 1}, map[string]float64{
			"accuracy": 3.0 / 6, "non_relational_accuracy": 1.0 / 3, "binary_accuracy": 0.5, "ternary_accuracy": 1,
			"non_relational_shape_accuracy": 0.5, "non_relational_is_top_accuracy": 0, "binary_closest_shape_accuracy": 0.5,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Scores(set, tt.pred, prior)
			for name, want := range tt.want {
				m, ok := s[name]
				if !ok || m.Value != want {
					t.Errorf("%s = %+v, want %v", name, m, want)
				}
				if m.CI95 == nil || m.CI95[0] > m.Value || m.CI95[1] < m.Value {
					t.Errorf("%s interval %v does not hold %v", name, m.CI95, m.Value)
				}
			}
			// The baseline answers circle, circle, no, circle, circle, yes:
			// right on questions 1, 3 and 4; wrong on 0 (square), 2 (yes)
			// and 5 (no).
			base := map[string]float64{"majority_accuracy": 3.0 / 6, "non_relational_majority_accuracy": 1.0 / 3, "binary_majority_accuracy": 1, "ternary_majority_accuracy": 0}
			for name, want := range base {
				if got := s[name].Value; got != want {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			// Families without questions are left out, not scored NaN.
			if _, ok := s["ternary_count_obtuse_accuracy"]; ok {
				t.Error("a family without questions is scored")
			}
			for name, m := range s {
				if math.IsNaN(m.Value) {
					t.Errorf("%s is NaN", name)
				}
			}
		})
	}
	// The Wilson interval is the kernel's.
	if got, want := Scores(set, []int{2, 3, 0, 3, 3, 1}, prior)["binary_accuracy"], bench.Wilson(2, 2); *got.CI95 != *want.CI95 {
		t.Errorf("binary interval %v, want Wilson's %v", got.CI95, want.CI95)
	}
}

// TestMetricsDescribeScores holds that every metric Scores gives is
// described with its direction.
func TestMetricsDescribeScores(t *testing.T) {
	var fams, answers []int
	for f := range Families {
		fams, answers = append(fams, f), append(answers, 0)
	}
	s := Scores(setOf(fams, answers), answers, make([]int, len(Families)))
	infos := map[string]bench.MetricInfo{}
	for _, m := range (Kind{}).Metrics(nil) {
		infos[m.Name] = m
	}
	for name := range s {
		if _, ok := infos[name]; !ok {
			t.Errorf("Scores gives %s, which Metrics does not describe", name)
		}
	}
	if len(s) != 1+1+2*len(Types)+len(Families) {
		t.Errorf("Scores gave %d metrics, want overall, majority, 2 per type and one per family", len(s))
	}
	if m := infos[QuestionsTo90Metric]; !m.LowerIsBetter || !math.IsInf(m.Max, 1) {
		t.Errorf("%s is described as %+v; want lower is better, unbounded", QuestionsTo90Metric, m)
	}
}

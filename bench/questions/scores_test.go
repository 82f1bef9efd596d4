package questions

import (
	"math"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
)

// handSet is six questions of two families in two groups, worked by hand
// in TestScores.
func handSet() *Set {
	return &Set{
		Family: []string{"count_color", "count_color", "count_color", "exist_and", "exist_and", "exist_and"},
		Group:  []string{"counting", "counting", "counting", "logical", "logical", "logical"},
		Answer: []string{"2", "3", "2", "yes", "no", "maybe"},
		Image:  make([]int, 6),
	}
}

func TestMajorityPrior(t *testing.T) {
	train := &Set{
		Family: []string{"a", "a", "a", "b", "b", "c"},
		Answer: []string{"2", "3", "3", "yes", "no", "red"},
	}
	got := MajorityPrior(train)
	// b ties yes/no: "no" comes first in byte order.
	want := Prior{"a": "3", "b": "no", "c": "red"}
	if len(got) != len(want) {
		t.Fatalf("prior %v, want %v", got, want)
	}
	for f, a := range want {
		if got[f] != a {
			t.Errorf("prior[%s] = %q, want %q", f, got[f], a)
		}
	}
}

func TestScores(t *testing.T) {
	set := handSet()
	prior := Prior{"count_color": "2", "exist_and": "no"}
	answers := AnswerVocab{"2", "3", "no", "yes"}
	pred := []string{"2", "2", "2", "yes", "yes", "yes"}
	got := Scores(set, pred, prior, answers)
	// By hand: the model is right on questions 0, 2, 3 (3 of 6); the
	// prior answers 2, 2, 2, no, no, no: right on 0, 2, 4 (3 of 6).
	// count_color: model 2/3, prior 2/3; exist_and: model 1/3, prior 1/3.
	// "maybe" is no training answer: 1 unknown.
	for name, want := range map[string]bench.Metric{
		AccuracyMetric:            bench.Wilson(3, 6),
		MajorityMetric:            bench.Wilson(3, 6),
		AccuracyOf("count_color"): bench.Wilson(2, 3),
		MajorityOf("count_color"): bench.Wilson(2, 3),
		AccuracyOf("exist_and"):   bench.Wilson(1, 3),
		MajorityOf("exist_and"):   bench.Wilson(1, 3),
		AccuracyOf("counting"):    bench.Wilson(2, 3),
		MajorityOf("logical"):     bench.Wilson(1, 3),
		UnknownAnswersMetric:      bench.Exact(1),
	} {
		g, ok := got[name]
		if !ok || g.Value != want.Value || (want.CI95 != nil && (g.CI95 == nil || *g.CI95 != *want.CI95)) {
			t.Errorf("%s = %+v, want %+v", name, g, want)
		}
	}
	if v := got[AccuracyMetric].Value; math.Abs(v-0.5) > 1e-12 {
		t.Errorf("accuracy %v, want 0.5", v)
	}
	if len(got) != 3+2*4 {
		t.Errorf("%d metrics, want 11: %v", len(got), got)
	}
}

// TestScoresRungs: a causal family whose rung has its name is counted
// once, and association gathers the other families.
func TestScoresRungs(t *testing.T) {
	set := &Set{
		Family: []string{"shape", "seq_color_at", "intervention", "counterfactual"},
		Answer: []string{"circle", "red", "square", "yes"},
		Image:  make([]int, 4),
	}
	for _, f := range set.Family {
		set.Group = append(set.Group, rung(f))
	}
	got := Scores(set, []string{"circle", "blue", "square", "no"}, Prior{}, AnswerVocab{"blue", "circle"})
	for name, want := range map[string]float64{
		AccuracyOf(RungAssociation): 0.5, AccuracyOf(RungIntervention): 1, AccuracyOf(RungCounterfactual): 0,
		MajorityOf(RungAssociation): 0, UnknownAnswersMetric: 3,
	} {
		if got[name].Value != want {
			t.Errorf("%s = %v, want %v", name, got[name].Value, want)
		}
	}
}

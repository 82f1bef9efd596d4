package questions

import (
	"slices"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/clevrlite"
)

// The metric names of Scores. Per family and per group (ProgramGroups,
// Rungs) they are "accuracy_<name>" and "majority_<name>".
const (
	// AccuracyMetric is the share of test questions answered right.
	AccuracyMetric = "accuracy"
	// MajorityMetric is the majority-answer baseline's accuracy (see
	// MajorityPrior) on the same questions.
	MajorityMetric = "majority_accuracy"
	// UnknownAnswersMetric counts the test questions whose answer no
	// training question has: no model can give it, so they count as
	// wrong.
	UnknownAnswersMetric = "unknown_test_answers"
)

// AccuracyOf names the accuracy on the questions of a family or group.
func AccuracyOf(name string) string { return "accuracy_" + name }

// MajorityOf names the majority baseline's accuracy on the questions of a
// family or group.
func MajorityOf(name string) string { return "majority_" + name }

// scoreInfos describes the metrics Scores may record: every clevrlite
// family and every group.
func scoreInfos() []bench.MetricInfo {
	out := []bench.MetricInfo{bench.Proportion(AccuracyMetric), bench.Proportion(MajorityMetric), bench.Unbounded(UnknownAnswersMetric, true)}
	names := append(clevrlite.FamilyNames(), ProgramGroups...)
	names = append(names, Rungs...)
	slices.Sort(names)
	for _, n := range slices.Compact(names) {
		out = append(out, bench.Proportion(AccuracyOf(n)), bench.Proportion(MajorityOf(n)))
	}
	return out
}

// Prior is the majority-answer baseline: each family's most frequent
// training answer.
type Prior map[string]string

// MajorityPrior returns each family's most frequent answer among the
// training questions (on a tie, the first in byte order).
func MajorityPrior(train *Set) Prior {
	counts := map[string]map[string]int{}
	for q, f := range train.Family {
		if counts[f] == nil {
			counts[f] = map[string]int{}
		}
		counts[f][train.Answer[q]]++
	}
	p := Prior{}
	for f, c := range counts {
		best := ""
		for a, n := range c {
			if best == "" || n > c[best] || (n == c[best] && a < best) {
				best = a
			}
		}
		p[f] = best
	}
	return p
}

// Predictions answers each question of set with its family's majority
// answer ("" for a family the prior lacks: always wrong).
func (p Prior) Predictions(set *Set) []string {
	out := make([]string, set.Len())
	for q, f := range set.Family {
		out[q] = p[f]
	}
	return out
}

// Scores compares pred (an answer per question of set) with the truth:
// accuracy overall, per family and per group, each with a Wilson 95%
// interval, the majority baseline of prior on the same questions, and the
// number of questions whose answer is not in answers (the training
// answers). It panics if pred and set differ in length.
func Scores(set *Set, pred []string, prior Prior, answers AnswerVocab) map[string]bench.Metric {
	if len(pred) != set.Len() {
		panic("questions: Scores: predictions and questions differ in number")
	}
	base := prior.Predictions(set)
	type tally struct{ right, base, n int }
	all := tally{}
	by := map[string]*tally{}
	add := func(name string, right, baseRight bool) {
		t := by[name]
		if t == nil {
			t = &tally{}
			by[name] = t
		}
		t.n++
		if right {
			t.right++
		}
		if baseRight {
			t.base++
		}
	}
	unknown := 0
	for q, a := range set.Answer {
		right, baseRight := pred[q] == a, base[q] == a
		all.n++
		if right {
			all.right++
		}
		if baseRight {
			all.base++
		}
		add(set.Family[q], right, baseRight)
		if set.Group[q] != set.Family[q] {
			add(set.Group[q], right, baseRight)
		}
		if answers.Class(a) < 0 {
			unknown++
		}
	}
	out := map[string]bench.Metric{
		AccuracyMetric:       bench.Wilson(all.right, all.n),
		MajorityMetric:       bench.Wilson(all.base, all.n),
		UnknownAnswersMetric: bench.Exact(float64(unknown)),
	}
	for name, t := range by {
		out[AccuracyOf(name)] = bench.Wilson(t.right, t.n)
		out[MajorityOf(name)] = bench.Wilson(t.base, t.n)
	}
	return out
}

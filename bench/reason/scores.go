package reason

import (
	"github.com/hiddendim/hiddendim/bench"
)

// The metric names. Per type and per family they are
// "<type>_accuracy" and "<type>_<family>_accuracy", so that a board lists
// each type's rows together.
const (
	// AccuracyMetric is the share of questions answered right.
	AccuracyMetric = "accuracy"
	// MajorityMetric is the majority-answer baseline's accuracy (see
	// MajorityPrior) on the same questions.
	MajorityMetric = "majority_accuracy"
	// QuestionsTo90Metric is the number of training questions seen until
	// the probe's binary questions were first answered 90% right (see
	// ProbeQuestions); absent from a run that never got there.
	QuestionsTo90Metric = "binary_questions_to_90"
)

// TypeMetric names the accuracy on questions of type t.
func TypeMetric(t int) string { return Types[t] + "_accuracy" }

// TypeMajorityMetric names the majority baseline's accuracy on questions
// of type t.
func TypeMajorityMetric(t int) string { return Types[t] + "_majority_accuracy" }

// FamilyMetric names the accuracy on questions of family f.
func FamilyMetric(f int) string {
	return Types[Families[f].Type] + "_" + Families[f].Name + "_accuracy"
}

// metricInfos describes every metric Scores and a run record.
func metricInfos() []bench.MetricInfo {
	out := []bench.MetricInfo{bench.Proportion(AccuracyMetric), bench.Proportion(MajorityMetric), bench.Unbounded(QuestionsTo90Metric, true)}
	for t := range Types {
		out = append(out, bench.Proportion(TypeMetric(t)), bench.Proportion(TypeMajorityMetric(t)))
	}
	for f := range Families {
		out = append(out, bench.Proportion(FamilyMetric(f)))
	}
	return out
}

// MajorityPrior is the majority-answer baseline learned from a training
// set: for each family, the answer class its questions have most often
// (the lower class on a tie; class 0 for a family without questions).
func MajorityPrior(train *Set) []int {
	counts := make([][len(Answers)]int, len(Families))
	for q, a := range train.Answer {
		counts[train.Family[q]][a]++
	}
	prior := make([]int, len(Families))
	for f, c := range counts {
		for a := range c {
			if c[a] > c[prior[f]] {
				prior[f] = a
			}
		}
	}
	return prior
}

// PriorPredictions answers every question of set with its family's
// majority answer.
func PriorPredictions(set *Set, prior []int) []int {
	pred := make([]int, set.Len())
	for q := range pred {
		pred[q] = prior[set.Family[q]]
	}
	return pred
}

// Scores compares pred (an answer class per question of set) with the
// truth: accuracy overall, per type and per family, each with a Wilson 95%
// interval, and the majority baseline of prior (see MajorityPrior) overall
// and per type on the same questions. A type or family without questions
// in set is left out. It panics if pred and set differ in length.
func Scores(set *Set, pred, prior []int) map[string]bench.Metric {
	if len(pred) != set.Len() {
		panic("reason: Scores: predictions and questions differ in number")
	}
	base := PriorPredictions(set, prior)
	var right, baseRight, n int
	typeRight, typeBase, typeN := make([]int, len(Types)), make([]int, len(Types)), make([]int, len(Types))
	famRight, famN := make([]int, len(Families)), make([]int, len(Families))
	for q, a := range set.Answer {
		f := set.Family[q]
		t := Families[f].Type
		n++
		typeN[t]++
		famN[f]++
		if pred[q] == a {
			right++
			typeRight[t]++
			famRight[f]++
		}
		if base[q] == a {
			baseRight++
			typeBase[t]++
		}
	}
	out := map[string]bench.Metric{AccuracyMetric: bench.Wilson(right, n), MajorityMetric: bench.Wilson(baseRight, n)}
	for t := range Types {
		if typeN[t] > 0 {
			out[TypeMetric(t)] = bench.Wilson(typeRight[t], typeN[t])
			out[TypeMajorityMetric(t)] = bench.Wilson(typeBase[t], typeN[t])
		}
	}
	for f := range Families {
		if famN[f] > 0 {
			out[FamilyMetric(f)] = bench.Wilson(famRight[f], famN[f])
		}
	}
	return out
}

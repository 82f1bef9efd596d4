package reason

import (
	"github.com/hiddendim/hiddendim/bench"
)

// Kind is the reasoning kind of task: visual question answering on
// sort-of-CLEVR by a relation network (on pixels or on state
// descriptions) or a CNN+MLP. It is a value with no state.
type Kind struct{}

var _ = bench.Proportion

// Name returns "reasoning".
func (Kind) Name() string { return "reasoning" }

// Metrics describes what a reasoning task scores (see Scores), and
// binary_questions_to_90, the training questions seen until 90% on the
// probe's binary questions (lower is better). Reasoning predicts no
// labels.
func (Kind) Metrics([]string) []bench.MetricInfo { return metricInfos() }

package reason

import (
	"time"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/models"
)

const (
	// ProbeQuestions is how many binary questions of the test split (the
	// first ones, in the split's order) the probe asks while a reasoner
	// trains.
	ProbeQuestions = 500
	// ProbeEvery is how many training questions pass between two probes
	// (rounded up to whole steps); the probes stop once the reasoner
	// answers 90% of the probe's questions right.
	ProbeEvery = 4096
)

// probe measures, while a reasoner trains, how many questions it has
// seen when it first answers 90% of a fixed set of binary questions
// right. Probing predicts in inference mode, which changes no weight and
// no running statistic, so a probed run trains to the bits of an
// unprobed one.
type probe struct {
	r       *models.Reasoner
	q       *models.VQA
	batch   int // training batch
	every   int // steps between probes
	truth   []int
	reached int // questions seen at 90%, or −1
	seconds float64
	err     error
}

// newProbe returns a probe of r on the first ProbeQuestions binary
// questions of test, for training in batches of batch.
func newProbe(r *models.Reasoner, test *Set, batch int) *probe {
	var idx []int
	for q := 0; q < test.Len() && len(idx) < ProbeQuestions; q++ {
		if Types[test.Type(q)] == "binary" {
			idx = append(idx, q)
		}
	}
	sub := subset(test.VQA(r.Config.Arch), idx)
	return &probe{r: r, q: sub, truth: sub.Answers, batch: batch, every: max(1, (ProbeEvery+batch-1)/batch), reached: -1}
}

// step probes after training step step, if it is a probe's turn.
func (p *probe) step(step int) {
	if p.reached >= 0 || p.err != nil || len(p.truth) == 0 || step%p.every != 0 {
		return
	}
	start := time.Now()
	defer func() { p.seconds += time.Since(start).Seconds() }()
	pred, err := p.r.Predict(p.q, evalBatch)
	if err != nil {
		p.err = err
		return
	}
	right := 0
	for i, a := range pred {
		if a == p.truth[i] {
			right++
		}
	}
	if 10*right >= 9*len(p.truth) {
		p.reached = step * p.batch
	}
}

// record adds QuestionsTo90Metric to scores if the probe got there; a run
// that never did has no value, not a made-up one.
func (p *probe) record(scores map[string]bench.Metric) {
	if p.reached >= 0 {
		scores[QuestionsTo90Metric] = bench.Exact(float64(p.reached))
	}
}

package questions

import (
	"regexp"
	"slices"

	"github.com/hiddendim/hiddendim/models"
	"gorgonia.org/tensor"
)

// This file holds the auxiliary targets of Tuning.AuxArgs: each
// question's program arguments, which the question vector q is trained to
// predict beside the answer. clevrlite writes every question's program,
// so the targets are ground truth the dataset owns; but they tell the
// model more than the answers do, and a model trained with them is not
// comparable with one trained on answers alone.

// programArg matches a program function's bracketed arguments:
// filter_color[red], position[1], with_swap[1,2].
var programArg = regexp.MustCompile(`([A-Za-z_]+)\[([^\]]*)\]`)

// ProgramArgs returns a program's distinct arguments with their function,
// "filter_color[red]", sorted.
func ProgramArgs(program string) []string {
	var out []string
	for _, m := range programArg.FindAllStringSubmatch(program, -1) {
		out = append(out, m[1]+"["+m[2]+"]")
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// AuxVocab is the distinct program arguments of the training questions,
// sorted: target k of the auxiliary head is AuxVocab[k].
type AuxVocab []string

// NewAuxVocab builds the argument vocabulary of the training programs.
func NewAuxVocab(programs []string) AuxVocab {
	var out []string
	for _, p := range programs {
		out = append(out, ProgramArgs(p)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// targets returns the questions' target distributions (len(idx)×len(v),
// question-major): each question's arguments in the vocabulary, equally
// weighted; a question with none gets an all-zero row. A nil idx means
// every question.
func (v AuxVocab) targets(set *Set, idx []int) []float32 {
	if idx == nil {
		idx = make([]int, set.Len())
		for i := range idx {
			idx[i] = i
		}
	}
	k := len(v)
	out := make([]float32, len(idx)*k)
	for j, i := range idx {
		var ks []int
		for _, a := range ProgramArgs(set.Program[i]) {
			if c, ok := slices.BinarySearch(v, a); ok {
				ks = append(ks, c)
			}
		}
		for _, c := range ks {
			out[j*k+c] = 1 / float32(len(ks))
		}
	}
	return out
}

// curriculumFeeder feeds a staged curriculum from step start on. stages
// are each stage's new questions (positions in the training set); each
// stage lasts steps batches. In the first stage a batch is only its
// questions; in a later one, the first half of every batch is the new
// stage's questions and the rest the earlier stages' (a replay that keeps
// what they taught). After the last stage every question is fed as feed
// would, except that the first ⌊share·len(idx)⌋ of each batch stay the
// stages' questions. A replaced index i (a position in the epoch's shuffle
// of all n questions) becomes list[i mod len(list)], so the curriculum is
// as deterministic as the shuffle.
func curriculumFeeder(feed models.Feeder, stages [][]int, steps, start int, share float64) models.Feeder {
	if len(stages) == 0 || steps*len(stages) <= start && share <= 0 {
		return feed
	}
	// seen[s] is stages 0…s's questions together.
	seen := make([][]int, len(stages))
	for s, qs := range stages {
		if s > 0 {
			seen[s] = slices.Clone(seen[s-1])
		}
		seen[s] = append(seen[s], qs...)
	}
	step := start
	var mapped []int
	return func(inputs []*tensor.Dense, idx []int) {
		mapped = append(mapped[:0], idx...)
		fill := func(lo, hi int, from []int) {
			for k := lo; k < hi; k++ {
				mapped[k] = from[idx[k]%len(from)]
			}
		}
		switch s := step / steps; {
		case s == 0:
			fill(0, len(idx), stages[0])
		case s < len(stages):
			half := (len(idx) + 1) / 2
			fill(0, half, stages[s])
			fill(half, len(idx), seen[s-1])
		default:
			fill(0, int(share*float64(len(idx))), seen[len(stages)-1])
		}
		step++
		feed(inputs, mapped)
	}
}

// stages returns t's curriculum stages: the families of Curriculum, then
// of each of CurriculumStages.
func (t Tuning) stages() [][]string {
	if len(t.Curriculum) == 0 {
		return nil
	}
	return append([][]string{t.Curriculum}, t.CurriculumStages...)
}

// curriculum returns the training questions of each stage of t's
// curriculum and the number of batches of size batch each stage lasts
// (none without one). A stage whose families the set never asks has no
// questions, and then the first such stage's families are returned too.
func (t Tuning) curriculum(train *Set, batch int) (stages [][]int, steps int, missing []string) {
	if len(t.Curriculum) == 0 || t.CurriculumQuestions <= 0 {
		return nil, 0, nil
	}
	for _, fams := range t.stages() {
		var qs []int
		for i, f := range train.Family {
			if slices.Contains(fams, f) {
				qs = append(qs, i)
			}
		}
		if qs == nil && missing == nil {
			missing = fams
		}
		stages = append(stages, qs)
	}
	return stages, max(t.CurriculumQuestions/batch, 1), missing
}

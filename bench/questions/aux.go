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

// curriculumFeeder feeds, for the first steps batches from step start on,
// only the questions at first (the curriculum's), and then every question
// as feed would, except that the first ⌊share·len(idx)⌋ of each later
// batch stay the curriculum's (a replay that keeps their share up). A
// replaced index i (a position in the epoch's shuffle of all n questions)
// becomes first[i mod len(first)], so the curriculum is as deterministic
// as the shuffle.
func curriculumFeeder(feed models.Feeder, first []int, steps, start int, share float64) models.Feeder {
	if steps <= start && share <= 0 || len(first) == 0 {
		return feed
	}
	step := start
	var mapped []int
	return func(inputs []*tensor.Dense, idx []int) {
		keep := len(idx)
		if step >= steps {
			keep = int(share * float64(len(idx)))
		}
		if keep > 0 {
			mapped = append(mapped[:0], idx...)
			for k := range keep {
				mapped[k] = first[idx[k]%len(first)]
			}
			idx = mapped
		}
		step++
		feed(inputs, idx)
	}
}

// curriculum returns the training questions of t's curriculum families and
// the number of batches of size batch it lasts (none without one).
func (t Tuning) curriculum(train *Set, batch int) ([]int, int) {
	if len(t.Curriculum) == 0 || t.CurriculumQuestions <= 0 {
		return nil, 0
	}
	var first []int
	for i, f := range train.Family {
		if slices.Contains(t.Curriculum, f) {
			first = append(first, i)
		}
	}
	return first, max(t.CurriculumQuestions/batch, 1)
}

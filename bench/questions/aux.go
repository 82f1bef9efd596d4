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

// sampling is how training draws its questions: a staged curriculum
// (stages, each lasting steps batches, then a replay of share), and after
// it either the epoch's shuffle as it is or, with families set, every
// family equally often.
type sampling struct {
	stages [][]int
	steps  int
	share  float64
	// families are each family's training questions, for sampling
	// balanced over families; nil samples questions as they come.
	families [][]int
}

// sampledFeeder feeds the questions s draws from step start on. In the
// curriculum's first stage a batch is only its questions; in a later one,
// the first half of every batch is the new stage's questions and the rest
// the earlier stages' (a replay that keeps what they taught). After the
// last stage, the first ⌊share·len(idx)⌋ of each batch stay the stages'
// questions and the rest are fed as they come, or with s.families as
// position i becomes question ⌊i/F⌋ mod len of family i mod F (F
// families). A replaced index i (a position in the epoch's shuffle of all
// n questions) becomes list[i mod len(list)], so the draw is as
// deterministic as the shuffle.
func sampledFeeder(feed models.Feeder, s sampling, start int) models.Feeder {
	if s.families == nil && (len(s.stages) == 0 || s.steps*len(s.stages) <= start && s.share <= 0) {
		return feed
	}
	// seen[k] is stages 0…k's questions together.
	seen := make([][]int, len(s.stages))
	for k, qs := range s.stages {
		if k > 0 {
			seen[k] = slices.Clone(seen[k-1])
		}
		seen[k] = append(seen[k], qs...)
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
		rest := 0
		switch k := step / max(s.steps, 1); {
		case len(s.stages) == 0:
		case k == 0:
			rest = len(idx)
			fill(0, rest, s.stages[0])
		case k < len(s.stages):
			rest = (len(idx) + 1) / 2
			fill(0, rest, s.stages[k])
			fill(rest, len(idx), seen[k-1])
			rest = len(idx)
		default:
			rest = int(s.share * float64(len(idx)))
			fill(0, rest, seen[len(s.stages)-1])
		}
		if F := len(s.families); F > 0 {
			for k := rest; k < len(idx); k++ {
				fam := s.families[idx[k]%F]
				mapped[k] = fam[idx[k]/F%len(fam)]
			}
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

// sampling returns how t draws train's questions in batches of batch. A
// stage whose families the set never asks has no questions, and then the
// first such stage's families are returned too.
func (t Tuning) sampling(train *Set, batch int) (s sampling, missing []string) {
	if t.BalanceFamilies {
		for _, f := range familyNames(train.Family) {
			var qs []int
			for i, g := range train.Family {
				if g == f {
					qs = append(qs, i)
				}
			}
			s.families = append(s.families, qs)
		}
	}
	if len(t.Curriculum) == 0 || t.CurriculumQuestions <= 0 {
		return s, nil
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
		s.stages = append(s.stages, qs)
	}
	s.steps, s.share = max(t.CurriculumQuestions/batch, 1), t.CurriculumShare
	return s, missing
}

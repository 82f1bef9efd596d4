package clevrlite

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Flaw names the rule a question breaks on a scene, which makes it not
// relevant to that scene. The zero value, NoFlaw, breaks none.
type Flaw int

const (
	// NoFlaw: the question is relevant.
	NoFlaw Flaw = iota
	// Malformed: the program does not type-check (or is nil).
	Malformed
	// NotUnique: a unique step is over a set that does not hold exactly
	// one object ("the red object" of a scene with two, or none).
	NotUnique
	// Undefined: another step has no value on the scene, so the answer
	// is undefined: a position beyond its set, closest or furthest in a
	// scene of one object, a swap of positions the scene lacks, no scene.
	Undefined
	// NoOpFilter: a filter step could be dropped without changing the
	// answer ("how many red squares" of a scene whose red objects are all
	// squares), the generator's rule for its counting and logical
	// families.
	NoOpFilter
	// NoOpSwap: an intervention whose swap does not change the answer,
	// the generator's rule for its intervention family.
	NoOpSwap
	numFlaws
)

var flawNames = [...]string{"relevant", "malformed", "not unique", "undefined", "no-op filter", "no-op swap"}

// String names the flaw as the ask command prints it: "not unique",
// "no-op filter", …; NoFlaw is "relevant".
func (f Flaw) String() string {
	if f < 0 || f >= numFlaws {
		return "Flaw(" + strconv.Itoa(int(f)) + ")"
	}
	return flawNames[f]
}

// Reason says why a question is or is not relevant to a scene.
type Reason struct {
	// Flaw is the rule broken; NoFlaw when the question is relevant.
	Flaw Flaw
	// Step is the step at fault, in the program text form ("" for none,
	// or for a flaw of the whole program).
	Step string
	// Detail says what went wrong, in words.
	Detail string
}

// String reads "not unique: unique(filter_color[red](scene())): unique of
// a set of 2 objects", or "relevant".
func (r Reason) String() string {
	parts := []string{r.Flaw.String()}
	for _, s := range []string{r.Step, r.Detail} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ": ")
}

// Relevant reports whether the question program p is well-posed on scene
// s, the rules the generator asks its questions by: every unique is over
// exactly one object and every other step has a value (the answer is
// defined), and no step is a no-op by the rule of p's family: for the
// counting and logical families (count_color, count_shape,
// count_color_shape, count_or) no filter can be dropped without changing
// the answer, and an intervention's swap changes it. A program of no
// family (one that no family's template yields, for any slot values) is
// held to the filter rule. So every question the generator emits is
// relevant to its scene, and a question of a family is relevant exactly
// when the generator could have asked it of the scene; the balancing of
// answers then chooses among the relevant ones. If not relevant, the
// Reason names the rule broken and the step at fault (the first in
// execution order). Relevant never panics: a program that does not
// type-check is Malformed, a nil scene Undefined.
func Relevant(p *Program, s *Scene) (bool, Reason) {
	if _, err := new(compiler).compile(p); err != nil {
		var pe *ProgramError
		if errors.As(err, &pe) {
			return false, Reason{Flaw: Malformed, Detail: fmt.Sprintf("at byte %d: %s", pe.Pos, pe.Msg)}
		}
		return false, Reason{Flaw: Malformed, Detail: err.Error()}
	}
	return relevantAs(familyOf(p), p, s)
}

// relevantAs judges type-checked program p on s by the rules of family f,
// or of a program of no family if f is nil.
func relevantAs(f *family, p *Program, s *Scene) (bool, Reason) {
	v, err := Execute(p, s)
	if err != nil {
		return false, undefined(p, s, err)
	}
	r := filterRule
	if f != nil {
		r = f.degenerate
	}
	switch r {
	case filterRule:
		for _, d := range withoutEachFilter(p) {
			w, werr := Execute(d.variant, s)
			if r.rejects(v, nil, []result{{v: w, err: werr}}) {
				return false, Reason{Flaw: NoOpFilter, Step: d.filter.String(),
					Detail: fmt.Sprintf("without %s[%s] the answer is still %s", d.filter.Fn, d.filter.Param, v.Text())}
			}
		}
	case swapRule:
		w, werr := Execute(p.Inputs[0], s)
		if werr != nil {
			return false, undefined(p.Inputs[0], s, werr)
		}
		if r.rejects(v, nil, []result{{v: w}}) {
			return false, Reason{Flaw: NoOpSwap, Step: p.String(),
				Detail: fmt.Sprintf("the answer is %s with or without the swap of positions %s", v.Text(), strings.Replace(p.Param, ",", " and ", 1))}
		}
	}
	return true, Reason{}
}

// undefined is the reason of program p, which fails on s with err: the
// first step, in execution order, that has no value.
func undefined(p *Program, s *Scene, err error) Reason {
	if s == nil || len(s.Objects) > 64 {
		return Reason{Flaw: Undefined, Detail: strings.TrimPrefix(err.Error(), "clevrlite: ")}
	}
	step, serr := failingStep(p, s)
	if step == nil { // cannot happen: p fails on s
		step, serr = p, err
	}
	why := Reason{Flaw: Undefined, Step: step.String(), Detail: strings.TrimPrefix(serr.Error(), "clevrlite: ")}
	if step.Fn == "unique" {
		why.Flaw = NotUnique
	}
	return why
}

// failingStep returns the first step of type-checked program p, in
// execution order, that has no value on s (a step under with_swap is run
// on the swapped scene), and its error; nil if p runs.
func failingStep(p *Program, s *Scene) (*Program, error) {
	if p.Fn == "with_swap" {
		a, b, _ := strings.Cut(p.Param, ",")
		i, _ := strconv.Atoi(a) // checkParam holds them numbers
		j, _ := strconv.Atoi(b)
		t, err := swap(s, i, j)
		if err != nil {
			return p, err
		}
		return failingStep(p.Inputs[0], t)
	}
	for _, in := range p.Inputs {
		if step, err := failingStep(in, s); step != nil {
			return step, err
		}
	}
	if _, err := Execute(p, s); err != nil {
		return p, err
	}
	return nil, nil
}

// template is a family's program with placeholders for its slot values.
type template struct {
	fam  *family
	prog *Program
}

// slotMark starts a placeholder: slotMark + "0" stands for slot 0.
const slotMark = "\x00"

// templates are every family's program templates, the sortofclevr
// families first.
var templates = func() []template {
	var out []template
	for _, fs := range [][]family{sortOfCLEVRFamilies, programFamilies} {
		for i := range fs {
			f := &fs[i]
			x := make([]string, slotCount(f.text))
			for k := range x {
				x[k] = slotMark + strconv.Itoa(k)
			}
			out = append(out, template{f, f.program(x)})
		}
	}
	return out
}()

// familyOf is the first family whose template yields p for some slot
// values, or nil. (Two families with one template, sortofclevr's shape and
// programs' shape_of_color, have one rule: TestTemplatesShareRules.)
func familyOf(p *Program) *family {
	for _, t := range templates {
		if matches(t.prog, p, map[string]string{}) {
			return t.fam
		}
	}
	return nil
}

// matches reports whether p is template t with some slot values, each
// placeholder standing for one value wherever it appears (bound holds
// those seen).
func matches(t, p *Program, bound map[string]string) bool {
	if p == nil || t.Fn != p.Fn || len(t.Inputs) != len(p.Inputs) {
		return false
	}
	tp, pp := strings.Split(t.Param, ","), strings.Split(p.Param, ",")
	if len(tp) != len(pp) {
		return false
	}
	for i, want := range tp {
		if !strings.HasPrefix(want, slotMark) {
			if want != pp[i] {
				return false
			}
			continue
		}
		if v, ok := bound[want]; ok && v != pp[i] {
			return false
		}
		bound[want] = pp[i]
	}
	for i := range t.Inputs {
		if !matches(t.Inputs[i], p.Inputs[i], bound) {
			return false
		}
	}
	return true
}

// Draw draws a question of the named family for scene s, uniformly over
// the family's slot values, and judges it by Relevant: the Reason's Flaw
// is NoFlaw if it is relevant. A relevant question comes answered, by
// executing its program, as the generator answers (answer, answer_index
// and, for the reference's families, the encoding); one that is not comes
// without an answer. The family must be one of Families; another is an
// error.
func (q *Questions) Draw(family string, s *Scene, rng *rand.Rand) (Question, Reason, error) {
	fi, err := q.family(family)
	if err != nil {
		return Question{}, Reason{}, err
	}
	f := &q.fams[fi]
	x := q.slots[fi][rng.IntN(len(q.slots[fi]))]
	prog := f.program(x)
	qu := Question{Family: f.name, Type: f.group, Text: f.question(x), Program: prog.String(), AnswerIndex: -1}
	if ok, why := relevantAs(f, prog, s); !ok {
		return qu, why, nil
	}
	v, err := Execute(prog, s)
	if err != nil { // relevantAs ran it
		return qu, undefined(prog, s, err), nil
	}
	qu.Answer, qu.AnswerIndex = v.Text(), f.index(v)
	if f.encode != nil {
		f.encode(x, &qu)
	}
	return qu, Reason{}, nil
}

// Asked is a question drawn for a scene of a dataset and answered by
// executing its program: one line of `hiddendim ask`.
type Asked struct {
	// ID is the sample whose scene the question is about.
	ID      string `json:"id"`
	Family  string `json:"family"`
	Text    string `json:"text"`
	Program string `json:"program"`
	Answer  string `json:"answer"`
}

// MaxDrawsPerQuestion bounds Ask: it gives up after this many draws per
// question asked for.
const MaxDrawsPerQuestion = 1000

// Ask draws questions for the examples' scenes until n are relevant and
// returns those, answered, with the tally of every draw. Each draw takes
// a scene uniformly, then a family of families uniformly (nil or empty:
// all of Families), then the family's slot values uniformly (Draw). The
// questions may repeat one another or the dataset's own. The draws are a
// function of rng alone. Ask fails on n < 1, no examples, a family not
// of this config, or fewer than n relevant questions after
// MaxDrawsPerQuestion·n draws.
func (q *Questions) Ask(examples []Example, n int, families []string, rng *rand.Rand) ([]Asked, *Score, error) {
	if n < 1 {
		return nil, nil, fmt.Errorf("clevrlite: ask for %d questions: want at least 1", n)
	}
	if len(examples) == 0 {
		return nil, nil, errors.New("clevrlite: ask: no scenes to ask about")
	}
	if len(families) == 0 {
		families = q.Families()
	}
	for _, f := range families {
		if _, err := q.family(f); err != nil {
			return nil, nil, err
		}
	}
	scenes := make([]*Scene, len(examples))
	for i := range examples {
		scenes[i] = q.Scene(examples[i].Objects)
	}
	score := q.NewScore()
	var out []Asked
	for draws := 0; len(out) < n; draws++ {
		if draws == MaxDrawsPerQuestion*n {
			return nil, score, fmt.Errorf("clevrlite: ask: %d of %d questions relevant after %d draws; the families %s are rarely relevant to these scenes",
				len(out), n, draws, strings.Join(families, ", "))
		}
		si := rng.IntN(len(scenes))
		fam := families[rng.IntN(len(families))]
		qu, why, err := q.Draw(fam, scenes[si], rng)
		if err != nil {
			return nil, nil, err
		}
		score.Add(fam, why)
		if why.Flaw == NoFlaw {
			out = append(out, Asked{ID: examples[si].ID, Family: qu.Family, Text: qu.Text, Program: qu.Program, Answer: qu.Answer})
		}
	}
	return out, score, nil
}

// Score tallies questions judged by Relevant, overall and by family: the
// share of the questions a model emits that are relevant to their scenes
// scores the question-generation side. Make one with Questions.NewScore.
type Score struct {
	// Questions counts every question scored, Unparsed those whose text
	// was not understood, Relevant those relevant to their scenes.
	Questions, Unparsed, Relevant int
	// Families has one entry per family of the config, in its order.
	Families []FamilyScore
}

// FamilyScore is one family's tally.
type FamilyScore struct {
	Family              string
	Questions, Relevant int
	// Flaws counts the questions that are not relevant, by Flaw.
	Flaws [numFlaws]int
}

// NewScore returns an empty tally of the config's families.
func (q *Questions) NewScore() *Score {
	s := &Score{}
	for _, f := range q.fams {
		s.Families = append(s.Families, FamilyScore{Family: f.name})
	}
	return s
}

// Add counts a question of the named family judged with reason r (NoFlaw:
// relevant). A family not of the config is an error.
func (s *Score) Add(family string, r Reason) error {
	for i := range s.Families {
		if f := &s.Families[i]; f.Family == family {
			s.Questions++
			f.Questions++
			if r.Flaw == NoFlaw {
				s.Relevant++
				f.Relevant++
			} else if r.Flaw > 0 && r.Flaw < numFlaws {
				f.Flaws[r.Flaw]++
			}
			return nil
		}
	}
	return fmt.Errorf("clevrlite: score: no family %q in this config", family)
}

// AddUnparsed counts a question whose text was not understood: not
// relevant, and of no family.
func (s *Score) AddUnparsed() {
	s.Questions++
	s.Unparsed++
}

// Share is the share of the questions scored that are relevant, 0 of none.
func (s *Score) Share() float64 { return share(s.Relevant, s.Questions) }

// Share is the share of the family's questions that are relevant, 0 of none.
func (f FamilyScore) Share() float64 { return share(f.Relevant, f.Questions) }

func share(part, whole int) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) / float64(whole)
}

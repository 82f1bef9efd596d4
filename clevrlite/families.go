package clevrlite

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// The reference's three question types, in encoding order, then the
// sequence and causal groups, which its encoding cannot express; and the CLEVR-style groups of the programs config.
var (
	referenceGroups = []string{"non_relational", "binary", "ternary"}
	sequenceGroups  = []string{"sequence", "causal"}
	programGroups   = []string{"attribute", "counting", "comparison", "spatial", "logical"}
)

// vocab is what a config's scenes are made of.
type vocab struct {
	colors, shapes []string
	objects        int // the most objects a scene holds
}

// family is a question template: text with slots, the program that
// answers it, and how its answer is encoded.
type family struct {
	name  string
	group string
	// subtype is the reference encoding's subtype, for reference families.
	subtype int
	// text has one %s per slot (or %[n]s to reuse one).
	text string
	// slots lists every tuple of slot values the family can ask about.
	slots   func(v vocab) [][]string
	program func(x []string) *Program
	// index is the answer's place in AnswerVocab, or −1 if it has none.
	index func(v Value) int
	// degenerate, if set, rejects a question whose step changes nothing.
	degenerate rule
	// encode, if set, writes the reference's 18-element encoding.
	encode func(x []string, q *Question)
}

// question is the family's text asking about slot values x.
func (f *family) question(x []string) string {
	args := make([]any, len(x))
	for i, s := range x {
		args[i] = f.word(s)
	}
	return fmt.Sprintf(f.text, args...)
}

// word is how slot value s reads in the family's text: a direction of
// count_relate as "left of", "above", …; any other value as itself.
func (f *family) word(s string) string {
	if d, ok := dirWords[s]; ok && f.name == "count_relate" {
		return d
	}
	return s
}

func call(fn, param string, in ...*Program) *Program {
	return &Program{Fn: fn, Param: param, Inputs: in}
}

// object is "the <color> object": unique(filter_color[c](scene())).
func object(c string) *Program  { return call("unique", "", byColor(c)) }
func byColor(c string) *Program { return call("filter_color", c, call("scene", "")) }
func byShape(s string) *Program { return call("filter_shape", s, call("scene", "")) }

// at is "the object at position i": position[i](scene()).
func at(i string) *Program { return call("position", i, call("scene", "")) }

func yesNo(v Value) int {
	if v.Bool {
		return 0
	}
	return 1
}

func shapeIndex(v Value) int {
	switch v.Str {
	case "square":
		return 2
	case "circle":
		return 3
	}
	return -1
}

func none(Value) int { return -1 }

// Slot enumerations.
func oneColor(v vocab) [][]string { return each(v.colors) }
func oneShape(v vocab) [][]string { return each(v.shapes) }
func each(xs []string) [][]string {
	out := make([][]string, len(xs))
	for i, x := range xs {
		out[i] = []string{x}
	}
	return out
}
func twoOf(xs []string) [][]string {
	var out [][]string
	for _, a := range xs {
		for _, b := range xs {
			if a != b {
				out = append(out, []string{a, b})
			}
		}
	}
	return out
}
func colorPairs(v vocab) [][]string { return twoOf(v.colors) }
func shapePairs(v vocab) [][]string { return twoOf(v.shapes) }
func colorShape(v vocab) [][]string {
	var out [][]string
	for _, c := range v.colors {
		for _, s := range v.shapes {
			out = append(out, []string{c, s})
		}
	}
	return out
}
func nextPositions(v vocab) [][]string {
	var out [][]string
	for i := 1; i < v.objects; i++ {
		out = append(out, []string{strconv.Itoa(i), strconv.Itoa(i + 1)})
	}
	return out
}
func positionPairs(v vocab) [][]string {
	var out [][]string
	for i := 1; i <= v.objects; i++ {
		for j := i + 1; j <= v.objects; j++ {
			out = append(out, []string{strconv.Itoa(i), strconv.Itoa(j)})
		}
	}
	return out
}

// refEncoding writes the reference's encoding: color one-hots, type, subtype.
func refEncoding(group, subtype int) func(x []string, q *Question) {
	return func(x []string, q *Question) {
		for k, c := range x {
			q.Encoding[6*k+slices.Index(colorNames[:], c)] = 1
		}
		q.Encoding[12+group] = 1
		q.Encoding[15+subtype] = 1
	}
}

// sortOfCLEVRFamilies are the reference's nine families, then the
// sequence and causal families.
var sortOfCLEVRFamilies = []family{
	{name: "shape", group: "non_relational", subtype: 0, text: "What is the shape of the %s object?", slots: oneColor,
		program: func(x []string) *Program { return call("query_shape", "", object(x[0])) }, index: shapeIndex, encode: refEncoding(0, 0)},
	{name: "is_left", group: "non_relational", subtype: 1, text: "Is the %s object on the left?", slots: oneColor,
		program: func(x []string) *Program { return call("is_left", "", object(x[0])) }, index: yesNo, encode: refEncoding(0, 1)},
	{name: "is_top", group: "non_relational", subtype: 2, text: "Is the %s object on the top?", slots: oneColor,
		program: func(x []string) *Program { return call("is_top", "", object(x[0])) }, index: yesNo, encode: refEncoding(0, 2)},
	{name: "closest_shape", group: "binary", subtype: 0, text: "What is the shape of the object closest to the %s object?", slots: oneColor,
		program: func(x []string) *Program { return call("query_shape", "", call("closest", "", object(x[0]))) }, index: shapeIndex, encode: refEncoding(1, 0)},
	{name: "furthest_shape", group: "binary", subtype: 1, text: "What is the shape of the object furthest from the %s object?", slots: oneColor,
		program: func(x []string) *Program { return call("query_shape", "", call("furthest", "", object(x[0]))) }, index: shapeIndex, encode: refEncoding(1, 1)},
	{name: "count_same_shape", group: "binary", subtype: 2, text: "How many objects have the same shape as the %s object?", slots: oneColor,
		program: func(x []string) *Program { return call("count", "", call("same_shape", "", object(x[0]))) },
		index:   func(v Value) int { return v.Int + 3 }, encode: refEncoding(1, 2)},
	{name: "count_between", group: "ternary", subtype: 0, text: "How many objects are between the %s object and the %s object?", slots: colorPairs,
		program: func(x []string) *Program { return call("count", "", call("between", "", object(x[0]), object(x[1]))) },
		index:   func(v Value) int { return v.Int + 4 }, encode: refEncoding(2, 0)},
	{name: "on_line", group: "ternary", subtype: 1, text: "Is there an object on the line through the %s object and the %s object?", slots: colorPairs,
		program: func(x []string) *Program { return call("exist", "", call("on_line", "", object(x[0]), object(x[1]))) }, index: yesNo, encode: refEncoding(2, 1)},
	{name: "count_obtuse", group: "ternary", subtype: 2, text: "How many objects form an obtuse triangle with the %s object and the %s object?", slots: colorPairs,
		program: func(x []string) *Program { return call("count", "", call("obtuse", "", object(x[0]), object(x[1]))) },
		index:   func(v Value) int { return v.Int + 4 }, encode: refEncoding(2, 2)},

	// Sequences, objects counted from the left.
	{name: "seq_same_shape", group: "sequence", text: "Does the object at position %s have the same shape as the one at position %s?", slots: nextPositions,
		program: func(x []string) *Program {
			return call("equal_shape", "", call("query_shape", "", at(x[0])), call("query_shape", "", at(x[1])))
		}, index: yesNo},
	{name: "seq_position_of", group: "sequence", text: "At which position, counting from the left, is the %s object?", slots: oneColor,
		program: func(x []string) *Program { return call("position_of", "", object(x[0])) }, index: func(v Value) int { return v.Int + 3 }},
	{name: "seq_color_at", group: "sequence", text: "What color is the object at position %s?",
		slots:   func(v vocab) [][]string { return each(firstOf(nextPositions(v))) },
		program: func(x []string) *Program { return call("query_color", "", at(x[0])) }, index: none},

	// The ladder of causation: intervention and counterfactual.
	{name: "intervention", group: "causal", text: "If the objects at positions %s and %s are swapped, what shape is at position %[2]s?", slots: positionPairs,
		program: func(x []string) *Program {
			return call("with_swap", x[0]+","+x[1], call("query_shape", "", at(x[1])))
		}, index: shapeIndex, degenerate: swapRule},
	{name: "counterfactual", group: "causal", text: "Would the shape at position %[2]s be different if the objects at positions %[1]s and %[2]s were swapped?", slots: positionPairs,
		program: func(x []string) *Program {
			q := call("query_shape", "", at(x[1]))
			return call("not", "", call("equal_shape", "", q, call("with_swap", x[0]+","+x[1], q)))
		}, index: yesNo},
}

func firstOf(xs [][]string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = x[0]
	}
	return out
}

// dirWords phrases relate's directions.
var dirWords = map[string]string{"left": "left of", "right": "right of", "above": "above", "below": "below"}

// programFamilies are the CLEVR-style templates of the programs config:
// attribute identification, counting, comparison, spatial relationships
// and logical operations, as in CLEVR.
var programFamilies = []family{
	{name: "color_of_shape", group: "attribute", text: "What color is the %s?", slots: oneShape,
		program: func(x []string) *Program { return call("query_color", "", call("unique", "", byShape(x[0]))) }, index: none},
	{name: "shape_of_color", group: "attribute", text: "What shape is the %s object?", slots: oneColor,
		program: func(x []string) *Program { return call("query_shape", "", object(x[0])) }, index: none},
	// "The leftmost X" names an object in any scene that has an X.
	{name: "color_of_leftmost", group: "attribute", text: "What color is the leftmost %s?", slots: oneShape,
		program: func(x []string) *Program { return call("query_color", "", call("position", "1", byShape(x[0]))) }, index: none},
	{name: "shape_of_leftmost", group: "attribute", text: "What shape is the leftmost %s object?", slots: oneColor,
		program: func(x []string) *Program { return call("query_shape", "", call("position", "1", byColor(x[0]))) }, index: none},
	{name: "count_color", group: "counting", text: "How many %s objects are there?", slots: oneColor,
		program: func(x []string) *Program { return call("count", "", byColor(x[0])) }, index: none, degenerate: filterRule},
	{name: "count_shape", group: "counting", text: "How many %ss are there?", slots: oneShape,
		program: func(x []string) *Program { return call("count", "", byShape(x[0])) }, index: none, degenerate: filterRule},
	{name: "count_color_shape", group: "counting", text: "How many %s %ss are there?", slots: colorShape,
		program: func(x []string) *Program {
			return call("count", "", call("filter_shape", x[1], byColor(x[0])))
		}, index: none, degenerate: filterRule},
	{name: "more_color", group: "comparison", text: "Are there more %s objects than %s objects?", slots: colorPairs,
		program: func(x []string) *Program {
			return call("greater_than", "", call("count", "", byColor(x[0])), call("count", "", byColor(x[1])))
		}, index: yesNo},
	{name: "as_many_shapes", group: "comparison", text: "Are there as many %ss as %ss?", slots: shapePairs,
		program: func(x []string) *Program {
			return call("equal_int", "", call("count", "", byShape(x[0])), call("count", "", byShape(x[1])))
		}, index: yesNo},
	{name: "same_shape_as", group: "comparison", text: "Is the %s object the same shape as the %s object?", slots: colorPairs,
		program: func(x []string) *Program {
			return call("equal_shape", "", call("query_shape", "", object(x[0])), call("query_shape", "", object(x[1])))
		}, index: yesNo},
	{name: "count_relate", group: "spatial", text: "How many objects are %s the %s object?",
		slots: func(v vocab) [][]string {
			var out [][]string
			for _, d := range directions {
				for _, c := range v.colors {
					out = append(out, []string{d, c})
				}
			}
			return out
		},
		program: func(x []string) *Program { return call("count", "", call("relate", x[0], object(x[1]))) }, index: none},
	{name: "closest_color", group: "spatial", text: "What color is the object closest to the %s?", slots: oneShape,
		program: func(x []string) *Program {
			return call("query_color", "", call("closest", "", call("unique", "", byShape(x[0]))))
		}, index: none},
	{name: "count_above_leftmost", group: "spatial", text: "How many objects are above the leftmost %s?", slots: oneShape,
		program: func(x []string) *Program {
			return call("count", "", call("relate", "above", call("position", "1", byShape(x[0]))))
		}, index: none},
	{name: "count_or", group: "logical", text: "How many objects are %s or %ss?", slots: colorShape,
		program: func(x []string) *Program { return call("count", "", call("union", "", byColor(x[0]), byShape(x[1]))) },
		index:   none, degenerate: filterRule},
	{name: "exist_and", group: "logical", text: "Is there a %s %s?", slots: colorShape,
		program: func(x []string) *Program {
			return call("exist", "", call("intersect", "", byColor(x[0]), byShape(x[1])))
		}, index: yesNo},
}

// rule rejects questions with a step that changes nothing, by comparing a
// program's result with those of its variants.
type rule int

const (
	noRule rule = iota
	// swapRule rejects an intervention whose answer is the answer
	// without it: the swap would be a step that changes nothing.
	swapRule
	// filterRule rejects a question with a filter step that could be
	// dropped without changing the answer, in the manner of CLEVR's
	// generator: "how many red squares" of a scene whose red objects are
	// all squares.
	filterRule
)

// variants lists the programs the rule compares p with.
func (r rule) variants(p *Program) []*Program {
	switch r {
	case swapRule:
		return []*Program{p.Inputs[0]}
	case filterRule:
		return withoutOneFilter(p)
	}
	return nil
}

// rejects judges p's result (v, err) against its variants' results.
func (r rule) rejects(v Value, err error, variants []result) bool {
	if err != nil {
		return true
	}
	for _, w := range variants {
		switch {
		case r == swapRule && (w.err != nil || w.v == v):
			return true
		case r == filterRule && w.err == nil && w.v == v:
			return true
		}
	}
	return false
}

// degenerate executes p and its variants on s and judges them.
func (r rule) degenerate(p *Program, s *Scene) bool {
	v, err := Execute(p, s)
	var results []result
	for _, q := range r.variants(p) {
		w, werr := Execute(q, s)
		results = append(results, result{v: w, err: werr})
	}
	return r.rejects(v, err, results)
}

// withoutOneFilter lists the programs p becomes with one of its filter
// steps dropped, in depth-first order; p itself is not changed.
func withoutOneFilter(p *Program) []*Program {
	var out []*Program
	for _, d := range withoutEachFilter(p) {
		out = append(out, d.variant)
	}
	return out
}

// droppedFilter is a program with one filter step dropped: the step, and
// the program without it.
type droppedFilter struct{ filter, variant *Program }

// withoutEachFilter lists, in depth-first order, each filter step of p
// with the program p becomes without it; p itself is not changed.
func withoutEachFilter(p *Program) []droppedFilter {
	var out []droppedFilter
	for i, in := range p.Inputs {
		var variants []droppedFilter
		if in.Fn == "filter_color" || in.Fn == "filter_shape" {
			variants = append(variants, droppedFilter{in, in.Inputs[0]})
		}
		variants = append(variants, withoutEachFilter(in)...)
		for _, v := range variants {
			c := *p
			c.Inputs = slices.Clone(p.Inputs)
			c.Inputs[i] = v.variant
			out = append(out, droppedFilter{v.filter, &c})
		}
	}
	return out
}

// shapeOrder and colorOrder number every shape and color name a program
// may use.
var shapeOrder, colorOrder = positions(allShapeNames()), positions(allColorNames())

func positions(names []string) map[string]int {
	m := make(map[string]int, len(names))
	for i, n := range names {
		m[n] = i
	}
	return m
}

// indexOf is name's position, or −1.
func indexOf(m map[string]int, name string) int {
	if i, ok := m[name]; ok {
		return i
	}
	return -1
}

// answerKey identifies an answer for balancing, whatever its kind.
func answerKey(v Value) int {
	switch v.Kind {
	case kBool:
		if v.Bool {
			return 0
		}
		return 1
	case kShape:
		return 10 + indexOf(shapeOrder, v.Str)
	case kInt:
		return 100 + v.Int
	case kColor:
		return 200 + indexOf(colorOrder, v.Str)
	}
	return -1
}

// candidate is one concrete question a family can ask, prepared once:
// its program, text and encoding; only its answer depends on the scene.
type candidate struct {
	fam  *family
	prog *Program
	code *code // prog compiled
	// variants are the programs its family's rule compares prog with,
	// compiled.
	variants []*code
	q        Question // without the answer
}

// candidates lists, per family, every question it can ask. Its error, a
// family whose program does not type-check, is a bug of this package.
func candidates(fams []family, v vocab, k *compiler) ([][]candidate, error) {
	out := make([][]candidate, len(fams))
	for fi := range fams {
		f := &fams[fi]
		for _, x := range f.slots(v) {
			q := Question{Family: f.name, Type: f.group, Text: f.question(x)}
			if f.encode != nil {
				f.encode(x, &q)
			}
			prog := f.program(x)
			q.Program = prog.String()
			c := candidate{fam: f, prog: prog, q: q}
			var err error
			if c.code, err = k.compile(prog); err != nil {
				return nil, fmt.Errorf("clevrlite: family %s: %w", f.name, err)
			}
			for _, v := range f.degenerate.variants(prog) {
				w, err := k.compile(v)
				if err != nil {
					return nil, fmt.Errorf("clevrlite: family %s: %w", f.name, err)
				}
				c.variants = append(c.variants, w)
			}
			out[fi] = append(out[fi], c)
		}
	}
	return out, nil
}

// build executes a candidate's program on the scene and fills in the answer.
func build(c candidate, e *env) (Question, error) {
	v, err := c.code.runIn(e)
	if err != nil {
		return Question{}, err
	}
	q := c.q
	q.Answer, q.AnswerIndex, q.key = v.Text(), c.fam.index(v), answerKey(v)
	return q, nil
}

// key is a candidate's answer key on the scene, or −1 if it cannot be
// asked (its program fails, or the question is degenerate).
func key(c candidate, e *env) int {
	v, err := c.code.runIn(e)
	if c.fam.degenerate != noRule {
		results := make([]result, len(c.variants))
		for i, w := range c.variants {
			results[i].v, results[i].err = w.runIn(e)
		}
		if c.fam.degenerate.rejects(v, err, results) {
			return -1
		}
	}
	if err != nil {
		return -1
	}
	return answerKey(v)
}

// table holds, for one scene, the answer key of every candidate of every
// family (−1 where it cannot be asked), each computed by executing the
// candidate's program once.
type table [][]int

func (p *plan) answers(e *env, t table) table {
	if t == nil {
		t = make(table, len(p.fams))
	}
	for fi, cs := range p.cands {
		if len(t[fi]) != len(cs) {
			t[fi] = make([]int, len(cs))
		}
		for ci, c := range cs {
			t[fi][ci] = key(c, e)
		}
	}
	return t
}

// calibrate sets, per family, the chance of keeping each drawn target
// answer, on scenes drawn from a fixed generator (so the result depends on
// the config only). It starts from how often each answer can be asked at
// all (accept = p_min / p; answers fewer than minReach of scenes can yield
// are never asked), then runs the
// real asking procedure on calibration scenes and corrects each answer's
// chance by how often it came out, a few rounds, since what a scene can be
// asked, and what earlier questions of the image used up, are not
// independent of its answers.
// minReach is the share of scenes that must be able to yield an answer for
// it to be asked at all (or half the family's most reachable answer's
// share, if that is lower): rarer answers could only be balanced by
// asking their family almost never.
const minReach = 0.15

func (p *plan) calibrate() {
	rng := rand.New(rand.NewPCG(0xca11b, 0))
	const scenes = 1000
	reach := make([]map[int]int, len(p.fams))
	for fi := range p.fams {
		reach[fi] = map[int]int{}
	}
	var t table
	e := new(env)
	for range scenes {
		t = p.answers(p.newEnv(e, p.scene(rng)), t)
		for fi := range p.fams {
			seen := map[int]bool{}
			for _, a := range t[fi] {
				if a >= 0 && !seen[a] {
					seen[a] = true
					reach[fi][a]++
				}
			}
		}
	}
	p.accept = make([]map[int]float64, len(p.fams))
	for fi := range p.fams {
		// A family whose answers are all rare (a color among eight) keeps
		// those within half of its most reachable one.
		most := 0
		for _, n := range reach[fi] {
			most = max(most, n)
		}
		threshold := min(minReach, float64(most)/scenes/2)
		pmin := 1.0
		for _, n := range reach[fi] {
			if q := float64(n) / scenes; q >= threshold {
				pmin = min(pmin, q)
			}
		}
		p.accept[fi] = map[int]float64{}
		for a, n := range reach[fi] {
			if q := float64(n) / scenes; q >= threshold {
				p.accept[fi][a] = pmin / q
			}
		}
	}
	p.targets = make([][]int, len(p.fams))
	for fi := range p.fams {
		p.targets[fi] = sortedKeys(p.accept[fi])
	}
	p.densify()
	for range 6 {
		asked := make([]map[int]int, len(p.fams))
		for fi := range p.fams {
			asked[fi] = map[int]int{}
		}
		for range 300 {
			t = p.answers(p.newEnv(e, p.scene(rng)), t)
			seen := map[*Program]bool{}
			for _, g := range p.groups {
				for range p.cfg.PerGroup {
					q, err := p.ask(g, e, t, seen, rng)
					if err != nil {
						continue
					}
					for fi, f := range p.fams {
						if f.name == q.Family {
							asked[fi][q.key]++
						}
					}
				}
			}
		}
		for fi := range p.fams {
			least := math.Inf(1)
			for a := range p.accept[fi] {
				if n := asked[fi][a]; n > 0 {
					least = min(least, float64(n))
				}
			}
			top := 0.0
			for a := range p.accept[fi] {
				if n := asked[fi][a]; n > 0 {
					p.accept[fi][a] *= math.Sqrt(least / float64(n)) // damped: a full step overshoots
				}
				top = max(top, p.accept[fi][a])
			}
			for a := range p.accept[fi] {
				p.accept[fi][a] /= top
			}
		}
		p.densify()
	}
}

// densify copies accept into chance, the form ask reads: chance[f][a] is
// accept[f][a], or −1 where family f never asks answer a.
func (p *plan) densify() {
	p.chance = make([][]float64, len(p.fams))
	for fi, m := range p.accept {
		top := -1
		for a := range m {
			top = max(top, a)
		}
		p.chance[fi] = make([]float64, top+1)
		for a := range p.chance[fi] {
			p.chance[fi][a] = -1
		}
		for a, c := range m {
			p.chance[fi][a] = c
		}
	}
}

// newEnv readies e for scene s and the plan's compiled programs.
func (p *plan) newEnv(e *env, s *Scene) *env { return newEnv(e, s, p.compiled.nodes) }

// asks reports whether family fi asks questions whose answer key is a.
func (p *plan) asks(fi, a int) bool { return a >= 0 && a < len(p.chance[fi]) && p.chance[fi][a] >= 0 }

// ask poses one question of group g. Unbalanced, it picks a family and its
// slots uniformly, as the reference, redrawing while the question cannot
// be asked of the scene or was asked already; after 64 draws askAnyOf
// finishes the draw exactly. Balanced, it draws a family and a
// target answer, keeps the target with its acceptance chance, and asks a
// question of that family with that answer if the scene has one — else it
// draws again (so a scene that cannot yield a rare answer is asked another
// question of the same group). After 512 draws it asks any question of the
// group whose answer is one its family may ask. The chosen question is
// built, and its answer computed, by executing its program.
// Questions already asked of the image (in asked) are not asked again
// while the group has others.
func (p *plan) ask(g string, e *env, t table, asked map[*Program]bool, rng *rand.Rand) (Question, error) {
	fams := p.byGroup[g]
	if !p.cfg.Balance {
		for range 64 {
			fi := fams[rng.IntN(len(fams))]
			cs := p.cands[fi]
			if c := cs[rng.IntN(len(cs))]; !asked[c.prog] && key(c, e) >= 0 {
				asked[c.prog] = true
				return build(c, e)
			}
		}
		return p.askAnyOf(g, e, asked, rng)
	}
	var buf [64]*candidate
	match := buf[:0]
	for range 512 {
		fi := fams[rng.IntN(len(fams))]
		targets := p.targets[fi]
		if len(targets) == 0 {
			continue
		}
		a := targets[rng.IntN(len(targets))]
		if rng.Float64() >= p.chance[fi][a] {
			continue
		}
		match = match[:0]
		for ci := range p.cands[fi] {
			if c := &p.cands[fi][ci]; t[fi][ci] == a && !asked[c.prog] {
				match = append(match, c)
			}
		}
		if len(match) > 0 {
			c := *match[rng.IntN(len(match))]
			asked[c.prog] = true
			return build(c, e)
		}
	}
	for _, repeat := range []bool{false, true} {
		match = match[:0]
		for _, fi := range fams {
			for ci := range p.cands[fi] {
				if c := &p.cands[fi][ci]; p.asks(fi, t[fi][ci]) && (repeat || !asked[c.prog]) {
					match = append(match, c)
				}
			}
		}
		if len(match) > 0 {
			c := *match[rng.IntN(len(match))]
			asked[c.prog] = true
			return build(c, e)
		}
	}
	return Question{}, fmt.Errorf("no %s question has an answer its family asks", g)
}

// askAnyOf poses one question of group g, unbalanced, when ask's 64
// uniform draws found none: it draws from the distribution those draws
// sample, continued until one succeeds. Each question that can be asked of
// the scene and was not asked already has a chance proportional to
// 1/(its family's number of questions): the family uniform, then the
// slots uniform. Scenes where few questions of a group apply (a programs
// scene of ten objects may have one shape that appears once) reach this
// often. As ask's balanced fallback does, it asks a question again only
// when the group has no other; its error means the scene admits no
// question of the group at all.
func (p *plan) askAnyOf(g string, e *env, asked map[*Program]bool, rng *rand.Rand) (Question, error) {
	fams := p.byGroup[g]
	var askable [][]int // per family of the group, its askable candidates
	for _, repeat := range []bool{false, true} {
		askable = askable[:0]
		total := 0.0
		for _, fi := range fams {
			var cis []int
			for ci, c := range p.cands[fi] {
				if (repeat || !asked[c.prog]) && key(c, e) >= 0 {
					cis = append(cis, ci)
				}
			}
			askable = append(askable, cis)
			total += float64(len(cis)) / float64(len(p.cands[fi]))
		}
		if total == 0 {
			continue
		}
		// pick is the family drawn; rounding can leave x past the last
		// share, which then takes it.
		x, pick := rng.Float64()*total, -1
		for k, fi := range fams {
			if len(askable[k]) == 0 {
				continue
			}
			pick = k
			share := float64(len(askable[k])) / float64(len(p.cands[fi]))
			if x < share {
				break
			}
			x -= share
		}
		cis := askable[pick]
		c := p.cands[fams[pick]][cis[rng.IntN(len(cis))]]
		asked[c.prog] = true
		return build(c, e)
	}
	return Question{}, fmt.Errorf("no %s question can be asked of this scene", g)
}

// askGroup appends the PerGroup questions of group g to qs: with mix
// subtypes, one of each family in schedule's order, asked by askFamily;
// otherwise each asked by ask.
func (p *plan) askGroup(qs []Question, g string, e *env, t table, asked map[*Program]bool, rng *rand.Rand) ([]Question, error) {
	if !p.cfg.Balance || p.cfg.Mix != MixSubtypes {
		for range p.cfg.PerGroup {
			q, err := p.ask(g, e, t, asked, rng)
			if err != nil {
				return qs, err
			}
			qs = append(qs, q)
		}
		return qs, nil
	}
	fams := p.byGroup[g]
	for _, fi := range p.schedule(g, rng) {
		q, err := p.askFamily(fi, e, t, asked, rng, nil)
		if err != nil {
			// A family may have nothing to ask of a scene (an intervention
			// when every object has one shape): another of the group asks.
			for _, j := range rng.Perm(len(fams)) {
				if q, err = p.askFamily(fams[j], e, t, asked, rng, nil); err == nil {
					break
				}
			}
		}
		if err != nil {
			return qs, fmt.Errorf("no %s question can be asked of this scene", g)
		}
		qs = append(qs, q)
	}
	return qs, nil
}

// schedule lists the families that ask group g's questions of one image,
// in order: each of its k families ⌊PerGroup/k⌋ times, the remaining
// PerGroup mod k questions by as many distinct families drawn uniformly,
// shuffled. Every family's share is 1/k, as when each question draws its
// family uniformly (the reference), with less spread from image to image.
func (p *plan) schedule(g string, rng *rand.Rand) []int {
	fams := p.byGroup[g]
	k := len(fams)
	order := make([]int, 0, p.cfg.PerGroup)
	for i := range p.cfg.PerGroup / k * k {
		order = append(order, fams[i%k])
	}
	for _, j := range rng.Perm(k)[:p.cfg.PerGroup%k] {
		order = append(order, fams[j])
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	return order
}

// askFamily poses one question of family fi (mix subtypes): among the
// answers the family's questions not yet asked of the image would give, it
// draws one with probability proportional to its weight (1 for an answer
// calibration never saw), then asks one of the questions with that answer,
// uniformly. Drawing among the answers the scene can give, rather than a
// target that may be rejected, keeps every family's share exact. Only when
// every question of the family has been asked of the image does it ask one
// again. If tally is not nil, each available answer's chance of being
// drawn is added to tally[answer key], which grows to hold it.
func (p *plan) askFamily(fi int, e *env, t table, asked map[*Program]bool, rng *rand.Rand, tally *[]float64) (Question, error) {
	w := p.weight[fi]
	cs := p.cands[fi]
	var kbuf [16]int
	var wbuf [16]float64
	for _, repeat := range []bool{false, true} {
		keys, weights, total := kbuf[:0], wbuf[:0], 0.0
		for ci := range cs {
			a := t[fi][ci]
			if a < 0 || !repeat && asked[cs[ci].prog] || slices.Contains(keys, a) {
				continue
			}
			wa := 1.0
			if a < len(w) && w[a] > 0 {
				wa = w[a]
			}
			keys, weights, total = append(keys, a), append(weights, wa), total+wa
		}
		if len(keys) == 0 {
			continue
		}
		if tally != nil {
			for i, a := range keys {
				if a >= len(*tally) {
					*tally = append(*tally, make([]float64, a+1-len(*tally))...)
				}
				(*tally)[a] += weights[i] / total
			}
		}
		x, pick := rng.Float64()*total, len(keys)-1
		for i, wa := range weights {
			if x < wa {
				pick = i
				break
			}
			x -= wa
		}
		var mbuf [64]int
		match := mbuf[:0]
		for ci := range cs {
			if t[fi][ci] == keys[pick] && (repeat || !asked[cs[ci].prog]) {
				match = append(match, ci)
			}
		}
		c := cs[match[rng.IntN(len(match))]]
		asked[c.prog] = true
		return build(c, e)
	}
	return Question{}, fmt.Errorf("no %s question can be asked of this scene", p.fams[fi].name)
}

// calibrateWeights sets the answer weights of mix subtypes on scenes drawn
// from a fixed generator, so that they depend on the config only. Every
// answer starts at weight 1. In each of weightRounds rounds the real asking
// procedure runs on weightRoundScenes fresh scenes, tallying how often each
// answer is expected to be asked (its chance at each question, which is
// steadier than counting the draws); then each answer's weight is
// multiplied by mean/tally, where mean is the family's questions per answer
// seen so far, the step kept within [¼, 4]. Answers asked equally often are
// the fixed point. An answer that the scenes cannot yield often enough for
// an equal share climbs until it is asked whenever a scene offers it, and
// one that scenes force (the only answer the family can give of them) sinks
// until it is asked only then; the others share the rest equally. The
// weights stay within [4⁻ʳ, 4ʳ] for r rounds, far from float64's limits.
func (p *plan) calibrateWeights() {
	rng := rand.New(rand.NewPCG(0xca11b, 1))
	e := new(env)
	var t table
	p.weight = make([][]float64, len(p.fams))
	tally := make([][]float64, len(p.fams))
	for round := range weightRounds {
		for fi := range tally {
			clear(tally[fi])
		}
		for range weightRoundScenes {
			t = p.answers(p.newEnv(e, p.scene(rng)), t)
			seen := map[*Program]bool{}
			for _, g := range p.groups {
				for _, fi := range p.schedule(g, rng) {
					p.askFamily(fi, e, t, seen, rng, &tally[fi])
				}
			}
		}
		for fi, n := range tally {
			w := p.weight[fi]
			for len(w) < len(n) {
				w = append(w, 0)
			}
			answers, total := 0, 0.0
			for a, na := range n {
				if na > 0 || w[a] > 0 {
					answers++
					total += na
					if w[a] == 0 {
						w[a] = 1 // first seen this round
					}
				}
			}
			if answers == 0 {
				continue
			}
			mean := total / float64(answers)
			for a, wa := range w {
				if wa == 0 {
					continue
				}
				step := 4.0 // never asked: climb fast
				if a < len(n) && n[a] > 0 {
					step = min(4, max(0.25, mean/n[a]))
				}
				if round >= weightRounds/2 {
					step = math.Sqrt(step) // damped: the noise of a round's scenes is not a signal
				}
				w[a] *= step
			}
			p.weight[fi] = w
		}
	}
}

// The calibration of mix subtypes: rounds of scenes that adjust the
// answer weights.
const (
	weightRounds      = 10
	weightRoundScenes = 250
)

func sortedKeys(m map[int]float64) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// FamilyNames lists the question families: the reference's and the
// sequence and causal ones, then the programs config's.
func FamilyNames() []string { return slices.Clone(familyNames) }

var familyNames = func() []string {
	var out []string
	for _, fs := range [][]family{sortOfCLEVRFamilies, programFamilies} {
		for _, f := range fs {
			out = append(out, f.name)
		}
	}
	return out
}()

// familyOrder numbers the families as FamilyNames lists them.
var familyOrder = positions(familyNames)

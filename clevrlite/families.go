package clevrlite

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// groups are the reference's three question types, in encoding order,
// then the sequence and causal groups of the research notes, which the
// reference's encoding cannot express.
var groups = []string{"non_relational", "binary", "ternary", "sequence", "causal"}

// referenceGroups is how many groups the reference's encoding covers.
const referenceGroups = 3

// family is a question template: text with color slots, the program that
// answers it, and how its answer is encoded.
type family struct {
	name    string
	group   int // index into groups
	subtype int // 0–2, the encoding's subtype
	text    string
	program func(a, b string) *Program
	// index is the answer's place in AnswerVocab, or -1 if it has none.
	index func(v Value) int
	// slots says what fills the text's slots: "color" (one color),
	// "colors" (two distinct), "position" (1 to 5), "pair" (i < j).
	slots string
	// degenerate, if set, rejects a question whose step changes nothing.
	degenerate func(p *Program, s *Scene) bool
}

func call(fn, param string, in ...*Program) *Program {
	return &Program{Fn: fn, Param: param, Inputs: in}
}

// object is "the <color> object": unique(filter_color[c](scene())).
func object(c string) *Program { return call("unique", "", call("filter_color", c, call("scene", ""))) }

func yesNo(v Value) int {
	if v.Bool {
		return 0
	}
	return 1
}

func shapeIndex(v Value) int {
	if v.Str == "square" {
		return 2
	}
	return 3
}

// families lists the sortofclevr families in encoding order.
var families = []family{
	{name: "shape", group: 0, subtype: 0, slots: "color", text: "What is the shape of the %s object?",
		program: func(a, _ string) *Program { return call("query_shape", "", object(a)) }, index: shapeIndex},
	{name: "is_left", group: 0, subtype: 1, slots: "color", text: "Is the %s object on the left?",
		program: func(a, _ string) *Program { return call("is_left", "", object(a)) }, index: yesNo},
	{name: "is_top", group: 0, subtype: 2, slots: "color", text: "Is the %s object on the top?",
		program: func(a, _ string) *Program { return call("is_top", "", object(a)) }, index: yesNo},
	{name: "closest_shape", group: 1, subtype: 0, slots: "color", text: "What is the shape of the object closest to the %s object?",
		program: func(a, _ string) *Program { return call("query_shape", "", call("closest", "", object(a))) }, index: shapeIndex},
	{name: "furthest_shape", group: 1, subtype: 1, slots: "color", text: "What is the shape of the object furthest from the %s object?",
		program: func(a, _ string) *Program { return call("query_shape", "", call("furthest", "", object(a))) }, index: shapeIndex},
	{name: "count_same_shape", group: 1, subtype: 2, slots: "color", text: "How many objects have the same shape as the %s object?",
		program: func(a, _ string) *Program { return call("count", "", call("same_shape", "", object(a))) }, index: func(v Value) int { return v.Int + 3 }},
	{name: "count_between", group: 2, subtype: 0, slots: "colors", text: "How many objects are between the %s object and the %s object?",
		program: func(a, b string) *Program { return call("count", "", call("between", "", object(a), object(b))) }, index: func(v Value) int { return v.Int + 4 }},
	{name: "on_line", group: 2, subtype: 1, slots: "colors", text: "Is there an object on the line through the %s object and the %s object?",
		program: func(a, b string) *Program { return call("exist", "", call("on_line", "", object(a), object(b))) }, index: yesNo},
	{name: "count_obtuse", group: 2, subtype: 2, slots: "colors", text: "How many objects form an obtuse triangle with the %s object and the %s object?",
		program: func(a, b string) *Program { return call("count", "", call("obtuse", "", object(a), object(b))) }, index: func(v Value) int { return v.Int + 4 }},

	// Sequences, objects counted from the left.
	{name: "seq_same_shape", group: 3, slots: "position", text: "Does the object at position %s have the same shape as the one at position %s?",
		program: func(i, j string) *Program {
			return call("equal_shape", "", call("query_shape", "", at(i)), call("query_shape", "", at(j)))
		}, index: yesNo},
	{name: "seq_position_of", group: 3, slots: "color", text: "At which position, counting from the left, is the %s object?",
		program: func(a, _ string) *Program { return call("position_of", "", object(a)) }, index: func(v Value) int { return v.Int + 3 }},
	{name: "seq_color_at", group: 3, slots: "position", text: "What color is the object at position %s?",
		program: func(i, _ string) *Program { return call("query_color", "", at(i)) }, index: func(Value) int { return -1 }},

	// The ladder of causation: intervention and counterfactual.
	{name: "intervention", group: 4, slots: "pair", text: "If the objects at positions %s and %s are swapped, what shape is at position %[2]s?",
		program: func(i, j string) *Program {
			return call("with_swap", i+","+j, call("query_shape", "", at(j)))
		}, index: shapeIndex, degenerate: swapChangesNothing},
	{name: "counterfactual", group: 4, slots: "pair", text: "Would the shape at position %[2]s be different if the objects at positions %[1]s and %[2]s were swapped?",
		program: func(i, j string) *Program {
			q := call("query_shape", "", at(j))
			return call("not", "", call("equal_shape", "", q, call("with_swap", i+","+j, q)))
		}, index: yesNo},
}

// at is "the object at position i": position[i](scene()).
func at(i string) *Program { return call("position", i, call("scene", "")) }

// swapChangesNothing rejects an intervention whose answer is the answer
// without it: the swap would be a step that changes nothing.
func swapChangesNothing(p *Program, s *Scene) bool {
	after, err1 := Execute(p, s)
	before, err2 := Execute(p.Inputs[0], s)
	return err1 != nil || err2 != nil || after == before
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
		return 2 + slices.Index(shapeNames[:], v.Str)
	case kInt:
		return 100 + v.Int
	case kColor:
		return 200 + slices.Index(colorNames[:], v.Str)
	}
	return -1
}

// candidate is one concrete question a family can ask, prepared once:
// its program, text and encoding; only its answer depends on the scene.
type candidate struct {
	fam  int
	prog *Program
	q    Question // without the answer
}

// allCandidates lists, per family, every question it can ask of scenes of
// n objects: one per color, per ordered pair of distinct colors, per
// position (1 to n−1), or per pair of positions, as the family's slots say.
func allCandidates(groupsUsed int) [][]candidate {
	out := make([][]candidate, len(families))
	n := len(colorNames)
	for fi, f := range families {
		if f.group >= groupsUsed {
			continue
		}
		add := func(slotA, slotB string, enc func(q *Question)) {
			q := Question{Family: f.name, Type: groups[f.group]}
			if slotB != "" && strings.Count(f.text, "%") == 1 {
				q.Text = fmt.Sprintf(f.text, slotA)
			} else if slotB != "" || strings.Count(f.text, "%") > 1 {
				q.Text = fmt.Sprintf(f.text, slotA, slotB)
			} else {
				q.Text = fmt.Sprintf(f.text, slotA)
			}
			if enc != nil {
				enc(&q)
			}
			prog := f.program(slotA, slotB)
			q.Program = prog.String()
			out[fi] = append(out[fi], candidate{fi, prog, q})
		}
		switch f.slots {
		case "color":
			for a := range colorNames {
				add(colorNames[a], "", func(q *Question) {
					if f.group < referenceGroups {
						q.Encoding[a] = 1
						q.Encoding[12+f.group] = 1
						q.Encoding[15+f.subtype] = 1
					}
				})
			}
		case "colors":
			for a := range colorNames {
				for b := range colorNames {
					if a != b {
						add(colorNames[a], colorNames[b], func(q *Question) {
							q.Encoding[a], q.Encoding[6+b] = 1, 1
							q.Encoding[12+f.group] = 1
							q.Encoding[15+f.subtype] = 1
						})
					}
				}
			}
		case "position":
			for i := 1; i < n; i++ {
				add(strconv.Itoa(i), strconv.Itoa(i+1), nil)
			}
		case "pair":
			for i := 1; i <= n; i++ {
				for j := i + 1; j <= n; j++ {
					add(strconv.Itoa(i), strconv.Itoa(j), nil)
				}
			}
		}
	}
	return out
}

// build executes a candidate's program on the scene and fills in the answer.
func build(c candidate, s *Scene) (Question, error) {
	v, err := Execute(c.prog, s)
	if err != nil {
		return Question{}, err
	}
	q := c.q
	q.Answer, q.AnswerIndex = v.Text(), families[c.fam].index(v)
	return q, nil
}

// key is a candidate's answer key on the scene, or −1 if it cannot be
// asked (its program fails, or the question is degenerate).
func key(c candidate, s *Scene) int {
	f := families[c.fam]
	if f.degenerate != nil && f.degenerate(c.prog, s) {
		return -1
	}
	v, err := Execute(c.prog, s)
	if err != nil {
		return -1
	}
	return answerKey(v)
}

// table holds, for one scene, the answer key of every candidate of every
// family (−1 where it cannot be asked), each computed by executing the
// candidate's program once.
type table [][]int

func (p *plan) answers(s *Scene, t table) table {
	if t == nil {
		t = make(table, len(families))
	}
	for fi, cs := range p.cands {
		if len(t[fi]) != len(cs) {
			t[fi] = make([]int, len(cs))
		}
		for ci, c := range cs {
			t[fi][ci] = key(c, s)
		}
	}
	return t
}

// calibrate measures, on scenes drawn from a fixed generator (so the
// result depends on the config only), how often each answer of each
// family can be asked at all, and sets the chance of keeping a drawn
// target answer to accept = p_min / p, which would balance answers exactly
// if scenes were independent of what else they can be asked; they are not
// (a scene with no obtuse triangle also offers many other answers), so the
// result is balanced within the 3× bar rather than exactly. Answers that
// fewer than 5% of scenes can yield are not asked (they would make a
// family almost never asked).
func (p *plan) calibrate() {
	const scenes = 2000
	rng := rand.New(rand.NewPCG(0xca11b, 0))
	achievable := make([]map[int]int, len(families))
	for fi := range families {
		achievable[fi] = map[int]int{}
	}
	var t table
	for range scenes {
		t = p.answers(p.scene(rng), t)
		for fi := range families {
			seen := map[int]bool{}
			for _, a := range t[fi] {
				if a >= 0 && !seen[a] {
					seen[a] = true
					achievable[fi][a]++
				}
			}
		}
	}
	p.accept = make([]map[int]float64, len(families))
	for fi := range families {
		pmin := 1.0
		for _, n := range achievable[fi] {
			if q := float64(n) / scenes; q >= 0.05 {
				pmin = min(pmin, q)
			}
		}
		p.accept[fi] = map[int]float64{}
		for a, n := range achievable[fi] {
			if q := float64(n) / scenes; q >= 0.05 {
				p.accept[fi][a] = pmin / q
			}
		}
	}
}

// ask poses one question of group g. Unbalanced, it picks a family and its
// colors uniformly, as the reference. Balanced, it draws a family and a
// target answer, keeps the target with its acceptance chance, and asks a
// question of that family with that answer if the scene has one — else it
// draws again (so a scene that cannot yield a rare answer is asked another
// question of the same group). After 64 draws it asks any question of the
// group whose answer is one its family may ask. The chosen question is
// built, and its answer computed, by executing its program.
func (p *plan) ask(g int, s *Scene, t table, rng *rand.Rand) (Question, error) {
	var fams []int
	for fi, f := range families {
		if f.group == g {
			fams = append(fams, fi)
		}
	}
	if !p.cfg.Balance {
		for range 64 {
			fi := fams[rng.IntN(len(fams))]
			cs := p.cands[fi]
			if c := cs[rng.IntN(len(cs))]; key(c, s) >= 0 {
				return build(c, s)
			}
		}
		return Question{}, fmt.Errorf("no %s question can be asked of this scene", groups[g])
	}
	match := make([]candidate, 0, 32)
	for range 64 {
		fi := fams[rng.IntN(len(fams))]
		targets := sortedKeys(p.accept[fi])
		if len(targets) == 0 {
			continue
		}
		a := targets[rng.IntN(len(targets))]
		if rng.Float64() >= p.accept[fi][a] {
			continue
		}
		match = match[:0]
		for ci, c := range p.cands[fi] {
			if t[fi][ci] == a {
				match = append(match, c)
			}
		}
		if len(match) > 0 {
			return build(match[rng.IntN(len(match))], s)
		}
	}
	match = match[:0]
	for _, fi := range fams {
		for ci, c := range p.cands[fi] {
			if _, ok := p.accept[fi][t[fi][ci]]; ok {
				match = append(match, c)
			}
		}
	}
	if len(match) == 0 {
		return Question{}, fmt.Errorf("no %s question has an answer its family asks", groups[g])
	}
	return build(match[rng.IntN(len(match))], s)
}

func sortedKeys(m map[int]float64) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// FamilyNames lists the sortofclevr question families.
func FamilyNames() []string {
	out := make([]string, len(families))
	for i, f := range families {
		out[i] = f.name
	}
	return out
}

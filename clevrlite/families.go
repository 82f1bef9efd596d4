package clevrlite

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// groups are the reference's three question types, in encoding order.
var groups = []string{"non_relational", "binary", "ternary"}

// family is a question template: text with color slots, the program that
// answers it, and how its answer is encoded.
type family struct {
	name    string
	group   int // index into groups
	subtype int // 0–2, the encoding's subtype
	text    string
	program func(a, b string) *Program
	index   func(v Value) int
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
	{"shape", 0, 0, "What is the shape of the %s object?",
		func(a, _ string) *Program { return call("query_shape", "", object(a)) }, shapeIndex},
	{"is_left", 0, 1, "Is the %s object on the left?",
		func(a, _ string) *Program { return call("is_left", "", object(a)) }, yesNo},
	{"is_top", 0, 2, "Is the %s object on the top?",
		func(a, _ string) *Program { return call("is_top", "", object(a)) }, yesNo},
	{"closest_shape", 1, 0, "What is the shape of the object closest to the %s object?",
		func(a, _ string) *Program { return call("query_shape", "", call("closest", "", object(a))) }, shapeIndex},
	{"furthest_shape", 1, 1, "What is the shape of the object furthest from the %s object?",
		func(a, _ string) *Program { return call("query_shape", "", call("furthest", "", object(a))) }, shapeIndex},
	{"count_same_shape", 1, 2, "How many objects have the same shape as the %s object?",
		func(a, _ string) *Program { return call("count", "", call("same_shape", "", object(a))) }, func(v Value) int { return v.Int + 3 }},
	{"count_between", 2, 0, "How many objects are between the %s object and the %s object?",
		func(a, b string) *Program { return call("count", "", call("between", "", object(a), object(b))) }, func(v Value) int { return v.Int + 4 }},
	{"on_line", 2, 1, "Is there an object on the line through the %s object and the %s object?",
		func(a, b string) *Program { return call("exist", "", call("on_line", "", object(a), object(b))) }, yesNo},
	{"count_obtuse", 2, 2, "How many objects form an obtuse triangle with the %s object and the %s object?",
		func(a, b string) *Program { return call("count", "", call("obtuse", "", object(a), object(b))) }, func(v Value) int { return v.Int + 4 }},
}

// candidate is one concrete question a family can ask, prepared once:
// its program, text and encoding; only its answer depends on the scene.
type candidate struct {
	fam  int
	prog *Program
	q    Question // without the answer
}

// allCandidates lists, per family, every question it can ask: one per
// color, or one per ordered pair of distinct colors for ternary families.
func allCandidates() [][]candidate {
	out := make([][]candidate, len(families))
	for fi, f := range families {
		for a := range colorNames {
			for b := -1; b < len(colorNames); b++ {
				if f.group < 2 && b >= 0 || f.group == 2 && (b < 0 || b == a) {
					continue
				}
				q := Question{Family: f.name, Type: groups[f.group]}
				q.Encoding[a] = 1
				var prog *Program
				if b >= 0 {
					q.Encoding[6+b] = 1
					q.Text = fmt.Sprintf(f.text, colorNames[a], colorNames[b])
					prog = f.program(colorNames[a], colorNames[b])
				} else {
					q.Text = fmt.Sprintf(f.text, colorNames[a])
					prog = f.program(colorNames[a], "")
				}
				q.Encoding[12+f.group] = 1
				q.Encoding[15+f.subtype] = 1
				q.Program = prog.String()
				out[fi] = append(out[fi], candidate{fi, prog, q})
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

// table holds, for one scene, the answer index of every candidate of every
// family (−1 where the program cannot run), each computed by executing the
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
			v, err := Execute(c.prog, s)
			t[fi][ci] = -1
			if err == nil {
				t[fi][ci] = families[fi].index(v)
			}
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
		fi := fams[rng.IntN(len(fams))]
		cs := p.cands[fi]
		return build(cs[rng.IntN(len(cs))], s)
	}
	match := make([]candidate, 0, 32)
	for range 64 {
		fi := fams[rng.IntN(len(fams))]
		targets := sortedKeys(p.accept[fi])
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

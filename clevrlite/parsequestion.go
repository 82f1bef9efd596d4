package clevrlite

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Questions is the question families of one config: what Draw draws
// questions from, and what Parse reads question text back into. Make one
// with NewQuestions; it does not change after, and is safe for concurrent
// use.
type Questions struct {
	cfg  Config // resolved
	fams []family
	// slots lists, per family, every tuple of slot values it asks about.
	slots [][][]string
	// asks holds, per family, its tuples joined by slotMark.
	asks []map[string]bool
	// exact matches, per family, its text with each slot one of the words
	// it can take; loose with any words, to say which were not understood.
	exact, loose []*regexp.Regexp
	// groups lists, per family, the slot each capture group holds.
	groups [][]int
	// words maps, per family and slot, a word of its text to its value
	// ("left of" to left); kinds names each slot's kind (color, shape, …).
	words [][]map[string]string
	kinds [][]string
}

// NewQuestions returns the question families of cfg: for sortofclevr the
// reference's nine (and the sequence and causal ones with sequence=true),
// for programs the CLEVR-style ones, over the config's colors and shapes.
// A config that does not validate is an error.
func NewQuestions(cfg *Config) (*Questions, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("clevrlite config: %w", err)
	}
	q := &Questions{cfg: cfg.resolved()}
	var v vocab
	switch q.cfg.Questions {
	case "programs":
		q.fams = programFamilies
		v = vocab{colors: q.cfg.Colors, shapes: q.cfg.Shapes, objects: q.cfg.MaxObjects}
	default:
		q.fams = sortOfCLEVRFamilies[:9]
		if q.cfg.Sequence {
			q.fams = sortOfCLEVRFamilies
		}
		v = vocab{colors: colorNames[:], shapes: shapeNames[:], objects: len(colorNames)}
	}
	for fi := range q.fams {
		f := &q.fams[fi]
		xs := f.slots(v)
		q.slots = append(q.slots, xs)
		asks := map[string]bool{}
		n := slotCount(f.text)
		words := make([]map[string]string, n)
		for k := range words {
			words[k] = map[string]string{}
		}
		for _, x := range xs {
			asks[strings.Join(x, slotMark)] = true
			for k, s := range x {
				words[k][normalize(f.word(s))] = s
			}
		}
		q.asks = append(q.asks, asks)
		q.words = append(q.words, words)
		q.kinds = append(q.kinds, slotKinds(f, n))
		exact, loose, groups := patterns(f.text, words)
		q.exact, q.loose, q.groups = append(q.exact, exact), append(q.loose, loose), append(q.groups, groups)
	}
	return q, nil
}

// Families lists the config's families, in the generator's order.
func (q *Questions) Families() []string {
	out := make([]string, len(q.fams))
	for i, f := range q.fams {
		out[i] = f.name
	}
	return out
}

// family is the index of the named family, or an error naming the known.
func (q *Questions) family(name string) (int, error) {
	for i, f := range q.fams {
		if f.name == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("clevrlite: no question family %q in the %s questions; known: %s", name, q.cfg.Questions, strings.Join(q.Families(), ", "))
}

// Scene is the scene of a sample of this config with these objects (its
// samples.jsonl "objects"), as programs see it.
func (q *Questions) Scene(objects []Object) *Scene {
	return &Scene{Width: q.cfg.ImageSize, Height: q.cfg.ImageSize, Objects: objects}
}

// QuestionError says what of a question's text was not understood.
type QuestionError struct {
	Text string
	Msg  string
}

func (e *QuestionError) Error() string {
	return fmt.Sprintf("clevrlite: question %q: %s", e.Text, e.Msg)
}

// ParseQuestion reads a question's text back into its family and program,
// for the families of cfg. It is NewQuestions(cfg).Parse(text); to parse
// many, make the Questions once.
func ParseQuestion(text string, cfg *Config) (family string, prog *Program, err error) {
	q, err := NewQuestions(cfg)
	if err != nil {
		return "", nil, err
	}
	return q.Parse(text)
}

// Parse reads a question's text back into its family and the program that
// answers it, inverting the families' text templates: every question the
// generator writes parses back to its own family and program. It ignores
// case, spacing and the punctuation ? , and . ("what is the shape of the
// red object" reads as "What is the shape of the red object?"). Text that
// is no family's question, with slot values the family asks about, is a
// *QuestionError saying what was not understood: no template matched, a
// word that is not a color (or shape, position, direction) of the config,
// or slot values the family does not ask about together.
func (q *Questions) Parse(text string) (family string, prog *Program, err error) {
	n := normalize(text)
	fail := func(format string, a ...any) (string, *Program, error) {
		return "", nil, &QuestionError{text, fmt.Sprintf(format, a...)}
	}
	if n == "" {
		return fail("no words")
	}
	var found []int
	var xs [][]string
	var notAsked string
	for fi := range q.fams {
		m := q.exact[fi].FindStringSubmatch(n)
		if m == nil {
			continue
		}
		x, ok := q.values(fi, m[1:])
		if !ok || !q.asks[fi][strings.Join(x, slotMark)] {
			if notAsked == "" && !ok {
				notAsked = fmt.Sprintf("the %s family (%q) names one value twice, but it reads %s", q.fams[fi].name, q.fams[fi].text, listWords(m[1:]))
			} else if notAsked == "" {
				notAsked = fmt.Sprintf("the %s family does not ask about %s together", q.fams[fi].name, listWords(m[1:]))
			}
			continue
		}
		found, xs = append(found, fi), append(xs, x)
	}
	switch len(found) {
	case 1:
		return q.fams[found[0]].name, q.fams[found[0]].program(xs[0]), nil
	case 0:
		if notAsked != "" {
			return fail("%s", notAsked)
		}
		return fail("%s", q.misread(n))
	}
	names := make([]string, len(found))
	for i, fi := range found {
		names[i] = q.fams[fi].name
	}
	return fail("reads as a question of %s alike", strings.Join(names, " and "))
}

// values reads family fi's slot values from its capture groups, by word;
// false if a word is unknown or a slot repeated reads two values.
func (q *Questions) values(fi int, groups []string) ([]string, bool) {
	x := make([]string, len(q.words[fi]))
	seen := make([]bool, len(x))
	for g, w := range groups {
		k := q.groups[fi][g]
		v, ok := q.words[fi][k][w]
		if !ok || seen[k] && x[k] != v {
			return nil, false
		}
		x[k], seen[k] = v, true
	}
	return x, true
}

// misread says why normalized text n matches no family exactly: the
// words of the closest template that are not slot values of the config,
// or, if no template matches even loosely, which templates there are.
func (q *Questions) misread(n string) string {
	best, bestLen := "", -1
	for fi, f := range q.fams {
		m := q.loose[fi].FindStringSubmatch(n)
		if m == nil {
			continue
		}
		var bad []string
		unknown := 0
		for g, w := range m[1:] {
			k := q.groups[fi][g]
			if _, ok := q.words[fi][k][w]; !ok {
				bad = append(bad, fmt.Sprintf("%q is not a %s it asks about (%s)", w, q.kinds[fi][k], strings.Join(q.known(fi, k), ", ")))
				unknown += len(w)
			}
		}
		if len(bad) == 0 { // a repeated slot read two ways
			bad = append(bad, fmt.Sprintf("it names %s where the %s family repeats one", listWords(m[1:]), f.name))
		}
		if bestLen < 0 || unknown < bestLen {
			best, bestLen = fmt.Sprintf("reads as the %s family (%q), but %s", f.name, f.text, strings.Join(bad, "; ")), unknown
		}
	}
	if best != "" {
		return best
	}
	examples := make([]string, len(q.fams))
	for i, f := range q.fams {
		examples[i] = strconv.Quote(f.text)
	}
	return fmt.Sprintf("matches no question family of the %s questions; they read %s", q.cfg.Questions, strings.Join(examples, ", "))
}

// known lists the words slot k of family fi takes, sorted.
func (q *Questions) known(fi, k int) []string {
	var out []string
	for w := range q.words[fi][k] {
		out = append(out, w)
	}
	slices.Sort(out)
	return out
}

func listWords(ws []string) string {
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = strconv.Quote(w)
	}
	return strings.Join(q, " and ")
}

// normalize lowercases text, drops the punctuation ? , and . and leaves
// one space between words.
func normalize(text string) string {
	text = strings.Map(func(r rune) rune {
		switch r {
		case '?', ',', '.':
			return ' '
		}
		return r
	}, strings.ToLower(text))
	return strings.Join(strings.Fields(text), " ")
}

// piece is a part of a family's text: literal text, or a slot (arg ≥ 0).
type piece struct {
	lit string
	arg int
}

// textPieces splits a family's fmt text into literal text and slots, as
// fmt reads its verbs: %s takes the next slot, %[n]s slot n (1-based),
// after which %s takes slot n+1.
func textPieces(text string) []piece {
	var out []piece
	next := 0
	for {
		i := strings.IndexByte(text, '%')
		if i < 0 {
			if text != "" {
				out = append(out, piece{lit: text, arg: -1})
			}
			return out
		}
		if i > 0 {
			out = append(out, piece{lit: text[:i], arg: -1})
		}
		text = text[i+1:]
		arg := next
		if strings.HasPrefix(text, "[") {
			end := strings.IndexByte(text, ']')
			n, _ := strconv.Atoi(text[1:end]) // the families' texts are this package's own
			arg, text = n-1, text[end+1:]
		}
		text = text[1:] // the verb, s
		out = append(out, piece{arg: arg})
		next = arg + 1
	}
}

// slotCount is how many slot values a family's text takes.
func slotCount(text string) int {
	n := 0
	for _, p := range textPieces(text) {
		n = max(n, p.arg+1)
	}
	return n
}

// patterns compiles a family's text into its exact and loose regular
// expressions over normalized text, and lists the slot of each capture
// group. words[k] holds the words slot k takes.
func patterns(text string, words []map[string]string) (exact, loose *regexp.Regexp, groups []int) {
	// Slots become marks that normalizing leaves alone, so the literal
	// text around them normalizes as the question's does.
	var marked strings.Builder
	for _, p := range textPieces(text) {
		if p.arg < 0 {
			marked.WriteString(p.lit)
		} else {
			marked.WriteString("\x01" + strconv.Itoa(p.arg) + "\x01")
		}
	}
	var e, l strings.Builder
	e.WriteString("^")
	l.WriteString("^")
	for i, part := range strings.Split(normalize(marked.String()), "\x01") {
		if i%2 == 0 {
			e.WriteString(regexp.QuoteMeta(part))
			l.WriteString(regexp.QuoteMeta(part))
			continue
		}
		k, _ := strconv.Atoi(part)
		groups = append(groups, k)
		alts := make([]string, 0, len(words[k]))
		for w := range words[k] {
			alts = append(alts, regexp.QuoteMeta(w))
		}
		// Longest first, so that no word stops at a prefix of another.
		slices.SortFunc(alts, func(a, b string) int {
			if len(a) != len(b) {
				return len(b) - len(a)
			}
			return strings.Compare(a, b)
		})
		e.WriteString("(" + strings.Join(alts, "|") + ")")
		l.WriteString("(.+?)")
	}
	e.WriteString("$")
	l.WriteString("$")
	return regexp.MustCompile(e.String()), regexp.MustCompile(l.String()), groups
}

// slotKinds names what each of family f's n slots holds (color, shape,
// position, direction), by the parameter its template program puts it in.
func slotKinds(f *family, n int) []string {
	x := make([]string, n)
	for k := range x {
		x[k] = slotMark + strconv.Itoa(k)
	}
	kinds := make([]string, n)
	var walk func(p *Program)
	walk = func(p *Program) {
		if fn, ok := lookup(p.Fn); ok {
			for _, s := range strings.Split(p.Param, ",") {
				if k, err := strconv.Atoi(strings.TrimPrefix(s, slotMark)); err == nil && strings.HasPrefix(s, slotMark) && k < n {
					kinds[k] = map[string]string{"pair": "position"}[fn.sig.param]
					if kinds[k] == "" {
						kinds[k] = fn.sig.param
					}
				}
			}
		}
		for _, in := range p.Inputs {
			walk(in)
		}
	}
	walk(f.program(x))
	return kinds
}

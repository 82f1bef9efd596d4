package clevrlite

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// AnswerStats tallies questions' answers by type (the reference's
// question group) and by family (its subtype), for the majority-answer
// baseline: the accuracy of always giving a type's or a family's most
// common answer. Its zero value is not ready; use NewAnswerStats. It is
// not safe for concurrent use.
type AnswerStats struct {
	counts map[string]map[string]int // type or family → answer → questions
	texts  map[string][]string       // a type's answer "#k" → the texts it stands for
	types  []string                  // in the order first seen
	fams   map[string][]string       // type → its families, in the order first seen
}

// NewAnswerStats returns an empty tally.
func NewAnswerStats() *AnswerStats {
	return &AnswerStats{counts: map[string]map[string]int{}, texts: map[string][]string{}, fams: map[string][]string{}}
}

// Add counts one question. Within a family its answer is its text; within a
// type it is its index in AnswerVocab (what a model of the reference
// predicts: the between count 0 and the same-shape count 1 share index 4),
// or its text where it has none.
func (s *AnswerStats) Add(q Question) {
	if s.counts[q.Type] == nil {
		s.counts[q.Type] = map[string]int{}
		s.types = append(s.types, q.Type)
	}
	if s.counts[q.Family] == nil {
		s.counts[q.Family] = map[string]int{}
		s.fams[q.Type] = append(s.fams[q.Type], q.Family)
	}
	s.counts[q.Family][q.Answer]++
	label := q.Answer
	if q.AnswerIndex >= 0 {
		label = "#" + strconv.Itoa(q.AnswerIndex)
		if k := q.Type + "\x00" + label; !slices.Contains(s.texts[k], q.Answer) {
			s.texts[k] = append(s.texts[k], q.Answer)
		}
	}
	s.counts[q.Type][label]++
}

// show is how Markdown writes answer a of a type or family: a type's "#k"
// as "text #k", with every text it stood for.
func (s *AnswerStats) show(name, a string) string {
	if texts := s.texts[name+"\x00"+a]; len(texts) > 0 {
		return strings.Join(texts, "/") + " " + a
	}
	return a
}

// AnswerCount is how many questions had one answer.
type AnswerCount struct {
	// Answer is the answer's text, or for a type "#k", its index k in
	// AnswerVocab.
	Answer    string
	Questions int
}

// Answers lists the answers counted for a type or family, most common
// first (ties in answer order), and nil for a name never seen.
func (s *AnswerStats) Answers(name string) []AnswerCount {
	var out []AnswerCount
	for a, n := range s.counts[name] {
		out = append(out, AnswerCount{a, n})
	}
	slices.SortFunc(out, func(x, y AnswerCount) int {
		if c := cmp.Compare(y.Questions, x.Questions); c != 0 {
			return c
		}
		return cmp.Compare(x.Answer, y.Answer)
	})
	return out
}

// Majority returns the most common answer of a type or family, the share
// of its questions that have it (the majority-answer baseline) and the
// number of its questions; ("", 0, 0) for a name never seen.
func (s *AnswerStats) Majority(name string) (answer string, share float64, questions int) {
	as := s.Answers(name)
	if len(as) == 0 {
		return "", 0, 0
	}
	for _, a := range as {
		questions += a.Questions
	}
	return as[0].Answer, float64(as[0].Questions) / float64(questions), questions
}

// Markdown is a table of the baselines: per type (in the order first
// seen), then per family of it (in FamilyNames' order),
// the questions, the majority answer and its share, and every answer's
// count, most common first. A type's answers are written with their
// AnswerVocab index ("0 #4": the count 0 at index 4).
func (s *AnswerStats) Markdown() string {
	var b strings.Builder
	b.WriteString("| type | subtype | questions | majority answer | baseline | answers (questions) |\n")
	b.WriteString("| --- | --- | ---: | --- | ---: | --- |\n")
	row := func(typ, fam, name string) {
		a, share, n := s.Majority(name)
		var parts []string
		for _, c := range s.Answers(name) {
			parts = append(parts, fmt.Sprintf("%s: %d", s.show(name, c.Answer), c.Questions))
		}
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %.1f%% | %s |\n", typ, fam, n, s.show(name, a), 100*share, strings.Join(parts, ", "))
	}
	for _, t := range s.types {
		row(t, "all", t)
		// Families in the order FamilyNames lists them (the reference's
		// subtype order), any other after them by name.
		fams := slices.Clone(s.fams[t])
		rank := func(f string) int {
			if i := indexOf(familyOrder, f); i >= 0 {
				return i
			}
			return len(familyNames)
		}
		slices.SortFunc(fams, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b)) })
		for _, f := range fams {
			row("", f, f)
		}
	}
	return b.String()
}

package questions

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Tokenize splits a question into lower-case tokens: each maximal run of
// letters and digits is a word, and every other rune that is not a space
// is a token of its own ("What color is it?" → what, color, is, it, ?).
func Tokenize(text string) []string {
	var out []string
	var word strings.Builder
	flush := func() {
		if word.Len() > 0 {
			out = append(out, word.String())
			word.Reset()
		}
	}
	for _, r := range text {
		switch {
		case isWordRune(r):
			word.WriteRune(unicode.ToLower(r))
		case unicode.IsSpace(r):
			flush()
		case r == unicode.ReplacementChar || !unicode.IsPrint(r):
			flush() // invalid UTF-8 and control runes are dropped
		default:
			flush()
			out = append(out, string(r))
		}
	}
	flush()
	return out
}

// The reserved word ids.
const (
	// PadID fills a token row after the question's last token.
	PadID = 0
	// UnknownID stands for a word the vocabulary lacks.
	UnknownID = 1
)

// Vocab is the word vocabulary of a task: the distinct tokens of its
// training questions, sorted, as ids 2, 3, …, after PadID and UnknownID.
// Its JSON form is the word list, which a checkpoint's meta keeps.
type Vocab struct {
	// Words are the known words in id order minus 2.
	Words []string `json:"words"`
	// Length is the longest training question's number of tokens: every
	// question is encoded in that many ids.
	Length int `json:"length"`
}

// NewVocab builds the vocabulary of the training questions' texts.
func NewVocab(texts []string) Vocab {
	seen := map[string]bool{}
	var v Vocab
	for _, t := range texts {
		toks := Tokenize(t)
		v.Length = max(v.Length, len(toks))
		for _, w := range toks {
			if !seen[w] {
				seen[w] = true
				v.Words = append(v.Words, w)
			}
		}
	}
	slices.Sort(v.Words)
	return v
}

// Size is the number of ids, padding and unknown included.
func (v Vocab) Size() int { return len(v.Words) + 2 }

// ID returns a word's id, UnknownID for a word the vocabulary lacks.
func (v Vocab) ID(word string) int {
	if i, ok := slices.BinarySearch(v.Words, word); ok {
		return i + 2
	}
	return UnknownID
}

// Word returns id's word: "<pad>" and "<unk>" for the reserved ids.
func (v Vocab) Word(id int) string {
	switch {
	case id == PadID:
		return "<pad>"
	case id == UnknownID || id < 0 || id >= v.Size():
		return "<unk>"
	}
	return v.Words[id-2]
}

// Encode appends text's ids to dst, padded with PadID or cut to Length,
// and returns it with the number of tokens cut off (0 when it fits).
func (v Vocab) Encode(dst []int, text string) ([]int, int) {
	toks := Tokenize(text)
	cut := max(len(toks)-v.Length, 0)
	for i := range v.Length {
		id := PadID
		if i < len(toks) {
			id = v.ID(toks[i])
		}
		dst = append(dst, id)
	}
	return dst, cut
}

// check refuses a vocabulary that is not sorted and distinct or has no
// length, as a checkpoint's meta could hold.
func (v Vocab) check() error {
	if v.Length < 1 || len(v.Words) == 0 {
		return fmt.Errorf("questions: a word vocabulary of %d words and length %d; want words and a length ≥ 1", len(v.Words), v.Length)
	}
	for i := 1; i < len(v.Words); i++ {
		if v.Words[i-1] >= v.Words[i] {
			return fmt.Errorf("questions: the word vocabulary is not sorted and distinct at %q, %q", v.Words[i-1], v.Words[i])
		}
	}
	return nil
}

// AnswerVocab is the distinct training answers, sorted: class i of a
// model is Answers[i].
type AnswerVocab []string

// NewAnswerVocab builds the answer vocabulary of the training answers.
func NewAnswerVocab(answers []string) AnswerVocab {
	out := slices.Clone(answers)
	slices.Sort(out)
	return slices.Compact(out)
}

// Class returns answer's class, or −1 for an answer the vocabulary lacks
// (scored as wrong).
func (a AnswerVocab) Class(answer string) int {
	if i, ok := slices.BinarySearch(a, answer); ok {
		return i
	}
	return -1
}

// check refuses a vocabulary of fewer than two answers or not sorted and
// distinct.
func (a AnswerVocab) check() error {
	if len(a) < 2 {
		return fmt.Errorf("questions: an answer vocabulary of %d answers; want at least 2", len(a))
	}
	for i := 1; i < len(a); i++ {
		if a[i-1] >= a[i] {
			return fmt.Errorf("questions: the answer vocabulary is not sorted and distinct at %q, %q", a[i-1], a[i])
		}
	}
	return nil
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// isWord reports whether tok is a word: letters and digits only.
func isWord(tok string) bool {
	return tok != "" && !strings.ContainsFunc(tok, func(r rune) bool { return !isWordRune(r) })
}

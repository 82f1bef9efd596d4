package questions

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestTokenize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"What color is the leftmost cube?", []string{"what", "color", "is", "the", "leftmost", "cube", "?"}},
		{"At which position, counting from the left, is the blue object?",
			[]string{"at", "which", "position", ",", "counting", "from", "the", "left", ",", "is", "the", "blue", "object", "?"}},
		{"If the objects at positions 1 and 6 are swapped", []string{"if", "the", "objects", "at", "positions", "1", "and", "6", "are", "swapped"}},
		{"  Is\tthere  a RED circle??", []string{"is", "there", "a", "red", "circle", "?", "?"}},
		{"", nil},
		{"x\xffy", []string{"x", "y"}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := Tokenize(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("Tokenize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestVocab(t *testing.T) {
	v := NewVocab([]string{"Is there a red cube?", "How many cubes?"})
	want := []string{"?", "a", "cube", "cubes", "how", "is", "many", "red", "there"}
	if !slices.Equal(v.Words, want) || v.Length != 6 || v.Size() != len(want)+2 {
		t.Fatalf("vocab %q length %d size %d; want %q, 6, %d", v.Words, v.Length, v.Size(), want, len(want)+2)
	}
	for _, tc := range []struct {
		text string
		ids  []int
		cut  int
	}{
		{"How many cubes?", []int{6, 8, 5, 2, PadID, PadID}, 0},
		{"How many spheres?", []int{6, 8, UnknownID, 2, PadID, PadID}, 0},
		{"is there a red cube ? ? ?", []int{7, 10, 3, 9, 4, 2}, 2},
	} {
		t.Run(tc.text, func(t *testing.T) {
			got, cut := v.Encode(nil, tc.text)
			if !slices.Equal(got, tc.ids) || cut != tc.cut {
				t.Errorf("Encode(%q) = %v, %d cut; want %v, %d", tc.text, got, cut, tc.ids, tc.cut)
			}
		})
	}
	if v.Word(PadID) != "<pad>" || v.Word(UnknownID) != "<unk>" || v.Word(2) != "?" || v.Word(99) != "<unk>" {
		t.Errorf("Word: %q %q %q %q", v.Word(0), v.Word(1), v.Word(2), v.Word(99))
	}
	if err := v.check(); err != nil {
		t.Error(err)
	}
	if err := (Vocab{Words: []string{"b", "a"}, Length: 2}).check(); err == nil {
		t.Error("an unsorted vocabulary passed its check")
	}
}

func TestAnswerVocab(t *testing.T) {
	a := NewAnswerVocab([]string{"yes", "no", "3", "yes", "10", "red"})
	if want := (AnswerVocab{"10", "3", "no", "red", "yes"}); !slices.Equal(a, want) {
		t.Fatalf("answers %q, want %q", a, want)
	}
	for ans, want := range map[string]int{"10": 0, "yes": 4, "blue": -1, "": -1} {
		if got := a.Class(ans); got != want {
			t.Errorf("Class(%q) = %d, want %d", ans, got, want)
		}
	}
	if err := (AnswerVocab{"yes"}).check(); err == nil {
		t.Error("a one-answer vocabulary passed its check")
	}
}

// FuzzTokenize holds the tokenizer's contract on any text: lower-case
// tokens without spaces, words of letters and digits or single runes, and
// every letter and digit of the text kept, in order.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"What color is the leftmost cube?", "At position 3, is it red?", "ÀÉ ß?", "a\x00b", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := Tokenize(s)
		var kept strings.Builder
		for _, tok := range toks {
			if tok == "" || strings.ContainsFunc(tok, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' }) {
				t.Fatalf("Tokenize(%q): token %q", s, tok)
			}
			if utf8.RuneCountInString(tok) > 1 && !isWord(tok) {
				t.Fatalf("Tokenize(%q): token %q is neither a word nor one rune", s, tok)
			}
			if isWord(tok) {
				kept.WriteString(tok)
			}
		}
		var want strings.Builder
		for _, r := range s {
			if isWordRune(r) {
				want.WriteRune(unicode.ToLower(r))
			}
		}
		if kept.String() != want.String() {
			t.Fatalf("Tokenize(%q) keeps %q of the words, want %q", s, kept.String(), want.String())
		}
		v := NewVocab([]string{s})
		ids, cut := v.Encode(nil, s)
		if len(ids) != v.Length || cut != 0 || v.check() != nil && len(toks) > 0 {
			t.Fatalf("Encode(%q): %v, cut %d, vocab %+v", s, ids, cut, v)
		}
		for i, id := range ids[:len(toks)] {
			if v.Word(id) != toks[i] {
				t.Fatalf("Encode(%q): id %d is %q, want %q", s, id, v.Word(id), toks[i])
			}
		}
	})
}

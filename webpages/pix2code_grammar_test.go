package webpages

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// words splits pix2code as a decoder sees it: commas are tokens.
func pix2codeTokens(s string) []string { return strings.Fields(strings.ReplaceAll(s, ",", " ,")) }

// accept runs toks through the grammar; it returns the state and the
// index of the first refused token, or -1.
func accept(toks []string) (Pix2CodeState, int) {
	var s Pix2CodeState
	for i, tok := range toks {
		n, ok := s.Next(tok)
		if !ok {
			return s, i
		}
		s = n
	}
	return s, -1
}

func TestPix2CodeGrammarAcceptsEveryPage(t *testing.T) {
	p := testPlan(t, func(c *Config) { c.Pix2Code = true; c.MaxRows = 4; c.MaxHeaderButtons = 5 })
	pages(t, p, 200, func(i int, ex *Example, _ *renderer, _ generators.Sample) {
		toks := pix2codeTokens(ex.Pix2Code)
		s, bad := accept(toks)
		if bad >= 0 {
			t.Fatalf("page %d: token %d %q refused in\n%s", i, bad, toks[bad], ex.Pix2Code)
		}
		if !s.CanEnd() || s.ToEnd() != 0 {
			t.Fatalf("page %d: a whole page does not end (ToEnd %d)", i, s.ToEnd())
		}
	})
}

// minToEnd is ToEnd found by breadth-first search over the words.
func minToEnd(s Pix2CodeState) int {
	frontier := []Pix2CodeState{s}
	for depth := 0; depth < 40; depth++ {
		var next []Pix2CodeState
		seen := map[Pix2CodeState]bool{}
		for _, st := range frontier {
			if st.CanEnd() {
				return depth
			}
			for _, w := range Pix2CodeWords() {
				if n, ok := st.Next(w); ok && !seen[n] {
					seen[n] = true
					next = append(next, n)
				}
			}
		}
		frontier = next
	}
	return -1
}

// TestPix2CodeGrammarWalks takes random walks that only ever pick an
// allowed token that can still end within the budget: ToEnd must be the
// true shortest completion at every step, and every walk must parse and
// print back to itself.
func TestPix2CodeGrammarWalks(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := Pix2CodeWords()
	for walk := range 300 {
		budget := 4 + rng.IntN(80)
		var s Pix2CodeState
		var toks []string
		for len(toks) < budget {
			if want := minToEnd(s); s.ToEnd() != want {
				t.Fatalf("walk %d after %q: ToEnd %d, shortest completion %d", walk, toks, s.ToEnd(), want)
			}
			if s.CanEnd() && rng.IntN(4) == 0 {
				break
			}
			var ok []string
			for _, w := range words {
				if n, allowed := s.Next(w); allowed && 1+n.ToEnd() <= budget-len(toks) {
					ok = append(ok, w)
				}
			}
			if len(ok) == 0 {
				if !s.CanEnd() {
					t.Fatalf("walk %d: stuck after %q with %d steps left", walk, toks, budget-len(toks))
				}
				break
			}
			w := ok[rng.IntN(len(ok))]
			s, _ = s.Next(w)
			toks = append(toks, w)
		}
		if !s.CanEnd() {
			t.Fatalf("walk %d: %q cannot end within its budget %d", walk, toks, budget)
		}
		src := strings.Join(toks, " ")
		page, err := ParsePix2Code(src)
		if err != nil {
			t.Fatalf("walk %d: the grammar's %q does not parse: %v", walk, src, err)
		}
		if back := pix2codeTokens(PrintPix2Code(page)); strings.Join(back, " ") != src {
			t.Fatalf("walk %d: %q prints back as %q", walk, src, back)
		}
	}
}

// FuzzPix2CodeGrammarAgreesWithTheParser: a token sequence is a whole
// page to the grammar exactly when ParsePix2Code reads it.
func FuzzPix2CodeGrammarAgreesWithTheParser(f *testing.F) {
	// Indices into Pix2CodeWords: header { btn-active } row { single { text } },
	// header { btn-active , btn-inactive }, a double row with a missing
	// column, and a row whose columns mix widths.
	f.Add([]byte{0, 2, 5, 3, 1, 2, 7, 2, 12, 3, 3})
	f.Add([]byte{0, 2, 5, 4, 6, 3})
	f.Add([]byte{0, 2, 5, 3, 1, 2, 8, 2, 11, 4, 13, 3, 3})
	f.Add([]byte{0, 2, 5, 3, 1, 2, 8, 2, 11, 3, 9, 2, 15, 3, 3})
	words := Pix2CodeWords()
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 200 {
			return
		}
		toks := make([]string, len(b))
		for i, c := range b {
			toks[i] = words[int(c)%len(words)]
		}
		s, bad := accept(toks)
		whole := bad < 0 && s.CanEnd()
		src := strings.Join(toks, " ")
		_, err := ParsePix2Code(src)
		if whole != (err == nil) {
			t.Fatalf("%q: grammar says whole page %v, parser says %v", src, whole, err)
		}
	})
}

// The grammar is asked about every word at every step of every beam
// hypothesis: a step must not allocate.
func TestPix2CodeStateDoesNotAllocate(t *testing.T) {
	toks := pix2codeTokens("header { btn-active , btn-inactive } row { double { text , btn-red } double { small-title } }")
	words := Pix2CodeWords()
	allocs := testing.AllocsPerRun(20, func() {
		var s Pix2CodeState
		for _, tok := range toks {
			for _, w := range words {
				s.Allows(w)
			}
			s, _ = s.Next(tok)
		}
		_ = s.ToEnd()
	})
	if allocs != 0 {
		t.Errorf("%v allocations a page, want 0", allocs)
	}
}

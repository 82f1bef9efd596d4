package caption

import (
	"math"
	"strings"
	"testing"
)

// The reference values are NLTK 3.8's corpus_bleu (Debian's python3-nltk)
// on these sentences, with weights (1/n, …, 1/n):
//
//	corpus_bleu([[r.split()] for r in refs], [c.split() for c in cands], weights=w)
func TestBLEUMatchesNLTK(t *testing.T) {
	refs := []string{"red square above blue circle", "green triangle next_to red circle", "blue square", "2 squares , 1 circle", "one star on top of the other"}
	cands := []string{"red square above blue square", "red circle next_to green triangle", "blue square", "2 squares , 2 circles", "one star on top of other"}
	var R, C [][]string
	for i := range refs {
		R, C = append(R, strings.Fields(refs[i])), append(C, strings.Fields(cands[i]))
	}
	for n, want := range []float64{0.832568146146418, 0.728992535706796, 0.601906457981458, 0.500272319576669} {
		if got := BLEU(R, C, n+1); math.Abs(got-want) > 1e-12 {
			t.Errorf("BLEU-%d = %.15g, NLTK gives %.15g", n+1, got, want)
		}
	}
	// NLTK's convention: "blue square" has no 4-gram yet counts one, so
	// even the references score below 1 against themselves.
	if got := BLEU(R, R, 4); math.Abs(got-0.959756413338133) > 1e-12 {
		t.Errorf("BLEU-4 of the references against themselves = %.15g, NLTK gives 0.959756413338133", got)
	}
	if got := BLEU(R[:2], R[:2], 4); got != 1 {
		t.Errorf("BLEU-4 of long references against themselves = %v, want 1", got)
	}
	if got := BLEU([][]string{{"a", "b"}}, [][]string{{"c", "d"}}, 1); got != 0 {
		t.Errorf("BLEU with no matching word = %v, want 0", got)
	}
}

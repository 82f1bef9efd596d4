package caption

import (
	"math"
	"strings"
)

// BLEU is corpus-level BLEU-n (Papineni et al. 2002) with one reference per
// candidate, uniform weights over 1- to n-grams, clipped counts and the
// brevity penalty, and no smoothing: NLTK's corpus_bleu with its defaults,
// including its convention that a sentence too short for an order still
// counts one n-gram of it.
// It is 0 when some order has no matching n-gram.
func BLEU(refs, cands [][]string, n int) float64 {
	var refLen, candLen int
	match := make([]float64, n)
	total := make([]float64, n)
	for i, c := range cands {
		r := refs[i]
		refLen += len(r)
		candLen += len(c)
		for k := 1; k <= n; k++ {
			rc := ngrams(r, k)
			count := 0
			for g, cnt := range ngrams(c, k) {
				match[k-1] += float64(min(cnt, rc[g]))
				count += cnt
			}
			// NLTK counts at least one n-gram per sentence, even one too
			// short to have any.
			total[k-1] += float64(max(count, 1))
		}
	}
	var logSum float64
	for k := range n {
		if match[k] == 0 || total[k] == 0 {
			return 0
		}
		logSum += math.Log(match[k]/total[k]) / float64(n)
	}
	bp := 1.0
	if candLen < refLen {
		if candLen == 0 {
			return 0
		}
		bp = math.Exp(1 - float64(refLen)/float64(candLen))
	}
	return bp * math.Exp(logSum)
}

func ngrams(ws []string, k int) map[string]int {
	m := map[string]int{}
	for i := 0; i+k <= len(ws); i++ {
		m[strings.Join(ws[i:i+k], "\x00")]++
	}
	return m
}

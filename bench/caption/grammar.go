package caption

import (
	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/webpages"
)

// pix2codeAllow is the decoding constraint of pix2code's grammar over a
// vocabulary: a hypothesis may take a word only if the grammar allows it
// next and the page can still be closed in the steps left after it
// (webpages.Pix2CodeState.ToEnd), and <end> only after a whole page. Every
// caption decoded under it parses, if the vocabulary holds every word of
// webpages.Pix2CodeWords (pageVocab sees to it) and the decoder has the
// steps of the shortest page (5); <unk> and words of no grammar are never
// taken.
func pix2codeAllow(v *Vocab) func(prefix []int, left int, allowed []bool) {
	return func(prefix []int, left int, allowed []bool) {
		var s webpages.Pix2CodeState
		for _, id := range prefix {
			// The constraint let each prefix token through, so none fails.
			s, _ = s.Next(v.Words[id])
		}
		for id := range allowed {
			switch {
			case !allowed[id]:
			case id == models.EndID:
				allowed[id] = s.CanEnd()
			case id <= models.UnkID:
				allowed[id] = false
			default:
				n, ok := s.Next(v.Words[id])
				allowed[id] = ok && 1+n.ToEnd() <= left
			}
		}
	}
}

// pageVocab adds to a vocabulary built from captions every pix2code word
// they lack, so that grammar-constrained decoding can always close a page
// (a small training split may never show "single", say).
func pageVocab(captions []string) *Vocab {
	return BuildVocab(append(captions[:len(captions):len(captions)], Detokenize(webpages.Pix2CodeWords())))
}

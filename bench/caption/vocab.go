package caption

import (
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/models"
)

// Vocab maps caption words to token ids; the first four are models.PadID,
// StartID, EndID and UnkID.
type Vocab struct {
	Words []string `json:"words"`
	index map[string]int
}

// Tokenize splits a caption into words; a comma is a word of its own.
func Tokenize(s string) []string { return strings.Fields(strings.ReplaceAll(s, ",", " ,")) }

// Detokenize joins words back into a caption.
func Detokenize(ws []string) string { return strings.ReplaceAll(strings.Join(ws, " "), " ,", ",") }

// BuildVocab collects the words of the captions, sorted, after the four
// special tokens.
func BuildVocab(captions []string) *Vocab {
	seen := map[string]bool{}
	var words []string
	for _, c := range captions {
		for _, w := range Tokenize(c) {
			if !seen[w] {
				seen[w] = true
				words = append(words, w)
			}
		}
	}
	slices.Sort(words)
	return NewVocab(append([]string{"<pad>", "<start>", "<end>", "<unk>"}, words...))
}

// NewVocab indexes a stored word list.
func NewVocab(words []string) *Vocab {
	v := &Vocab{Words: words, index: map[string]int{}}
	for i, w := range words {
		v.index[w] = i
	}
	return v
}

// Encode gives <start>, the caption's ids, <end>, then <pad> up to
// steps+1 tokens; captions longer than steps−1 words are cut.
func (v *Vocab) Encode(caption string, steps int) []int {
	ids := []int{models.StartID}
	for _, w := range Tokenize(caption) {
		if len(ids) == steps {
			break
		}
		id, ok := v.index[w]
		if !ok {
			id = models.UnkID
		}
		ids = append(ids, id)
	}
	ids = append(ids, models.EndID)
	for len(ids) < steps+1 {
		ids = append(ids, models.PadID)
	}
	return ids
}

// String returns the caption the token ids say, leaving out every special
// token but <unk>.
func (v *Vocab) String(ids []int) string {
	var ws []string
	for _, id := range ids {
		if id >= 0 && id < len(v.Words) && id > models.UnkID {
			ws = append(ws, v.Words[id])
		} else if id == models.UnkID {
			ws = append(ws, "<unk>")
		}
	}
	return Detokenize(ws)
}

package caption

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/models"
	"github.com/hiddendim/hiddendim/webpages"
)

// walkAllowed emits a page token by token, each drawn at random among
// those pix2codeAllow leaves, for a decoder of steps steps, as a decoder
// with random scores would; it returns the words.
func walkAllowed(v *Vocab, steps int, rng *rand.Rand) ([]string, error) {
	allow := pix2codeAllow(v)
	allowed := make([]bool, len(v.Words))
	var prefix []int
	for t := range steps {
		for id := range allowed {
			allowed[id] = id != models.PadID && id != models.StartID
		}
		allow(prefix, steps-t, allowed)
		var ids []int
		for id, ok := range allowed {
			if ok {
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			return nil, fmt.Errorf("no token allowed after %q with %d steps left", v.String(prefix), steps-t)
		}
		id := ids[rng.IntN(len(ids))]
		if id == models.EndID {
			break
		}
		prefix = append(prefix, id)
	}
	var words []string
	for _, id := range prefix {
		words = append(words, v.Words[id])
	}
	return words, nil
}

// TestPix2CodeAllowParses walks pages at random through the constraint,
// with as few steps as a page takes and with more: every one parses, and
// walks with room to spare reach long pages (the constraint is not just
// "end at once").
func TestPix2CodeAllowParses(t *testing.T) {
	// A vocabulary from one page lacks most words; pageVocab adds them,
	// and <unk>-like extras are never taken.
	v := pageVocab([]string{"header { btn-active } row { single { text } }", "stray"})
	rng := rand.New(rand.NewPCG(1, 2))
	longest := 0
	for _, steps := range []int{5, 6, 9, 20, 77} {
		for range 300 {
			words, err := walkAllowed(v, steps, rng)
			if err != nil {
				t.Fatalf("%d steps: %v", steps, err)
			}
			if len(words) > steps {
				t.Fatalf("%d steps: %d words", steps, len(words))
			}
			if slices.Contains(words, "stray") {
				t.Fatalf("took a word of no grammar: %v", words)
			}
			if _, err := webpages.ParsePix2Code(Detokenize(words)); err != nil {
				t.Fatalf("%d steps: %q does not parse: %v", steps, Detokenize(words), err)
			}
			longest = max(longest, len(words))
		}
	}
	if longest < 40 {
		t.Errorf("the longest walk in 77 steps has %d words", longest)
	}
}

// FuzzPix2CodeAllow walks a page through the constraint, choosing among
// the allowed tokens as the fuzzer's bytes say, for any number of steps a
// page fits in: it always parses.
func FuzzPix2CodeAllow(f *testing.F) {
	f.Add(uint8(5), []byte{0})
	f.Add(uint8(77), []byte{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5})
	f.Add(uint8(12), []byte{255, 255, 255, 255, 255, 255, 255, 255})
	v := pageVocab([]string{"header { btn-active } row { single { text } }"})
	allow := pix2codeAllow(v)
	f.Fuzz(func(t *testing.T, steps uint8, choices []byte) {
		if steps < 5 {
			t.Skip("no page fits in fewer than 5 steps")
		}
		allowed := make([]bool, len(v.Words))
		var prefix []int
		for k := range int(steps) {
			for id := range allowed {
				allowed[id] = id != models.PadID && id != models.StartID
			}
			allow(prefix, int(steps)-k, allowed)
			var ids []int
			for id, ok := range allowed {
				if ok {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				t.Fatalf("no token allowed after %q with %d steps left", v.String(prefix), int(steps)-k)
			}
			var c int
			if len(choices) > 0 {
				c = int(choices[k%len(choices)])
			}
			id := ids[c%len(ids)]
			if id == models.EndID {
				break
			}
			prefix = append(prefix, id)
		}
		if _, err := webpages.ParsePix2Code(v.String(prefix)); err != nil {
			t.Fatalf("%d steps: %q does not parse: %v", steps, v.String(prefix), err)
		}
	})
}

var tinyPages = map[string]string{"image_size": "128", "max_rows": "2", "pix2code": "true"}

// TestGrammarDecodingParses decodes pages with an untrained captioner:
// under the grammar every page parses, greedy and with a beam, and
// greedy is beam 1; without it, pages do not parse.
func TestGrammarDecodingParses(t *testing.T) {
	dir := writeDataset(t, t.TempDir(), "webpages", tinyPages, 8, 6)
	train, err := LoadCaptionSet(dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	test, err := LoadCaptionSet(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	for _, arch := range Archs {
		c, vocab, err := NewCaptionerFor(train, arch, 1, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.Config.Stride != 2 {
			t.Errorf("%v: 128×128 pages read with stride %d, want 2", arch, c.Config.Stride)
		}
		if missing := slices.DeleteFunc(webpages.Pix2CodeWords(), func(w string) bool { return slices.Contains(vocab.Words, w) }); len(missing) > 0 {
			t.Errorf("%v: the vocabulary lacks %v", arch, missing)
		}
		gh, gw := c.Grid()
		var greedy []Generated
		for _, beam := range []int{0, 1, 3} {
			gen, err := GenerateCaptionsWith(c, vocab, test, nil, GenerateOptions{Beam: beam, Grammar: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := CaptionScores(test, gen, gh, gw)["parse_rate"]; got != 1 {
				for _, g := range gen {
					t.Log(Detokenize(g.Words))
				}
				t.Errorf("%v, beam %d under the grammar: parse_rate %v, want 1", arch, beam, got)
			}
			if beam == 0 {
				greedy = gen
				continue
			}
			if beam == 1 {
				for i := range gen {
					if !slices.Equal(gen[i].Words, greedy[i].Words) {
						t.Errorf("%v, page %d: greedy gave %v, beam 1 %v", arch, i, greedy[i].Words, gen[i].Words)
					}
				}
			}
		}
		free, err := GenerateCaptionsWith(c, vocab, test, nil, GenerateOptions{Beam: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := CaptionScores(test, free, gh, gw)["parse_rate"]; got == 1 {
			t.Errorf("%v: an untrained captioner's free pages all parse; the test cannot tell the grammar's work", arch)
		}
	}
	// Relations captions have no grammar to decode under.
	rel, err := LoadCaptionSet(writeDataset(t, t.TempDir(), "relations", small, 4, 2), "test")
	if err != nil {
		t.Fatal(err)
	}
	c, vocab, err := NewCaptionerFor(rel, Attention, 1, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := GenerateCaptionsWith(c, vocab, rel, nil, GenerateOptions{Grammar: true}); err == nil || !strings.Contains(err.Error(), "relations captions have no grammar") {
		t.Errorf("decoding relations under a grammar: %v", err)
	}
}

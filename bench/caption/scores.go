package caption

import (
	"fmt"
	"slices"
)

// Generated is one generated caption with, per word, the attention over
// the encoder's grid when the word was emitted (nil without attention).
type Generated struct {
	// Words are the caption's words, without special tokens.
	Words []string
	// Alphas hold, per word, the attention weights over the grid's cells,
	// row after row.
	Alphas [][]float32
}

// CaptionScores scores generated captions against a split's truth; the
// set's Dataset says which grammar applies (in a dataset captioning does
// not read, no caption parses). Every metric is a share in [0, 1]:
//
//   - exact_match: the caption is the true one, token for token;
//   - parse_rate: the caption parses in the dataset's caption grammar;
//   - canonical_exact_match: it says the same as the true one (equivalent
//     wordings count as equal, through the parser's canonical form);
//   - slot_accuracy: relations — the color and shape of each figure and the
//     relation, compared slot by slot in canonical form; counting — the
//     share of true groups (count, size, color, shape) the caption names;
//     an unparsable caption gets no slot;
//   - caption_truth (relations and counting): the caption parses and is
//     true of the sample's scene graph, judged from its objects (and
//     stacking edges) by scenes.RelationTrue or scenes.CountTrue, not
//     compared with the true caption: every true wording counts, "red
//     square next_to blue circle" as much as "red square left_of blue
//     circle". The true captions score 1. It needs set.Scenes and does not
//     apply to pages;
//   - relation_accuracy_given_objects (relations): among two-figure scenes
//     whose two figures the caption names right, the share it relates right;
//   - bleu1…bleu4: corpus BLEU (see BLEU);
//   - webpages (captions are pix2code): token_accuracy, position by position
//     with a length mismatch counted as errors (pix2code's convention);
//     tree_exact_match (= canonical_exact_match), the emitted DSL parsing to
//     the true tree; parse_rate through webpages.ParsePix2Code;
//   - attention_correctness: when the decoder emits a color or shape word
//     of a figure in the scene, the share of its attention mass that falls
//     on the instance masks of the figures that word names (each grid
//     cell's weight spread evenly over its pixels).
func CaptionScores(set *CaptionSet, gen []Generated, gridH, gridW int) map[string]float64 {
	n := len(gen)
	a := adapters[set.Dataset]
	m := map[string]float64{}
	var refs, cands [][]string
	var c counts
	var exact, trueCaps float64
	judged := a.scenes && len(set.Scenes) >= n
	for i, g := range gen {
		truth := set.Captions[i]
		pred := Detokenize(g.Words)
		if judged && set.Scenes[i].CaptionTrue(pred) {
			trueCaps++
		}
		truthWords := Tokenize(truth)
		refs, cands = append(refs, truthWords), append(cands, g.Words)
		if slices.Equal(truthWords, g.Words) { // token for token (a page's line breaks are layout)
			exact++
		}
		if a.score != nil {
			a.score(truth, pred, truthWords, g.Words, &c)
		}
	}
	m["exact_match"] = exact / float64(n)
	m["parse_rate"] = c.parsed / float64(n)
	m["canonical_exact_match"] = c.canon / float64(n)
	if judged {
		m["caption_truth"] = trueCaps / float64(n)
	}
	if c.slots > 0 {
		m["slot_accuracy"] = c.slotsRight / c.slots
	}
	if a.report != nil {
		a.report(&c, m)
	}
	for k := 1; k <= 4; k++ {
		m[fmt.Sprintf("bleu%d", k)] = BLEU(refs, cands, k)
	}
	if ac, ok := attentionCorrectness(set, gen, gridH, gridW); ok {
		m["attention_correctness"] = ac
	}
	return m
}

// attentionCorrectness averages, over every emitted word that names the
// color or shape of some figure in the scene, the attention mass on those
// figures' masks. ok is false without attention maps or such words.
func attentionCorrectness(set *CaptionSet, gen []Generated, gridH, gridW int) (float64, bool) {
	if len(set.Objects) < len(gen) || len(set.Masks) < len(gen) {
		return 0, false // no figures to look at (pages)
	}
	H, W := set.Images.Shape[1], set.Images.Shape[2]
	var sum float64
	count := 0
	for i, g := range gen {
		if g.Alphas == nil {
			return 0, false
		}
		for k, w := range g.Words {
			if k >= len(g.Alphas) {
				break
			}
			var ids []uint8
			for o, obj := range set.Objects[i] {
				if w == obj.Color || w == obj.Shape || w == obj.Shape+"s" { // counting captions pluralise with "s"
					ids = append(ids, uint8(o+1))
				}
			}
			if len(ids) == 0 {
				continue
			}
			sum += maskMass(g.Alphas[k], set.Masks[i], ids, gridH, gridW, H, W)
			count++
		}
	}
	if count == 0 {
		return 0, false
	}
	return sum / float64(count), true
}

// maskMass is Σ_cells α_cell · (share of the cell's pixels whose mask id
// is one of ids).
func maskMass(alpha []float32, mask []uint8, ids []uint8, gh, gw, H, W int) float64 {
	var mass float64
	for cy := range gh {
		for cx := range gw {
			y0, y1 := cy*H/gh, (cy+1)*H/gh
			x0, x1 := cx*W/gw, (cx+1)*W/gw
			in, all := 0, 0
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					all++
					if slices.Contains(ids, mask[y*W+x]) {
						in++
					}
				}
			}
			if all > 0 {
				mass += float64(alpha[cy*gw+cx]) * float64(in) / float64(all)
			}
		}
	}
	return mass
}

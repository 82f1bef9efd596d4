package reason

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/fogleman/gg"
	"golang.org/x/image/font/basicfont"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/models"
)

// ExplainOptions configure Explain: the checkpoint, the dataset folder and
// split its questions come from, and the folder the pictures go to.
type ExplainOptions struct {
	Checkpoint, Data, Split, Out string
	// N questions get a picture; 0 means 8.
	N int
	// Pairs is how many of the strongest object pairs a relation
	// network's picture draws; 0 means 3.
	Pairs int
}

// Pair is an ordered object pair (I, J) of a relation network and the L2
// norm of its g output for one question.
type Pair struct {
	I, J     int
	Strength float32
}

// Explained is one question Explain drew.
type Explained struct {
	// Question is its index in the split.
	Question int
	Text     string
	// Answer and Predicted are answer words (see Answers).
	Answer, Predicted string
	// Pairs are the strongest pairs, strongest first; nil for cnn-mlp.
	Pairs []Pair
	// Objects is the number of objects the pairs are of: the grid's
	// cells for rn, the scene's objects for state-rn; 0 for cnn-mlp.
	Objects int
	// File is the picture's path.
	File string
}

// explainScale is how many times a picture enlarges its image.
const explainScale = 4

// Explain draws, for N questions of a split, what a reasoner answered and
// where it looked (explain_<k>.png): the image enlarged, the question, the
// answer and the prediction; for rn and state-rn also the Pairs strongest
// object pairs (models.Reasoner.PairStrengths), drawn as lines between
// the grid cells (rn) or the objects (state-rn), the strongest thickest,
// an object paired with itself as a ring. Picture k asks about image k,
// the first question of type k mod 3 there, so that the pictures go
// through the three types. It returns what it drew, in order.
func Explain(o ExplainOptions) ([]Explained, error) {
	if o.N <= 0 {
		o.N = 8
	}
	if o.Pairs <= 0 {
		o.Pairs = 3
	}
	r, meta, err := Load(o.Checkpoint)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	set, err := LoadSet(o.Data, o.Split, true)
	if err != nil {
		return nil, err
	}
	if err := fits(meta, set); err != nil {
		return nil, err
	}
	return explain(r, set, meta.Model.Arch, o.N, o.Pairs, o.Out)
}

// explain draws what Explain describes for reasoner r of arch on set,
// which holds pixels, into out.
func explain(r *models.Reasoner, set *Set, arch models.ReasonerArch, n, pairs int, out string) ([]Explained, error) {
	idx := pickQuestions(set, n)
	sub := subset(set.VQA(arch), idx)
	pred, err := r.Predict(sub, evalBatch)
	if err != nil {
		return nil, err
	}
	var strengths [][]float32
	if relational(arch) {
		all := make([]int, len(idx))
		for i := range all {
			all[i] = i
		}
		if strengths, err = r.PairStrengths(sub, all); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("reason: %w", err)
	}
	var drawn []Explained
	for k, q := range idx {
		e := Explained{Question: q, Text: set.Text[q], Answer: Answers[set.Answer[q]], Predicted: Answers[pred[k]],
			File: filepath.Join(out, fmt.Sprintf("explain_%d.png", k))}
		if strengths != nil {
			e.Pairs = strongest(strengths[k], pairs)
			e.Objects = int(math.Round(math.Sqrt(float64(len(strengths[k])))))
		}
		if err := drawExplained(e, set, set.Image[q], arch).SavePNG(e.File); err != nil {
			return drawn, fmt.Errorf("reason: %w", err)
		}
		drawn = append(drawn, e)
	}
	return drawn, nil
}

// pickQuestions returns up to n questions: the k-th of image k, type
// k mod 3 (the first such question there).
func pickQuestions(set *Set, n int) []int {
	images := len(set.Scenes)
	var idx []int
	for k := 0; k < n && k < images; k++ {
		for q := 0; q < set.Len(); q++ {
			if set.Image[q] == k && set.Type(q) == k%len(Types) {
				idx = append(idx, q)
				break
			}
		}
	}
	return idx
}

// strongest returns the n strongest pairs of k×k strengths (pair i·k+j),
// strongest first, ties by pair order.
func strongest(s []float32, n int) []Pair {
	k := int(math.Round(math.Sqrt(float64(len(s)))))
	pairs := make([]Pair, len(s))
	for p, v := range s {
		pairs[p] = Pair{I: p / k, J: p % k, Strength: v}
	}
	sort.SliceStable(pairs, func(a, b int) bool { return pairs[a].Strength > pairs[b].Strength })
	return pairs[:min(n, len(pairs))]
}

// objectCenter returns where object i of a reasoner of arch is in image
// img, in pixels: grid cell i's center for rn (the stem's k×k grid over
// the image), the i-th color's object for state-rn.
func objectCenter(set *Set, img, i, objects int, arch models.ReasonerArch) (x, y float64) {
	if arch == models.StateRN {
		for _, o := range set.Scenes[img] {
			if o.Color == stateColors[i] {
				return o.Center[0] + 0.5, o.Center[1] + 0.5
			}
		}
		return 0, 0
	}
	g := int(math.Round(math.Sqrt(float64(objects))))
	cell := float64(set.Shape[2]) / float64(g)
	return (float64(i%g) + 0.5) * cell, (float64(i/g) + 0.5) * float64(set.Shape[1]) / float64(g)
}

// pairName names an object of arch: a color for state-rn, a grid cell
// (row, column) for rn.
func pairName(i, objects int, arch models.ReasonerArch) string {
	if arch == models.StateRN {
		return stateColors[i]
	}
	g := int(math.Round(math.Sqrt(float64(objects))))
	return fmt.Sprintf("cell(%d,%d)", i/g, i%g)
}

// drawExplained draws one explained question of image img.
func drawExplained(e Explained, set *Set, img int, arch models.ReasonerArch) *gg.Context {
	const pad, textW, line = 10, 330, 16
	h, w := set.Shape[1]*explainScale, set.Shape[2]*explainScale
	dc := gg.NewContext(pad+w+pad+textW+pad, pad+max(h, 14*line)+pad)
	dc.SetRGB(1, 1, 1)
	dc.Clear()
	per := set.Shape[0] * set.Shape[1] * set.Shape[2]
	dc.DrawImage(bench.Upscale(bench.CHWImage(set.Pixels[img*per:(img+1)*per], set.Shape), explainScale), pad, pad)
	dc.SetRGB(0.6, 0.6, 0.6)
	dc.SetLineWidth(1)
	dc.DrawRectangle(pad, pad, float64(w), float64(h))
	dc.Stroke()
	objects := e.Objects
	if arch == models.RN && objects > 0 {
		g := int(math.Round(math.Sqrt(float64(objects))))
		dc.SetRGBA(0, 0, 0, 0.15)
		for c := 1; c < g; c++ {
			x := pad + float64(c*w)/float64(g)
			y := pad + float64(c*h)/float64(g)
			dc.DrawLine(x, pad, x, float64(pad+h))
			dc.DrawLine(pad, y, float64(pad+w), y)
		}
		dc.Stroke()
	}
	rankColors := [][3]float64{{0.55, 0, 0.55}, {0, 0, 0}, {0.35, 0.25, 0.1}, {0.1, 0.4, 0.4}}
	for rank := len(e.Pairs) - 1; rank >= 0; rank-- {
		p := e.Pairs[rank]
		c := rankColors[min(rank, len(rankColors)-1)]
		dc.SetRGB(c[0], c[1], c[2])
		dc.SetLineWidth(math.Max(1.5, 6-1.5*float64(rank)))
		x1, y1 := objectCenter(set, img, p.I, objects, arch)
		x2, y2 := objectCenter(set, img, p.J, objects, arch)
		x1, y1 = pad+x1*explainScale, pad+y1*explainScale
		x2, y2 = pad+x2*explainScale, pad+y2*explainScale
		if p.I == p.J {
			dc.DrawCircle(x1, y1, 14)
		} else {
			dc.DrawLine(x1, y1, x2, y2)
		}
		dc.Stroke()
		dc.DrawString(fmt.Sprint(rank+1), (x1+x2)/2+4, (y1+y2)/2-4)
	}
	dc.SetFontFace(basicfont.Face7x13)
	dc.SetRGB(0, 0, 0)
	x, y := float64(pad+w+pad), float64(pad+12)
	text := func(s string) {
		for _, l := range dc.WordWrap(s, textW) {
			dc.DrawString(l, x, y)
			y += line
		}
	}
	text(fmt.Sprintf("%s (question %d)", arch, e.Question))
	y += line / 2
	text(e.Text)
	y += line / 2
	text("answer:    " + e.Answer)
	verdict := "right"
	if e.Answer != e.Predicted {
		verdict = "WRONG"
	}
	text("predicted: " + e.Predicted + "  (" + verdict + ")")
	if len(e.Pairs) > 0 {
		y += line / 2
		text("strongest pairs (norm of g's output):")
		for rank, p := range e.Pairs {
			text(fmt.Sprintf("%d. %s - %s  %.3g", rank+1, pairName(p.I, objects, arch), pairName(p.J, objects, arch), p.Strength))
		}
	} else if !relational(arch) {
		y += line / 2
		text(arch.String() + " has no object pairs to show")
	}
	return dc
}

package models

import (
	"math"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestTextQuestionPerSample: in a batch that mixes questions, each
// question's q and logits are what it gets alone (a batch of one), and
// swapping two questions' words between two scenes swaps their answers'
// logits, not the scenes'. A relation op or encoder that read another
// row's question (a stride or offset slip that mixed batches would hide,
// since every row still gets some question) fails here.
func TestTextQuestionPerSample(t *testing.T) {
	for _, arch := range []ReasonerArch{StateRN, StateMLP, QuestionOnly} {
		t.Run(arch.String(), func(t *testing.T) {
			cfg := textReasoner(arch, 3)
			r, err := NewReasoner(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			const n = 20 // more than parts' 8: parts of several scenes
			q := randomTextVQA(r.Config, n, 5)
			for i := range q.Image {
				q.Image[i] = i % 3 // scenes shared by several questions
			}
			logits := func(idx []int) ([][]float32, [][]float32) {
				var ls, qs [][]float32
				sub := subVQA(q, idx)
				err := Predict(r, sub.Len(), len(idx), func(inputs []*tensor.Dense, ix []int) { r.feed(sub, inputs, ix) }, func(i int, out [][]float32) {
					ls = append(ls, append([]float32(nil), out[0]...))
					qs = append(qs, append([]float32(nil), out[1]...))
				})
				if err != nil {
					t.Fatal(err)
				}
				return ls, qs
			}
			all, rev := make([]int, n), make([]int, n)
			for i := range n {
				all[i], rev[i] = i, n-1-i
			}
			bl, bq := logits(all)
			for i := range n {
				l1, q1 := logits([]int{i})
				if d := maxDiff(bl[i], l1[0]); d > 1e-5 {
					t.Errorf("question %d: logits in the mixed batch differ from alone by %g", i, d)
				}
				if d := maxDiff(bq[i], q1[0]); d > 1e-6 {
					t.Errorf("question %d: q in the mixed batch differs from alone by %g", i, d)
				}
			}
			// The reversed batch gives each question its own logits too.
			rl, _ := logits(rev)
			for k, i := range rev {
				if d := maxDiff(rl[k], bl[i]); d > 1e-5 {
					t.Errorf("question %d: logits at row %d of the reversed batch differ by %g", i, k, d)
				}
			}
			// Different words must give different q.
			if maxDiff(bq[0], bq[1]) == 0 {
				t.Error("questions 0 and 1 have the same q: the encoder does not read the words")
			}
		})
	}
}

// subVQA returns the questions of q at idx, with q's scenes.
func subVQA(q *VQA, idx []int) *VQA {
	L := len(q.Tokens) / q.Len()
	s := &VQA{Images: q.Images, Shape: q.Shape, Objects: q.Objects}
	for _, i := range idx {
		s.Image = append(s.Image, q.Image[i])
		s.Tokens = append(s.Tokens, q.Tokens[i*L:][:L]...)
	}
	return s
}

func maxDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i]-b[i])))
	}
	return d
}

// TestAuxHeadGradient checks a text reasoner with the auxiliary head (and
// q scaled by 0.3) end to end in float64 against finite differences: the answer's loss plus
// the weighted head's, whose targets are a one-hot row, a two-way split
// and an all-zero row (which adds nothing).
func TestAuxHeadGradient(t *testing.T) {
	for _, arch := range []ReasonerArch{StateRN, QuestionOnly} {
		t.Run(arch.String(), func(t *testing.T) {
			cfg := textReasoner(arch, 9)
			cfg.Width, cfg.Aux, cfg.AuxWeight, cfg.QScale = 4, 3, 0.7, 0.3
			r, err := NewReasoner(cfg)
			if err != nil {
				t.Fatal(err)
			}
			const n = 3
			q := randomTextVQA(r.Config, n, 9)
			q.Tokens = []int{3, 0, 0, 0, 0, 0, 1, 8, 2, 5, 0, 0, 4, 4, 7, 6, 2, 1}
			q.Aux = []float32{0, 1, 0, 0.5, 0, 0.5, 0, 0, 0}
			gradCheck(t, func(g *G.ExprGraph) (G.Nodes, *G.Node) { return reasonerLoss64(t, g, r, q, n) })
		})
	}
}

// TestAuxHeadRefusals: the head needs text questions, and training data
// whose targets fit it.
func TestAuxHeadRefusals(t *testing.T) {
	cfg := smallReasoner(StateRN, 1)
	cfg.Aux = 2
	if _, err := NewReasoner(cfg); err == nil {
		t.Error("an auxiliary head without text questions was accepted")
	}
	cfg = textReasoner(StateRN, 1)
	cfg.Aux = 2
	r, err := NewReasoner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	q := randomTextVQA(r.Config, 4, 1)
	q.Aux = make([]float32, 3)
	if err := r.Check(q); err == nil {
		t.Error("3 target values for 4 questions of 2 targets were accepted")
	}
}

// TestMaskAbsentDeterministic: a masked state-rn on scenes padded to
// different numbers of objects trains to the same bits on one core or
// two, and its masked pairs report zero strength.
func TestMaskAbsentDeterministic(t *testing.T) {
	cfg := textReasoner(StateRN, 13)
	cfg.MaskAbsent = true
	q := randomTextVQA(cfg, 40, 4)
	per := cfg.Objects * cfg.ObjectSize
	for s := range len(q.Objects) / per {
		k := 1 + s%cfg.Objects // 1 to all objects present
		clear(q.Objects[s*per+k*cfg.ObjectSize : (s+1)*per])
	}
	prev := runtime.GOMAXPROCS(1)
	one, _ := trainText(t, cfg, q, 6, nil)
	runtime.GOMAXPROCS(max(prev, 2))
	two, _ := trainText(t, cfg, q, 6, nil)
	runtime.GOMAXPROCS(prev)
	sameParams(t, one.Params(), two.Params())
	var scene0 []int
	for i, im := range q.Image {
		if im == 0 {
			scene0 = append(scene0, i)
		}
	}
	if len(scene0) == 0 {
		t.Fatal("no question about scene 0")
	}
	strengths, err := one.PairStrengths(q, scene0[:1])
	if err != nil {
		t.Fatal(err)
	}
	// Scene 0 has one object: only pair (0, 0) is present.
	for p, v := range strengths[0] {
		if (v != 0) != (p == 0) {
			t.Errorf("pair %d of a one-object scene has strength %v", p, v)
		}
	}
}

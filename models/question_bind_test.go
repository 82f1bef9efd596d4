package models

import (
	"math"
	"testing"

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

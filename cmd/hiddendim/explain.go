package main

import (
	"context"
	"fmt"

	"github.com/hiddendim/hiddendim/bench/reason"
)

func runExplain(ctx context.Context, args []string) error {
	fs := newFlags("explain")
	data := fs.String("data", "", "`DIR`: a clevrlite sortofclevr dataset (required)")
	out := fs.String("out", "", "`DIR` for the PNGs (required)")
	split := fs.String("split", "test", "`NAME` of the split the questions come from")
	n := fs.Int("n", 8, "`N` questions to draw")
	pairs := fs.Int("pairs", 3, "rn, state-rn: the `K` strongest object pairs to draw")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := exactly(pos, 1, "one CHECKPOINT (a reasoner's model.ckpt)"); err != nil {
		return err
	}
	if *data == "" || *out == "" || *n < 1 || *pairs < 1 {
		return usageErrorf("explain: want CHECKPOINT --data DIR --out DIR, with --n and --pairs at least 1")
	}
	done, err := reason.Explain(reason.ExplainOptions{Checkpoint: pos[0], Data: *data, Split: *split, Out: *out, N: *n, Pairs: *pairs})
	right := 0
	for _, e := range done {
		fmt.Printf("wrote %s: %s  answer %s, predicted %s\n", e.File, e.Text, e.Answer, e.Predicted)
		if e.Answer == e.Predicted {
			right++
		}
	}
	if err != nil {
		return err
	}
	fmt.Printf("%d of %d answered right\n", right, len(done))
	return nil
}

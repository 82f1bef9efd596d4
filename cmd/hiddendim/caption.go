package main

import (
	"context"
	"fmt"

	"github.com/hiddendim/hiddendim/bench/caption"
)

func runCaption(ctx context.Context, args []string) error {
	fs := newFlags("caption")
	data := fs.String("data", "", "`DIR`: a relations, counting or webpages dataset like the captioner's (required)")
	out := fs.String("out", "", "`DIR` for the PNG strips (required)")
	split := fs.String("split", "test", "`NAME` of the split to caption")
	n := fs.Int("n", 8, "`N` samples to caption")
	beam := fs.Int("beam", 1, "beam `WIDTH` (1: greedy)")
	grammar := fs.Bool("grammar", false, "webpages captioners: decode under pix2code's grammar, so that every output parses")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := exactly(pos, 1, "one CHECKPOINT (a captioner's model.ckpt)"); err != nil {
		return err
	}
	if *data == "" || *out == "" || *n < 1 || *beam < 1 {
		return usageErrorf("caption: want CHECKPOINT --data DIR --out DIR, with --n and --beam at least 1")
	}
	files, scores, err := caption.Pictures(pos[0], *data, *split, *out, *n, caption.GenerateOptions{Beam: *beam, Grammar: *grammar})
	for _, f := range files {
		fmt.Println("wrote", f)
	}
	if err != nil {
		return err
	}
	fmt.Printf("scores over these %d samples:\n", len(files))
	return printPlain(scores)
}

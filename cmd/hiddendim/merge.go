package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/hiddendim/hiddendim/generators"
)

func runMerge(ctx context.Context, args []string) error {
	fs := newFlags("merge")
	out := fs.String("out", "", "output `DIR` (required)")
	overwrite := fs.Bool("overwrite", false, "replace a complete dataset at --out")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 || *out == "" {
		return usageErrorf("merge: want SHARD_DIR... --out DIR")
	}
	m, err := generators.Merge(pos, *out, *overwrite)
	if err != nil {
		if errors.Is(err, generators.ErrExists) || errors.Is(err, generators.ErrOutNotEmpty) {
			return asUsage(err)
		}
		return err
	}
	n := 0
	for _, s := range m.Splits {
		n += s.Count
	}
	fmt.Printf("merged %d shards into %s: %d samples of %s %s\n", len(pos), *out, n, m.Dataset, m.Version)
	return nil
}

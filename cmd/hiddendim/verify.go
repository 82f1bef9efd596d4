package main

import (
	"context"
	"fmt"

	"github.com/hiddendim/hiddendim/generators"
)

// runVerify checks a dataset folder: files against checksums, the manifest
// against its generator, and --regenerate K samples re-rendered from the
// manifest's spec against the files.
func runVerify(ctx context.Context, args []string) error {
	fs := newFlags("verify")
	k := fs.Int("regenerate", generators.DefaultRegenerate, "re-render `K` samples, spread over every split, and compare records and decoded pixels with the files; 0 re-renders none (then an edited seed goes unnoticed)")
	pickSeed := fs.Uint64("regenerate-seed", 0, "seed `S` of the choice of samples to re-render")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := exactly(pos, 1, "one dataset DIR"); err != nil {
		return err
	}
	if *k < 0 {
		return usageErrorf("verify: --regenerate %d: want a whole number >= 0, e.g. --regenerate %d", *k, generators.DefaultRegenerate)
	}
	opts := generators.VerifyOptions{Regenerate: *k, Seed: *pickSeed}
	if *k == 0 {
		opts.Regenerate = -1
	}
	dir := pos[0]
	// A folder that is not a dataset fails (exit 1), as in every other
	// command that reads one.
	if err := generators.VerifySpec(ctx, dir, datasets(), opts); err != nil {
		return err
	}
	m, err := generators.ReadManifest(dir)
	if err != nil {
		return err
	}
	n := 0
	for _, s := range m.Splits {
		n += s.Count
	}
	again := "no samples re-rendered"
	if *k > 0 {
		again = fmt.Sprintf("%d samples re-rendered identical to the files", generators.Regenerated(m, *k))
	}
	fmt.Printf("%s: intact (%s %s, %d samples in %d splits; manifest as the generator declares; %s)\n",
		dir, m.Dataset, m.Version, n, len(m.Splits), again)
	return nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/hiddendim/hiddendim/generators"
)

func runGenerate(ctx context.Context, args []string) error {
	fs := newFlags("generate")
	out := fs.String("out", "", "output `DIR` (required)")
	n := fs.String("n", "", "`N` samples in a single split named train")
	splits := fs.String("splits", "", "split `LAYOUT`, e.g. train=1000,test=200 (default: the dataset's, see list)")
	seed := fs.Uint64("seed", 0, "seed `S` every sample is derived from")
	var sets listFlag
	fs.Var(&sets, "set", "config `key=value` (repeatable; see describe DATASET)")
	holdout := fs.String("holdout", "", "`COMBINATIONS` only in the test split, e.g. \"red triangle,blue circle\"")
	shard := fs.String("shard", "", "write only shard `K/N` (0-based K)")
	workers := fs.Int("workers", 0, "`W` render workers (default: all cores)")
	format := fs.String("format", "png", "file `FORMAT`: png, npz (lists padded; not webpages or parts=true), tar (WebDataset shards) or parquet (Hugging Face datasets: OUT/data/<split>-00000-of-0000N.parquet and a card OUT/README.md)")
	rowsPerFile := fs.Int("rows-per-file", 0, "parquet: `R` samples per file (default 10000)")
	shardSamples := fs.Int("shard-samples", generators.DefaultShardSamples, "`N` samples per tar file (format tar)")
	overwrite := fs.Bool("overwrite", false, "replace a complete dataset at --out")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if err := exactly(pos, 1, "one DATASET (see `hiddendim list`)"); err != nil {
		return err
	}
	ds, err := datasets().Lookup(pos[0])
	if err != nil {
		return asUsage(err)
	}
	if *out == "" {
		return usageErrorf("generate: --out DIR is required")
	}
	spec := generators.Spec{Dataset: ds, Seed: *seed, Config: ds.DefaultConfig()}
	switch {
	case *n != "" && *splits != "":
		return usageErrorf("generate: give --n or --splits, not both")
	case *n != "":
		count, err := strconv.Atoi(*n)
		if err != nil || count < 0 {
			return usageErrorf("generate: --n %q: want a whole number >= 0", *n)
		}
		spec.Splits = []generators.SplitSize{{Name: "train", Count: count}}
	case *splits != "":
		if spec.Splits, err = generators.ParseSplits(*splits); err != nil {
			return asUsage(err)
		}
	}
	if *holdout != "" {
		sets = append(sets, "holdout="+*holdout)
		if !slices.ContainsFunc(generators.ConfigKeys(spec.Config), func(k generators.ConfigKey) bool { return k.Name == "holdout" }) {
			return usageErrorf("generate: dataset %s has no held-out combinations (no holdout key)", ds.Name())
		}
	}
	if err := generators.ApplySettings(spec.Config, sets...); err != nil {
		return asUsage(err)
	}
	opts := generators.WriteOptions{Out: *out, Workers: *workers, Overwrite: *overwrite}
	if opts.Format, err = generators.ParseFormat(*format); err != nil {
		return asUsage(err)
	}
	if *shardSamples < 1 {
		return usageErrorf("generate: --shard-samples %d: want 1 or more samples per tar file, e.g. %d", *shardSamples, generators.DefaultShardSamples)
	}
	if flagGiven(fs, "shard-samples") && opts.Format != generators.FormatTar {
		return usageErrorf("generate: --shard-samples sets the samples per tar file; it needs --format tar")
	}
	opts.ShardSamples = *shardSamples
	if *shard != "" {
		if opts.Shard, err = generators.ParseShard(*shard); err != nil {
			return asUsage(err)
		}
	}
	if flagGiven(fs, "rows-per-file") && opts.Format != generators.FormatParquet {
		return usageErrorf("generate: --rows-per-file sets the samples per parquet file; it needs --format parquet")
	}
	if *rowsPerFile < 0 {
		return usageErrorf("generate: --rows-per-file %d: want 1 or more samples per parquet file, e.g. %d (0: that default)", *rowsPerFile, generators.DefaultRowsPerFile)
	}
	opts.RowsPerFile = *rowsPerFile
	if *workers < 0 {
		return usageErrorf("generate: --workers %d: want 0 (all cores) or more", *workers)
	}
	total := 0
	if spec.Splits == nil {
		spec.Splits = ds.DefaultSplits()
	}
	for _, sp := range spec.Splits {
		lo, hi := opts.Shard.Range(sp.Count)
		total += hi - lo
	}
	bar := newProgress("generate "+ds.Name(), "samples", total)
	opts.Progress = bar.Set
	m, err := generators.Write(ctx, spec, opts)
	bar.Finish()
	err = onInterrupt(ctx, err, func() string {
		return fmt.Sprintf("%s is incomplete and has no manifest, so nothing reads it as a dataset; rerun the same command to write it again", *out)
	})
	if err != nil {
		if errors.Is(err, generators.ErrExists) || errors.Is(err, generators.ErrOutNotEmpty) || errors.Is(err, generators.ErrNotFixedSize) {
			return asUsage(err)
		}
		return err
	}
	secs := bar.Elapsed().Seconds()
	fmt.Printf("wrote %d samples of %s %s (seed %d, %s) to %s in %.2fs, %.0f samples/s\n",
		total, m.Dataset, m.Version, m.Seed, m.Format, *out, secs, float64(total)/secs)
	return nil
}

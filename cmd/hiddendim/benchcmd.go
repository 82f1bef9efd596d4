package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
)

func runBench(ctx context.Context, args []string) error {
	fs := newFlags("bench")
	suiteName := fs.String("suite", "quick", "the suite: a built-in `NAME` (quick, standard, full) or a suite FILE (JSON; see --list --format json)")
	list := fs.Bool("list", false, "print each suite's tasks, models, seeds and measured time, and run nothing (with --suite, that suite only)")
	out := fs.String("out", "", "JSONL `FILE` of records, appended to (default results/<suite>.jsonl)")
	cache := fs.String("cache", "", "dataset cache `DIR` (default: the user cache folder)")
	verify := fs.Bool("verify", false, "run every task twice and fail if any score differs")
	format := fs.String("format", "table", "leaderboard `FORMAT`: table, markdown, csv or json")
	tasks := fs.String("tasks", "", "run only these `TASKS` of the suite, comma-separated (default: all)")
	shard := fs.String("shard", "", "run only shard `K/N` (0-based K) of the suite's runs, dealt by measured time; with --list, print every shard's runs")
	noReport := fs.Bool("no-report", false, "draw no pictures and write no report (by default: pictures in results/<suite>-pictures/, the report in results/<suite>-report/)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("bench takes no arguments, got %v; did you mean --suite %s?", pos, pos[0])
	}
	h := harness()
	if !slices.Contains(bench.Formats, *format) {
		return usageErrorf("bench: --format %q: want one of %s", *format, strings.Join(bench.Formats, ", "))
	}
	sh, err := parseBenchShard(*shard)
	if err != nil {
		return err
	}
	if *list && *shard == "" {
		names := bench.BuiltinSuites()
		if flagGiven(fs, "suite") {
			names = []string{*suiteName}
		}
		return listSuites(os.Stdout, h, names, *format)
	}
	suite, err := h.LookupSuite(*suiteName)
	if err != nil {
		return asUsage(err)
	}
	if *tasks != "" {
		if suite, err = suite.Only(strings.Split(*tasks, ",")); err != nil {
			return asUsage(err)
		}
	}
	if *list {
		return listShards(os.Stdout, h, suite, sh, *format)
	}
	if *out == "" {
		*out = bench.ShardOut(suite.Name, sh)
	}
	shardNote(h, suite, sh)
	fmt.Fprintf(os.Stderr, "suite %s: %s\nrecords: %s\n", suite.Name, suite.Description, *out)
	var bar *progress
	var barWhat string
	opts := bench.Options{Out: *out, CacheDir: *cache, Verify: *verify, BLAS: bench.BLASName(), Log: os.Stderr, Shard: sh, Pictures: benchPictures(*out, *noReport),
		Progress: func(what string, done, total int) {
			if bar == nil || what != barWhat {
				if bar != nil {
					bar.Finish()
				}
				bar, barWhat = newProgress(what, "steps", total), what
				if strings.HasPrefix(what, "generate") {
					bar.unit = "samples"
				}
			}
			bar.Set(done, total)
			if done == total {
				bar.Finish()
				bar = nil
			}
		}}
	recs, err := h.Run(ctx, suite, opts)
	if bar != nil {
		bar.Finish()
	}
	err = onInterrupt(ctx, err, func() string { return benchInterrupted(*out) })
	if len(recs) > 0 {
		fmt.Println()
		if werr := bench.WriteBoards(os.Stdout, h.Aggregate(recs), *format); werr != nil && err == nil {
			err = werr
		}
	}
	if len(recs) > 0 && !*noReport && ctx.Err() == nil {
		if rerr := writeBenchReport(h, recs, *out, *cache); rerr != nil && err == nil {
			err = rerr
		} else if rerr != nil {
			fmt.Fprintln(os.Stderr, "hiddendim:", rerr)
		}
	}
	if errors.Is(err, bench.ErrNotReproducible) {
		return fmt.Errorf("VERIFY FAILED: %w", err)
	}
	return err
}

func runLeaderboard(ctx context.Context, args []string) error {
	fs := newFlags("leaderboard")
	format := fs.String("format", "table", "`FORMAT`: table, markdown, csv or json")
	merge := fs.Bool("merge", false, "take the files together, as the shards of one run (bench --shard K/N): one leaderboard")
	suiteName := fs.String("suite", "", "with --merge, the suite `NAME|FILE` the shards ran: fail if any of its runs is missing or misses a sanity target")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErrorf("leaderboard: want one or more record files (JSONL written by `hiddendim bench`)")
	}
	if !slices.Contains(bench.Formats, *format) {
		return usageErrorf("leaderboard: --format %q: want one of %s", *format, strings.Join(bench.Formats, ", "))
	}
	if *suiteName != "" && !*merge {
		return usageErrorf("leaderboard: --suite checks shards taken together; pass --merge too")
	}
	if *merge {
		return mergedBoards(os.Stdout, harness(), pos, *suiteName, *format)
	}
	var sets [][]bench.Record
	for _, p := range pos {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("leaderboard: %w", err)
		}
		recs, err := bench.ReadRecords(p)
		if err != nil {
			return err
		}
		sets = append(sets, recs)
	}
	if len(sets) == 1 {
		return bench.WriteBoards(os.Stdout, harness().Aggregate(sets[0]), *format)
	}
	if looksLikeShards(sets) {
		fmt.Fprintf(os.Stderr, "note: these files hold different runs of suite %s, like the shards of one run; pass --merge to take them together\n", sets[0][0].Suite)
	}
	if *format != "table" && *format != "markdown" {
		return usageErrorf("leaderboard: comparing files renders as table or markdown; to take shards together as one leaderboard, pass --merge")
	}
	return harness().WriteComparison(os.Stdout, pos, sets, *format)
}

// benchInterrupted says what an interrupted bench kept: bench.Run appends
// each run's record as soon as it finishes and skips, on a rerun, the runs
// already recorded in the file.
func benchInterrupted(out string) string {
	recs, err := bench.ReadRecordsSoFar(out)
	if err != nil {
		return fmt.Sprintf("the records already appended to %s are kept (the run in progress is lost); rerun the same command to continue: it skips the runs recorded there", out)
	}
	if len(recs) == 0 {
		return fmt.Sprintf("no run had finished, so %s holds no records; rerun the same command to start again", out)
	}
	what := fmt.Sprintf("the %d records of finished runs in %s are kept", len(recs), out)
	if len(recs) == 1 {
		what = fmt.Sprintf("the record of the finished run in %s is kept", out)
	}
	return fmt.Sprintf("%s (the run in progress is lost); rerun the same command to continue: it skips the runs recorded there", what)
}

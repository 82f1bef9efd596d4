package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/report"
)

func runReport(ctx context.Context, args []string) error {
	fs := newFlags("report")
	out := fs.String("out", "", "`DIR` the report is written to: index.html and its pictures (required; replaced if it holds an earlier report)")
	cache := fs.String("cache", "", "the dataset cache `DIR` bench ran with, for the test samples (default: the user cache folder)")
	var pictures listFlag
	fs.Var(&pictures, "pictures", "a `DIR` of PNG pictures, searched recursively, a subfolder named like a task shown with it; repeatable (default: FILE-pictures, where bench draws, and pictures/ beside the first FILE)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usageErrorf("report: want one or more record files (JSONL written by `hiddendim bench`), e.g. hiddendim report results/quick.jsonl --out results/quick-report")
	}
	if *out == "" {
		return usageErrorf("report: --out DIR is required, e.g. --out %s", defaultReportDir(pos[0]))
	}
	var sets [][]bench.Record
	for _, p := range pos {
		recs, err := bench.ReadRecords(p)
		if err != nil {
			return err
		}
		sets = append(sets, recs)
	}
	recs, err := report.Combine(pos, sets)
	if err != nil {
		return err
	}
	if !flagGiven(fs, "pictures") {
		pictures = defaultPictures(pos...)
	}
	for _, d := range pictures {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			return usageErrorf("report: --pictures %s: want a folder of PNG pictures", d)
		}
	}
	page, err := report.Write(harness(), recs, report.Options{Out: *out, Files: pos, CacheDir: cacheDir(*cache), Pictures: pictures})
	if err != nil {
		return err
	}
	fmt.Println(page)
	return nil
}

// writeBenchReport writes the report of a bench run next to its records
// and prints its path: the last step of bench.
func writeBenchReport(h *bench.Harness, recs []bench.Record, out, cache string) error {
	page, err := report.Write(h, recs, report.Options{Out: defaultReportDir(out), Files: []string{out},
		CacheDir: cacheDir(cache), Pictures: defaultPictures(out)})
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "report: %s\n", page)
	return nil
}

// defaultReportDir is the report folder beside a record file:
// results/quick.jsonl → results/quick-report.
func defaultReportDir(records string) string {
	return strings.TrimSuffix(records, filepath.Ext(records)) + "-report"
}

// benchPictures is the folder bench draws its runs' pictures into,
// beside its records (results/quick.jsonl → results/quick-pictures), or ""
// with --no-report.
func benchPictures(records string, noReport bool) string {
	if noReport {
		return ""
	}
	return strings.TrimSuffix(records, filepath.Ext(records)) + "-pictures"
}

// defaultPictures are the picture folders of record files that exist: the
// one bench drew each file's runs into (results/quick-pictures), and the
// pictures folder beside the first (results/pictures), for pictures of
// `hiddendim analyze`, `caption`, … put there by hand.
func defaultPictures(records ...string) []string {
	var dirs []string
	for _, r := range records {
		dirs = append(dirs, benchPictures(r, false))
	}
	dirs = append(dirs, filepath.Join(filepath.Dir(records[0]), "pictures"))
	var out []string
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.IsDir() && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// cacheDir is the dataset cache bench uses for the flag's value.
func cacheDir(flag string) string {
	if flag == "" {
		return bench.DefaultCacheDir()
	}
	return flag
}

package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzParseInterleaved feeds arbitrary command lines (one argument per
// line) to the flag parser every command uses: it must not panic, must
// return only arguments it was given as positionals, and must fail only
// with a usage error or a help request (exit 2 or 0, never 1).
func FuzzParseInterleaved(f *testing.F) {
	for _, s := range []string{
		"shapes\n--out\nx\n--n\n5",
		"--set\na=b\nshapes\n--set\nc=d\n--overwrite",
		"--help", "-h\nshapes", "shapes\n--", "--n", "--n=\n--workers\nx", "-\n--\n-x", "--overwrite=maybe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\n")
		fs := newFlags("generate")
		fs.String("out", "", "output folder")
		fs.String("n", "", "samples")
		fs.Int("workers", 0, "workers")
		fs.Bool("overwrite", false, "replace")
		var sets listFlag
		fs.Var(&sets, "set", "key=value")
		pos, err := parseInterleaved(fs, args)
		if err != nil {
			var u usageError
			var h helpRequest
			if !errors.As(err, &u) && !errors.As(err, &h) {
				t.Fatalf("%q: %v is neither a usage error nor a help request", args, err)
			}
			return
		}
		for _, p := range pos {
			if !slices.Contains(args, p) {
				t.Fatalf("%q: positional %q was not given", args, p)
			}
		}
	})
}

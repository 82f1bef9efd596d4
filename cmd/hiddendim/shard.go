package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/olekukonko/tablewriter"
)

// parseBenchShard reads bench's --shard K/N; "" is the whole suite.
func parseBenchShard(s string) (generators.Shard, error) {
	if s == "" {
		return generators.Shard{}, nil
	}
	sh, err := generators.ParseShard(s)
	if err != nil {
		return sh, usageErrorf("bench: --shard %q: want K/N with 0 <= K < N (K 0-based, as in generate --shard), e.g. --shard 0/4 for the first of four", s)
	}
	return sh, nil
}

// listShards prints how the suite is dealt into sh.Count shards: each
// shard's units with their estimated minutes; in json, the bench.Plan.
func listShards(w io.Writer, h *bench.Harness, s bench.Suite, sh generators.Shard, format string) error {
	p, err := h.Plan(s, sh.Count)
	if err != nil {
		return err
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	var total float64
	for _, sp := range p.Shards {
		total += sp.Minutes
	}
	fmt.Fprintf(w, "suite %s in %d shards: about %s of runs in all, estimated for the reference machine (2 cores, no GPU)\n", s.Name, sh.Count, minutes(total))
	for _, sp := range p.Shards {
		this := ""
		if sp.Index == sh.Index {
			this = " (this shard)"
		}
		fmt.Fprintf(w, "\nshard %d/%d%s: %d runs, about %s\n", sp.Index, sp.Count, this, sp.Runs(), minutes(sp.Minutes))
		if len(sp.Units) == 0 {
			fmt.Fprintln(w, "  nothing: the suite has fewer units than shards")
			continue
		}
		t := tablewriter.NewWriter(w)
		t.Header("task", "models", "seed", "estimate", "estimated from")
		for _, u := range sp.Units {
			est := minutes(u.Minutes)
			if u.Minutes < 0.5/60 {
				est = "under 1 s"
			}
			t.Append(u.Task, strings.Join(u.Models, ", "), fmt.Sprint(u.Seed), est, u.Basis)
		}
		if err := t.Render(); err != nil {
			return err
		}
	}
	return nil
}

// shardNote says, before a shard runs, what part of the suite it holds.
func shardNote(h *bench.Harness, s bench.Suite, sh generators.Shard) {
	if sh.Whole() {
		return
	}
	p, err := h.Plan(s, sh.Count)
	if err != nil {
		return
	}
	sp := p.Shards[sh.Index]
	fmt.Fprintf(os.Stderr, "shard %d/%d: %d runs, about %s (`hiddendim bench --suite %s --shard %d/%d --list` shows every shard's); merge the shards' records with `hiddendim leaderboard --merge FILE...`\n",
		sh.Index, sh.Count, sp.Runs(), minutes(sp.Minutes), s.Name, sh.Index, sh.Count)
}

// mergedBoards is leaderboard --merge: the files taken together as one
// run's shards, in their suite's order; with suiteName, held to that suite
// (every run present, every sanity target met), the boards printed first.
func mergedBoards(w io.Writer, h *bench.Harness, files []string, suiteName, format string) error {
	recs, err := bench.MergeRecordFiles(files)
	if err != nil {
		return err
	}
	if suiteName == "" {
		return bench.WriteBoards(w, h.Aggregate(h.SuiteOrder(recs)), format)
	}
	s, err := h.LookupSuite(suiteName)
	if err != nil {
		return asUsage(err)
	}
	recs, _ = s.Order(recs)
	if err := bench.WriteBoards(w, h.Aggregate(recs), format); err != nil {
		return err
	}
	return h.Check(s, recs)
}

// looksLikeShards reports whether record sets are of one suite and share
// no (task, model, seed): the shards of one run rather than runs to
// compare.
func looksLikeShards(sets [][]bench.Record) bool {
	seen := map[string]bool{}
	suite := ""
	for _, recs := range sets {
		for _, r := range recs {
			if suite == "" {
				suite = r.Suite
			}
			id := fmt.Sprintf("%s\x00%s\x00%d", r.Task, r.Model, r.Seed)
			if r.Suite != suite || seen[id] {
				return false
			}
		}
		for _, r := range recs {
			seen[fmt.Sprintf("%s\x00%s\x00%d", r.Task, r.Model, r.Seed)] = true
		}
	}
	return true
}

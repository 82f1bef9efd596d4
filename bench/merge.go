package bench

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
)

// MergeRecordFiles reads the record files of one suite's run split across
// machines (bench --shard K/N, each shard with its own --out) and returns
// their records as one run's: every record once, in the one-machine run's
// order (task, then model, then seed) wherever the files fix it, since
// each shard writes its runs in the suite's order; tasks or models that no
// file orders relative to each other come in the order the paths first
// show them, and seeds in increasing order. Harness.SuiteOrder puts them
// in their suite's order exactly.
//
// A record that several files hold identically (the same run key and
// record id: a run reproduced) is kept once. It is an error for a path to
// be missing or to hold anything ReadRecords refuses (an empty file is a
// shard that had no runs, and is fine); for the files to hold records of
// different suites; for two records of one (task, model, seed) to have
// different run keys (different inputs: another version of the suite or
// of the harness) or one run key but different record ids (the same run,
// scored differently); and for the files together to hold no record.
// Errors name the files at fault. The files are read, never changed.
func MergeRecordFiles(paths []string) ([]Record, error) {
	if len(paths) == 0 {
		return nil, errors.New("bench: merge: no record files given")
	}
	type seen struct {
		rec  Record
		path string
	}
	first := map[runID]seen{}
	var suite, suitePath string
	var taskSeqs [][]string
	modelSeqs := map[string][][]string{}
	seedSeqs := map[[2]string][][]uint64{}
	for _, p := range paths {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("bench: merge: %s: no such file (want the JSONL record files `hiddendim bench --shard K/N --out FILE` wrote)", p)
		}
		recs, err := ReadRecordsSoFar(p)
		if err != nil {
			return nil, err
		}
		var tasks []string
		models := map[string][]string{}
		seeds := map[[2]string][]uint64{}
		for _, r := range recs {
			if suite == "" {
				suite, suitePath = r.Suite, p
			} else if r.Suite != suite {
				return nil, fmt.Errorf("bench: merge: %s holds records of suite %s, %s of suite %s: merge takes the shards of one suite (compare different runs side by side without --merge)", suitePath, suite, p, r.Suite)
			}
			id := runID{r.Task, r.Model, r.Seed}
			if s, ok := first[id]; ok {
				switch {
				case s.rec.RunKey != r.RunKey:
					return nil, fmt.Errorf("bench: merge: %s and %s both hold %s %s seed %d, from different inputs (run keys %.12s… and %.12s…: another version of the suite or of the harness); merge the shards of one run", s.path, p, r.Task, r.Model, r.Seed, s.rec.RunKey, r.RunKey)
				case s.rec.RecordID != r.RecordID:
					return nil, fmt.Errorf("bench: merge: %s and %s both hold %s %s seed %d with different results (record ids %.12s… and %.12s…): the run did not reproduce; compare the files side by side without --merge", s.path, p, r.Task, r.Model, r.Seed, s.rec.RecordID, r.RecordID)
				}
			} else {
				first[id] = seen{r, p}
			}
			if !slices.Contains(tasks, r.Task) {
				tasks = append(tasks, r.Task)
			}
			if !slices.Contains(models[r.Task], r.Model) {
				models[r.Task] = append(models[r.Task], r.Model)
			}
			tm := [2]string{r.Task, r.Model}
			if !slices.Contains(seeds[tm], r.Seed) {
				seeds[tm] = append(seeds[tm], r.Seed)
			}
		}
		taskSeqs = append(taskSeqs, tasks)
		for _, t := range tasks {
			modelSeqs[t] = append(modelSeqs[t], models[t])
			for _, m := range models[t] {
				tm := [2]string{t, m}
				seedSeqs[tm] = append(seedSeqs[tm], seeds[tm])
			}
		}
	}
	if len(first) == 0 {
		return nil, fmt.Errorf("bench: merge: %d files hold no records (want JSON lines written by `hiddendim bench --out`)", len(paths))
	}
	out := make([]Record, 0, len(first))
	for _, t := range mergeOrders(taskSeqs, nil) {
		for _, m := range mergeOrders(modelSeqs[t], nil) {
			for _, sd := range mergeOrders(seedSeqs[[2]string{t, m}], cmp.Compare[uint64]) {
				out = append(out, first[runID{t, m, sd}].rec)
			}
		}
	}
	return out, nil
}

// mergeOrders returns the items of several sequences, each once, in an
// order that keeps every sequence's order: a topological sort of "comes
// right before in some sequence" that, among the items free to come next,
// takes the least by tie, or with a nil tie the one the sequences show
// first. Sequences that disagree (a cycle) are resolved the same way.
func mergeOrders[K comparable](seqs [][]K, tie func(a, b K) int) []K {
	var items []K
	index := map[K]int{}
	for _, s := range seqs {
		for _, x := range s {
			if _, ok := index[x]; !ok {
				index[x] = len(items)
				items = append(items, x)
			}
		}
	}
	after := make([][]int, len(items)) // after[i]: items that must follow i
	indeg := make([]int, len(items))
	edge := map[[2]int]bool{}
	for _, s := range seqs {
		for i := 1; i < len(s); i++ {
			a, b := index[s[i-1]], index[s[i]]
			if a != b && !edge[[2]int{a, b}] {
				edge[[2]int{a, b}] = true
				after[a] = append(after[a], b)
				indeg[b]++
			}
		}
	}
	done := make([]bool, len(items))
	out := make([]K, 0, len(items))
	// pick returns the least of the items left that ok accepts, -1 if none.
	pick := func(ok func(i int) bool) int {
		best := -1
		for i := range items {
			if done[i] || !ok(i) {
				continue
			}
			if best < 0 || (tie != nil && tie(items[i], items[best]) < 0) {
				best = i
			}
		}
		return best
	}
	for len(out) < len(items) {
		next := pick(func(i int) bool { return indeg[i] == 0 })
		if next < 0 { // a cycle: take the least of what is left
			next = pick(func(int) bool { return true })
		}
		done[next] = true
		out = append(out, items[next])
		for _, b := range after[next] {
			indeg[b]--
		}
	}
	return out
}

// SuiteOrder returns recs in their suite's run order (task, then model,
// then seed) when they are all runs of one built-in suite of the name
// they record, and recs unchanged otherwise. MergeRecordFiles cannot
// always tell the suite's order of tasks no shard holds together; this
// restores it for the built-in suites. For a suite file, use the suite's
// own Order.
func (h *Harness) SuiteOrder(recs []Record) []Record {
	if len(recs) == 0 || !slices.Contains(BuiltinSuites(), recs[0].Suite) {
		return recs
	}
	s, err := h.LookupSuite(recs[0].Suite)
	if err != nil {
		return recs
	}
	out, all := s.Order(recs)
	if !all {
		return recs
	}
	return out
}

// Order returns recs sorted into the suite's run order (task, then model,
// then seed), those that are not runs of s (by run key) last in their own
// order, and whether every record is a run of s. recs is not changed.
func (s Suite) Order(recs []Record) ([]Record, bool) {
	pos := map[string]int{}
	for _, t := range s.Tasks {
		for _, m := range t.Models {
			for _, seed := range t.Seeds {
				pos[RunKey(t, m, seed)] = len(pos)
			}
		}
	}
	all := true
	for _, r := range recs {
		if _, ok := pos[r.RunKey]; !ok {
			pos[r.RunKey], all = len(pos), false
		}
	}
	out := slices.Clone(recs)
	slices.SortStableFunc(out, func(a, b Record) int { return cmp.Compare(pos[a.RunKey], pos[b.RunKey]) })
	return out, all
}

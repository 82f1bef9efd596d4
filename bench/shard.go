package bench

import (
	"cmp"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/generators"
)

// Unit is the smallest part of a suite that one machine runs alone: one
// seed of one model of a task, or one seed of the models of a task that
// share one training (see TrainingSharer). A unit's records are the very
// records a one-machine run of the suite writes for it, ids included: a
// run's inputs do not depend on the shard that runs it.
type Unit struct {
	Task   string   `json:"task"`
	Models []string `json:"models"`
	Seed   uint64   `json:"seed"`
	// Minutes is the unit's estimated time on the reference machine, and
	// Basis says what it is estimated from (see Harness.Plan).
	Minutes float64 `json:"minutes"`
	Basis   string  `json:"basis"`
	// order is the unit's place in the suite's run order; ms its cost in
	// whole milliseconds, which the dealing compares exactly.
	order int
	ms    int64
}

// Plan is a suite dealt into shards.
type Plan struct {
	Suite  string      `json:"suite"`
	Shards []ShardPlan `json:"shards"`
}

// ShardPlan is what one shard runs: its units in the suite's run order,
// and their estimated minutes.
type ShardPlan struct {
	Index   int     `json:"index"`
	Count   int     `json:"count"`
	Minutes float64 `json:"minutes"`
	Units   []Unit  `json:"units"`
}

// Runs counts the shard's (model, seed) runs.
func (p ShardPlan) Runs() int {
	n := 0
	for _, u := range p.Units {
		n += len(u.Models)
	}
	return n
}

// TrainingSharer is implemented by a Kind some of whose models share one
// training within a task (captioning's greedy and beam decodings of one
// architecture). SharedTraining returns the same non-empty key for the
// models of t that share a training with each seed, and "" for a model
// that shares none. Plan keeps such models, with one seed, in one unit, so
// that shards together train no more than one machine does.
type TrainingSharer interface {
	SharedTraining(t Task, m ModelSpec) string
}

// SampleCoster is implemented by a Kind whose models cost unlike amounts
// of time a sample (page structure's U-Net against its captioners).
// SampleCost is model m's time a sample in t, relative to the kind's
// other models; Plan weighs each unit's samples by it, so that shards
// are dealt the time they will take. Without it, every sample costs 1.
type SampleCoster interface {
	SampleCost(t Task, m ModelSpec) float64
}

// DefaultSampleEpochsPerMinute is the rate Plan assumes when neither the
// suite nor the built-in suites measure any task: samples trained on (or
// scored) per minute on the reference machine (2 cores, no GPU). It is
// about the quick suite's rate over its measured tasks, 75,700 samples in
// 1.47 minutes; its kinds range from 670 (questions on scenes) to 172,000
// (classifying 28-pixel shapes) a minute, so a measured task does much
// better.
const DefaultSampleEpochsPerMinute = 50_000

// Plan deals the suite's units (see Unit) into n shards so that their
// estimated times are balanced: longest first, each to the shard with the
// least estimated time so far (LPT), ties going to the unit earlier in the
// suite and to the lower shard. Every unit is in exactly one shard, and no
// shard's estimate exceeds another's by more than the longest unit. The
// plan is a pure function of the suite (and, for unmeasured tasks, the
// built-in suites), so every machine that plans the same suite deals the
// same shards. n must be at least 1; shards may be empty when the suite has
// fewer than n units.
//
// A unit's cost is its work, epochs × training samples plus test samples
// for each model scored, times a rate in minutes per sample: a task that
// records its measured minutes shares them among its units by work
// ("measured"); any other task takes the rate its kind's measured tasks
// have in the suite, else in the built-in suites, else the rate of all the
// suite's measured tasks, else of all the built-in suites', else
// DefaultSampleEpochsPerMinute. Only the balance depends on the estimate,
// never which records the runs write.
func (h *Harness) Plan(s Suite, n int) (Plan, error) {
	if n < 1 {
		return Plan{}, fmt.Errorf("bench: %d shards: want at least 1", n)
	}
	units, err := h.estimate(s)
	if err != nil {
		return Plan{}, err
	}
	costs := make([]int64, len(units))
	for i, u := range units {
		costs[i] = u.ms
	}
	p := Plan{Suite: s.Name}
	for k, idx := range deal(costs, n) {
		sp := ShardPlan{Index: k, Count: n, Units: []Unit{}}
		var ms int64
		for _, i := range idx {
			sp.Units = append(sp.Units, units[i])
			ms += units[i].ms
		}
		sp.Minutes = float64(ms) / 60000
		p.Shards = append(p.Shards, sp)
	}
	return p, nil
}

// deal assigns items of the given costs to n bins, longest first, each to
// the bin with the least total so far (LPT); ties go to the earlier item
// and the lower bin. It returns each bin's item indices in increasing
// order.
func deal(costs []int64, n int) [][]int {
	order := make([]int, len(costs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(costs[b], costs[a]) })
	loads := make([]int64, n)
	bins := make([][]int, n)
	for _, i := range order {
		k := 0
		for j := 1; j < n; j++ {
			if loads[j] < loads[k] {
				k = j
			}
		}
		loads[k] += costs[i]
		bins[k] = append(bins[k], i)
	}
	for _, b := range bins {
		slices.Sort(b)
	}
	return bins
}

// units lists the suite's units in its run order (task, then model, then
// seed), each with its work in samples (weighed by the kind's
// SampleCost, if it has one).
func (h *Harness) units(s Suite) ([]Unit, []int64, error) {
	var out []Unit
	var work []int64
	for _, t := range s.Tasks {
		kind, err := h.Kind(t.Kind)
		if err != nil {
			return nil, nil, fmt.Errorf("bench: task %s: %w", t.Name, err)
		}
		sharer, _ := kind.(TrainingSharer)
		coster, _ := kind.(SampleCoster)
		// Groups of models, in the order of their first model.
		var groups [][]ModelSpec
		keyOf := map[string]int{}
		for _, m := range t.Models {
			key := ""
			if sharer != nil {
				key = sharer.SharedTraining(t, m)
			}
			if g, ok := keyOf[key]; ok && key != "" {
				groups[g] = append(groups[g], m)
				continue
			}
			keyOf[key] = len(groups)
			groups = append(groups, []ModelSpec{m})
		}
		train, test := splitCount(t.Dataset, t.Dataset.Train), splitCount(t.Dataset, t.Dataset.Test)
		for _, g := range groups {
			var names []string
			for _, m := range g {
				names = append(names, m.Name)
			}
			w := int64(budgetOf(t, g[0]).Epochs)*int64(train) + int64(len(g))*int64(test)
			if coster != nil {
				w = int64(math.Round(float64(w) * coster.SampleCost(t, g[0])))
			}
			for _, seed := range t.Seeds {
				out = append(out, Unit{Task: t.Name, Models: names, Seed: seed, order: len(out)})
				work = append(work, max(w, 1))
			}
		}
	}
	return out, work, nil
}

// budgetOf is a model's budget in a task: the task's, with the model's own
// overrides (see Overrides), which kinds embed in their configs.
func budgetOf(t Task, m ModelSpec) Budget {
	if o, ok := m.Config.(interface{ Apply(Budget) Budget }); ok {
		return o.Apply(t.Budget)
	}
	return t.Budget
}

// splitCount is the size of the named split of a dataset spec, 0 if none.
func splitCount(d DatasetSpec, name string) int {
	for _, sp := range d.Splits {
		if sp.Name == name {
			return sp.Count
		}
	}
	return 0
}

// rate sums measured minutes and work, to give minutes per sample.
type rate struct {
	minutes float64
	work    int64
}

func (r *rate) add(minutes float64, work []int64) {
	r.minutes += minutes
	for _, w := range work {
		r.work += w
	}
}

func (r rate) ok() bool { return r.minutes > 0 && r.work > 0 }

func (r rate) perSample() float64 { return r.minutes / float64(r.work) }

// rates collects, for the measured tasks of suites, the rate of each kind
// and of all of them.
func (h *Harness) rates(suites []Suite) (map[string]*rate, rate, error) {
	byKind := map[string]*rate{}
	var all rate
	for _, s := range suites {
		units, work, err := h.units(s)
		if err != nil {
			return nil, rate{}, err
		}
		for _, t := range s.Tasks {
			if t.Minutes <= 0 {
				continue
			}
			var w []int64
			for i, u := range units {
				if u.Task == t.Name {
					w = append(w, work[i])
				}
			}
			if byKind[t.Kind] == nil {
				byKind[t.Kind] = &rate{}
			}
			byKind[t.Kind].add(t.Minutes, w)
			all.add(t.Minutes, w)
		}
	}
	return byKind, all, nil
}

// estimate lists the suite's units with their estimated minutes.
func (h *Harness) estimate(s Suite) ([]Unit, error) {
	units, work, err := h.units(s)
	if err != nil {
		return nil, err
	}
	ownKind, ownAll, err := h.rates([]Suite{s})
	if err != nil {
		return nil, err
	}
	// The built-in suites calibrate the kinds the suite does not measure;
	// a built-in suite this harness cannot read (a kind it lacks) is left
	// out.
	var builtins []Suite
	for _, name := range BuiltinSuites() {
		if b, err := h.LookupSuite(name); err == nil {
			builtins = append(builtins, b)
		}
	}
	builtinKind, builtinAll, err := h.rates(builtins)
	if err != nil {
		return nil, err
	}
	for _, t := range s.Tasks {
		var taskWork int64
		for i, u := range units {
			if u.Task == t.Name {
				taskWork += work[i]
			}
		}
		perSample, basis := 1/float64(DefaultSampleEpochsPerMinute), "default rate"
		switch {
		case t.Minutes > 0:
			perSample, basis = t.Minutes/float64(taskWork), "measured"
		case ownKind[t.Kind] != nil && ownKind[t.Kind].ok():
			perSample, basis = ownKind[t.Kind].perSample(), "rate of the suite's "+t.Kind+" tasks"
		case builtinKind[t.Kind] != nil && builtinKind[t.Kind].ok():
			perSample, basis = builtinKind[t.Kind].perSample(), "rate of the built-in "+t.Kind+" tasks"
		case ownAll.ok():
			perSample, basis = ownAll.perSample(), "rate of the suite's measured tasks"
		case builtinAll.ok():
			perSample, basis = builtinAll.perSample(), "rate of the built-in suites' measured tasks"
		}
		for i := range units {
			if units[i].Task != t.Name {
				continue
			}
			ms := max(int64(math.Round(float64(work[i])*perSample*60000)), 1)
			units[i].ms, units[i].Minutes, units[i].Basis = ms, float64(ms)/60000, basis
		}
	}
	return units, nil
}

// runSet is the set of (task, model, seed) runs a shard holds.
type runSet map[runID]bool

type runID struct {
	task, model string
	seed        uint64
}

func (p ShardPlan) runSet() runSet {
	set := runSet{}
	for _, u := range p.Units {
		for _, m := range u.Models {
			set[runID{u.Task, m, u.Seed}] = true
		}
	}
	return set
}

// shardRuns returns the runs shard sh of s holds, nil for the whole suite.
func (h *Harness) shardRuns(s Suite, sh generators.Shard) (runSet, error) {
	if sh.Whole() {
		return nil, nil
	}
	if sh.Index < 0 || sh.Index >= sh.Count {
		return nil, fmt.Errorf("bench: shard %d/%d: want K/N with 0 <= K < N", sh.Index, sh.Count)
	}
	p, err := h.Plan(s, sh.Count)
	if err != nil {
		return nil, err
	}
	return p.Shards[sh.Index].runSet(), nil
}

// ShardOut is the default record file of shard sh of a suite:
// results/SUITE.jsonl for the whole suite, results/SUITE-shard-K-of-N.jsonl
// for a shard.
func ShardOut(suite string, sh generators.Shard) string {
	if sh.Whole() {
		return filepath.Join("results", suite+".jsonl")
	}
	return filepath.Join("results", fmt.Sprintf("%s-shard-%d-of-%d.jsonl", suite, sh.Index, sh.Count))
}

// String describes a unit: "task model[,model…] seed S".
func (u Unit) String() string {
	return fmt.Sprintf("%s %s seed %d", u.Task, strings.Join(u.Models, ","), u.Seed)
}

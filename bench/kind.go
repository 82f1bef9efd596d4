package bench

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/hiddendim/hiddendim/generators"
)

// Kind is one kind of task: classification, VAEs, captioning. It owns its
// data loading, its models' configs, its runner and its metrics; the
// kernel's run loop knows kinds only through this interface. A Kind is a
// value with no mutable state and may be used by several goroutines.
type Kind interface {
	// Name is the kind's name in suite files ("classification").
	Name() string
	// Metrics describes every metric a task of the kind that predicts
	// labels records, besides the kernel's own "params"; with nil labels,
	// those whose names do not depend on labels. A metric the harness does
	// not find described is a higher-is-better proportion.
	Metrics(labels []string) []MetricInfo
	// DecodeModel reads the kind-specific fields of a suite's model entry
	// (the entry's JSON object, "name" removed). It refuses unknown fields
	// and values with a *FieldError whose Field is relative to the entry
	// ("arch") and whose message names what would be right.
	DecodeModel(raw []byte) (ModelConfig, error)
	// CheckTask refuses a task the kind cannot run (a dataset it has no
	// adapter for, labels it cannot predict) with a *FieldError (see
	// Fieldf) naming the field at fault, relative to the task
	// ("dataset.generator"). The kernel has already checked what every
	// task shares; spec is the task's dataset resolved.
	CheckTask(t Task, spec generators.Spec) error
	// Load reads a task's train and test splits from the dataset folder dir.
	Load(ctx context.Context, dir string, t Task) (Data, error)
	// Run trains and scores one model with one seed on data Load returned.
	Run(ctx context.Context, j Job, d Data) (Result, error)
}

// ModelConfig is a kind's configuration of one model of a task: the
// classifier's architecture and sizes, the VAE's latent size and β, the
// captioner's architecture and beam. It marshals to a JSON object; its
// fields, after the model's name, are the model entry of a suite file and
// of each record's run key.
type ModelConfig interface {
	// Arch names the architecture, for the run log.
	Arch() string
}

// Data is a task's loaded train and test splits, as a kind's Load returns
// them. The kernel keeps it for every (model, seed) of the task; if it is
// also an io.Closer, the kernel closes it when the task's runs are done.
type Data interface {
	// SplitHashes maps each split read to its content SHA-256, as the
	// dataset's manifest records it.
	SplitHashes() map[string]string
}

// Job is one (task, model, seed) run.
type Job struct {
	Suite string
	Task  Task
	Model ModelSpec
	Seed  uint64
	// Pass is 0 for a run, 1 for its --verify rerun: a kind that shares
	// training between models (captioning's decodings) keys it by pass, so
	// that a verified record is one trained twice.
	Pass int
	// Progress, if set, reports training steps.
	Progress func(what string, done, total int)
	// Pictures, if set, is a folder the kind may draw what the trained
	// model learned into (a VAE's latent space, a captioner's attention);
	// "" means none. A kind that draws nothing ignores it.
	Pictures string
}

// Result is what a kind's Run measured; the kernel seals it into a Record.
type Result struct {
	// Config is the model's full configuration, recorded as model_config.
	Config any
	// Params counts the model's trainable parameters.
	Params int
	// Scores are the run's metrics; the kernel adds "params".
	Scores  map[string]Metric
	Timings Timings
}

// MetricInfo describes a metric: its direction and range. The leaderboard
// ranks by it and clamps Student-t intervals to the range.
type MetricInfo struct {
	Name          string
	LowerIsBetter bool
	// Min and Max bound the metric's values ([0, 1] for proportions).
	Min, Max float64
}

// Proportion is a higher-is-better metric in [0, 1].
func Proportion(name string) MetricInfo { return MetricInfo{Name: name, Max: 1} }

// paramsMetric is the kernel's own metric: every record counts its model's
// parameters.
var paramsMetric = MetricInfo{Name: "params", LowerIsBetter: true, Max: math.Inf(1)}

// Harness runs suites: the kinds of task it knows and the datasets they
// read. The command line builds one, the way it registers datasets.
type Harness struct {
	kinds    map[string]Kind
	metrics  map[string]MetricInfo
	Datasets *generators.Registry
}

// NewHarness returns a harness that knows kinds and reads datasets from
// reg. It panics if two kinds share a name, or describe one metric name
// differently: both are programming errors.
func NewHarness(reg *generators.Registry, kinds ...Kind) *Harness {
	h := &Harness{kinds: map[string]Kind{}, metrics: map[string]MetricInfo{"params": paramsMetric}, Datasets: reg}
	for _, k := range kinds {
		if _, dup := h.kinds[k.Name()]; dup {
			panic("bench: two kinds named " + k.Name())
		}
		h.kinds[k.Name()] = k
		for _, m := range k.Metrics(nil) {
			if old, ok := h.metrics[m.Name]; ok && old != m {
				panic(fmt.Sprintf("bench: metric %s described as %+v and as %+v", m.Name, old, m))
			}
			h.metrics[m.Name] = m
		}
	}
	return h
}

// Kind returns the named kind, or an error listing the known ones.
func (h *Harness) Kind(name string) (Kind, error) {
	if k, ok := h.kinds[name]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("unknown kind %q; known: %s", name, strings.Join(h.KindNames(), ", "))
}

// KindNames lists the known kinds in name order.
func (h *Harness) KindNames() []string { return sortedKeys(h.kinds) }

// Metric describes a metric by name; an unknown metric is a
// higher-is-better proportion.
func (h *Harness) Metric(name string) MetricInfo {
	if m, ok := h.metrics[name]; ok {
		return m
	}
	return Proportion(name)
}

// kindMetrics lists the metrics a kind's task with labels records, in name
// order.
func kindMetrics(k Kind, labels []string) []string {
	names := []string{"params"}
	for _, m := range k.Metrics(labels) {
		names = append(names, m.Name)
	}
	sort.Strings(names)
	return names
}

// Unbounded is a metric in [0, ∞): a count, nats, an error.
func Unbounded(name string, lowerIsBetter bool) MetricInfo {
	return MetricInfo{Name: name, LowerIsBetter: lowerIsBetter, Max: math.Inf(1)}
}

// Unpack returns a job's data and model config as a kind's own types D
// and M, or an error naming the types it got: a kind's Run starts with it.
func Unpack[D Data, M ModelConfig](j Job, d Data) (D, M, error) {
	data, ok := d.(D)
	if !ok {
		var want D
		var m M
		return want, m, fmt.Errorf("bench: %s: data %T is not %T", j, d, want)
	}
	m, ok := j.Model.Config.(M)
	if !ok {
		var want M
		return data, want, fmt.Errorf("bench: %s: model config %T is not %T", j, j.Model.Config, want)
	}
	return data, m, nil
}

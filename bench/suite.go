package bench

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hiddendim/hiddendim/generators"
)

// Suite is a fixed list of tasks: data, not code.
type Suite struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// Minutes is the measured time of the whole suite on the reference
	// machine (2 cores, no GPU); 0 if not measured.
	Minutes float64 `json:"minutes,omitempty"`
	Tasks   []Task  `json:"tasks"`
}

// Task is one benchmark: a dataset, the models compared on it, their
// training budget, the seeds, and how they are scored.
type Task struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Kind names the kind of task (a Kind's Name): "classification",
	// "vae", "captioning".
	Kind    string      `json:"kind"`
	Dataset DatasetSpec `json:"dataset"`
	// Labels are the dataset's label features the models predict.
	Labels []string    `json:"labels"`
	Models []ModelSpec `json:"models"`
	Budget Budget      `json:"budget"`
	// Seeds are the training seeds: each drives initial weights and shuffles.
	Seeds []uint64 `json:"seeds"`
	// Metrics lists what the leaderboard shows, Primary what it ranks by.
	Metrics []string `json:"metrics"`
	Primary string   `json:"primary"`
	// Expect are sanity targets: if a model misses one, the harness or the
	// model is wrong, and the run fails.
	Expect []Expectation `json:"expect,omitempty"`
	// Note says why the task is as it is (a budget's measurements, a target
	// left unenforced); Minutes is the measured time of its runs on the
	// reference machine (2 cores, no GPU), 0 if not measured. Neither is
	// part of a run's key.
	Note    string  `json:"note,omitempty"`
	Minutes float64 `json:"minutes,omitempty"`
}

// DatasetSpec names a dataset exactly: generating it twice gives the same bytes.
type DatasetSpec struct {
	Generator string `json:"generator"`
	Version   string `json:"version"`
	Seed      uint64 `json:"seed"`
	// Settings are --set key=value pairs over the generator's defaults.
	Settings map[string]string      `json:"settings,omitempty"`
	Splits   []generators.SplitSize `json:"splits"`
	// Train and Test name the splits the task trains and scores on.
	Train string `json:"train"`
	Test  string `json:"test"`
}

// ModelSpec is one model of a task: its name on the leaderboard and its
// kind's configuration. It marshals as one JSON object, the name first and
// then the config's fields: {"name": "multilabel", "arch": "multilabel", …}.
type ModelSpec struct {
	Name   string
	Config ModelConfig
}

// MarshalJSON writes the name and then the config's fields, in one object.
func (m ModelSpec) MarshalJSON() ([]byte, error) {
	name, err := json.Marshal(m.Name)
	if err != nil {
		return nil, err
	}
	out := append([]byte(`{"name":`), name...)
	if m.Config == nil {
		return append(out, '}'), nil
	}
	cfg, err := json.Marshal(m.Config)
	if err != nil {
		return nil, err
	}
	if len(cfg) < 2 || cfg[0] != '{' {
		return nil, fmt.Errorf("bench: model %s: its config marshals to %s, not an object", m.Name, cfg)
	}
	if string(cfg) == "{}" {
		return append(out, '}'), nil
	}
	return append(append(out, ','), cfg[1:]...), nil
}

// Budget is how long each model trains.
type Budget struct {
	Epochs int     `json:"epochs"`
	Batch  int     `json:"batch"`
	LR     float64 `json:"lr"`
	// Schedule is the learning-rate schedule; the zero value keeps the
	// rate constant (and is left out of the JSON).
	Schedule Schedule `json:"schedule,omitempty"`
}

// Overrides are a model entry's own training budget, for a model in a
// task whose budget suits another: each field that is not zero replaces
// the task budget's (so a model cannot make a cosine task budget
// constant). Kinds embed it in their model configs: its JSON is the
// entry's optional "epochs", "batch", "lr" and "schedule".
type Overrides struct {
	Epochs   int      `json:"epochs,omitempty"`
	Batch    int      `json:"batch,omitempty"`
	LR       float64  `json:"lr,omitempty"`
	Schedule Schedule `json:"schedule,omitempty"`
}

// Apply returns b with o's fields where o sets them.
func (o Overrides) Apply(b Budget) Budget {
	if o.Epochs > 0 {
		b.Epochs = o.Epochs
	}
	if o.Batch > 0 {
		b.Batch = o.Batch
	}
	if o.LR > 0 {
		b.LR = o.LR
	}
	if o.Schedule != Constant {
		b.Schedule = o.Schedule
	}
	return b
}

// DecodeOverrides checks a model entry's optional budget fields, nil
// where the entry leaves one out, and returns them; a bad one is a
// *FieldError naming it.
func DecodeOverrides(epochs, batch *int, lr *float64, schedule *string) (Overrides, error) {
	var o Overrides
	for _, v := range []struct {
		name string
		p    *int
		dst  *int
	}{{"epochs", epochs, &o.Epochs}, {"batch", batch, &o.Batch}} {
		if v.p == nil {
			continue
		}
		if *v.p < 1 {
			return o, Fieldf(v.name, "%d: want at least 1 (or leave it out to use the task's budget)", *v.p)
		}
		*v.dst = *v.p
	}
	if lr != nil {
		if !(*lr > 0) {
			return o, Fieldf("lr", "%g: want a rate above 0 (or leave it out to use the task's budget)", *lr)
		}
		o.LR = *lr
	}
	if schedule != nil {
		sc, err := ParseSchedule(*schedule)
		if err != nil {
			return o, Fieldf("schedule", "%v", err)
		}
		o.Schedule = sc
	}
	return o, nil
}

// Expectation is a bound a model's metric must meet.
type Expectation struct {
	Model  string  `json:"model"`
	Metric string  `json:"metric"`
	Min    float64 `json:"min"`
}

// Hash is the sha256 of the spec's canonical JSON (settings sorted), the
// key of the dataset cache.
func (d DatasetSpec) Hash() string {
	b, _ := json.Marshal(d) // map keys marshal sorted
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Only returns the suite with just the named tasks, in the suite's order;
// an unknown name is an error that lists the suite's tasks.
func (s Suite) Only(names []string) (Suite, error) {
	var known []string
	for _, t := range s.Tasks {
		known = append(known, t.Name)
	}
	out := s
	out.Tasks = nil
	for _, n := range names {
		if !slices.Contains(known, strings.TrimSpace(n)) {
			return Suite{}, fmt.Errorf("bench: suite %s has no task %q; its tasks: %s", s.Name, n, strings.Join(known, ", "))
		}
	}
	for _, t := range s.Tasks {
		if slices.ContainsFunc(names, func(n string) bool { return strings.TrimSpace(n) == t.Name }) {
			out.Tasks = append(out.Tasks, t)
		}
	}
	return out, nil
}

package bench

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
)

//go:embed suites/*.json
var builtinSuites embed.FS

// FieldError is a suite file's field that is wrong: its message says what
// would be right. The command line reports it as a usage error.
type FieldError struct {
	// File names the suite ("quick", "./my-suite.json").
	File string
	// Field is the path to the field: "tasks[2].models[0].arch".
	Field string
	Msg   string
}

// Error returns "bench: FILE: FIELD: MESSAGE".
func (e *FieldError) Error() string {
	if e.Field == "" {
		return fmt.Sprintf("bench: suite %s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("bench: suite %s: %s: %s", e.File, e.Field, e.Msg)
}

// Fieldf returns a *FieldError for field, for a Kind's DecodeModel and
// CheckTask; the harness adds the file and the path to the model or task.
func Fieldf(field, format string, a ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// under moves a FieldError from a kind under prefix and names the file; any
// other error becomes one at prefix.
func under(err error, file, prefix string) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		f := prefix
		if fe.Field != "" {
			f = prefix + "." + fe.Field
		}
		return &FieldError{File: file, Field: f, Msg: fe.Msg}
	}
	return &FieldError{File: file, Field: prefix, Msg: err.Error()}
}

// BuiltinSuites lists the names of the suites built into hiddendim.
func BuiltinSuites() []string {
	entries, _ := builtinSuites.ReadDir("suites")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".json"))
	}
	return names
}

// LookupSuite returns a built-in suite by name, or reads a suite file when
// nameOrPath is not a built-in name and names a file (or ends in .json).
// An unknown name is an error listing the built-in suites.
func (h *Harness) LookupSuite(nameOrPath string) (Suite, error) {
	if b, err := builtinSuites.ReadFile("suites/" + nameOrPath + ".json"); err == nil && !strings.ContainsAny(nameOrPath, `/\`) {
		return h.ReadSuite(nameOrPath, b)
	}
	_, statErr := os.Stat(nameOrPath)
	if statErr != nil && !strings.HasSuffix(nameOrPath, ".json") && !strings.ContainsAny(nameOrPath, `/\`) {
		return Suite{}, &FieldError{File: nameOrPath, Msg: fmt.Sprintf("no such suite; built in: %s; or give a suite file (JSON, like `hiddendim bench --list --format json` prints)", strings.Join(BuiltinSuites(), ", "))}
	}
	b, err := os.ReadFile(nameOrPath)
	if err != nil {
		return Suite{}, fmt.Errorf("bench: %w", err)
	}
	return h.ReadSuite(nameOrPath, b)
}

var (
	semver   = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)
	taskName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
)

// ReadSuite reads and checks a suite file: its fields, each task's kind,
// dataset (a generator this build renders, at exactly the version named),
// models (each kind's config), budget, seeds, metrics (those the kind
// scores) and sanity targets. file names the suite in errors, which are
// *FieldError naming the field at fault and what would be right.
func (h *Harness) ReadSuite(file string, data []byte) (Suite, error) {
	bad := func(field, format string, a ...any) error {
		return &FieldError{File: file, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	top, err := object(data, file, "", "name", "description", "minutes", "tasks")
	if err != nil {
		return Suite{}, err
	}
	var s Suite
	if err := decode(top, file, "", "name", &s.Name, "a string"); err != nil {
		return Suite{}, err
	}
	if s.Name == "" {
		return Suite{}, bad("name", "want a name, like \"my-suite\"")
	}
	if err := decode(top, file, "", "description", &s.Description, "a string"); err != nil {
		return Suite{}, err
	}
	if err := decode(top, file, "", "minutes", &s.Minutes, "the measured minutes, a number"); err != nil {
		return Suite{}, err
	}
	var tasks []json.RawMessage
	if err := decode(top, file, "", "tasks", &tasks, "an array of tasks"); err != nil {
		return Suite{}, err
	}
	if len(tasks) == 0 {
		return Suite{}, bad("tasks", "want at least one task")
	}
	seen := map[string]bool{}
	for i, raw := range tasks {
		p := fmt.Sprintf("tasks[%d]", i)
		t, err := h.readTask(file, p, raw)
		if err != nil {
			return Suite{}, err
		}
		if seen[t.Name] {
			return Suite{}, bad(p+".name", "a second task named %q; task names are unique in a suite", t.Name)
		}
		seen[t.Name] = true
		s.Tasks = append(s.Tasks, t)
	}
	return s, nil
}

// readTask reads and checks one task of a suite file.
func (h *Harness) readTask(file, p string, raw []byte) (Task, error) {
	bad := func(field, format string, a ...any) error {
		return &FieldError{File: file, Field: p + "." + field, Msg: fmt.Sprintf(format, a...)}
	}
	f, err := object(raw, file, p, "name", "version", "kind", "dataset", "labels", "models", "budget", "seeds", "metrics", "primary", "expect", "note", "minutes")
	if err != nil {
		return Task{}, err
	}
	var t Task
	for _, d := range []struct {
		key  string
		dst  any
		want string
	}{
		{"name", &t.Name, "a string"}, {"version", &t.Version, "a version string"}, {"kind", &t.Kind, "a string"},
		{"labels", &t.Labels, "an array of label names"}, {"seeds", &t.Seeds, "an array of seeds (whole numbers from 0)"},
		{"metrics", &t.Metrics, "an array of metric names"}, {"primary", &t.Primary, "a metric name"},
		{"note", &t.Note, "a string"}, {"minutes", &t.Minutes, "the measured minutes, a number"},
	} {
		if err := decode(f, file, p, d.key, d.dst, d.want); err != nil {
			return Task{}, err
		}
	}
	if !taskName.MatchString(t.Name) {
		return Task{}, bad("name", "%q: want lowercase letters, digits, '.', '-' and '_', like \"shapes-multilabel\"", t.Name)
	}
	if !semver.MatchString(t.Version) {
		return Task{}, bad("version", "%q: want MAJOR.MINOR.PATCH, like \"1.0.0\"", t.Version)
	}
	kind, err := h.Kind(t.Kind)
	if err != nil {
		return Task{}, bad("kind", "%v", err)
	}
	if t.Dataset, err = h.readDataset(file, p+".dataset", f["dataset"]); err != nil {
		return Task{}, err
	}
	var models []json.RawMessage
	if err := decode(f, file, p, "models", &models, "an array of models"); err != nil {
		return Task{}, err
	}
	if len(models) == 0 {
		return Task{}, bad("models", "want at least one model")
	}
	for i, m := range models {
		mp := fmt.Sprintf("%s.models[%d]", p, i)
		spec, err := readModel(kind, file, mp, m)
		if err != nil {
			return Task{}, err
		}
		if slices.ContainsFunc(t.Models, func(o ModelSpec) bool { return o.Name == spec.Name }) {
			return Task{}, &FieldError{File: file, Field: mp + ".name", Msg: fmt.Sprintf("a second model named %q; model names are unique in a task", spec.Name)}
		}
		t.Models = append(t.Models, spec)
	}
	if t.Budget, err = readBudget(file, p+".budget", f["budget"]); err != nil {
		return Task{}, err
	}
	if len(t.Seeds) == 0 {
		return Task{}, bad("seeds", "want at least one seed, like [1]")
	}
	for i, s := range t.Seeds {
		if slices.Index(t.Seeds, s) != i {
			return Task{}, bad(fmt.Sprintf("seeds[%d]", i), "seed %d twice", s)
		}
	}
	known := kindMetrics(kind, t.Labels)
	if len(t.Metrics) == 0 {
		return Task{}, bad("metrics", "want the metrics the board shows; %s scores %s", t.Kind, strings.Join(known, ", "))
	}
	for i, m := range t.Metrics {
		if !slices.Contains(known, m) {
			return Task{}, bad(fmt.Sprintf("metrics[%d]", i), "%s does not score %q; it scores %s", t.Kind, m, strings.Join(known, ", "))
		}
	}
	if !slices.Contains(t.Metrics, t.Primary) {
		return Task{}, bad("primary", "%q is not one of the task's metrics (%s)", t.Primary, strings.Join(t.Metrics, ", "))
	}
	if t.Expect, err = readExpect(file, p, f["expect"], t, known); err != nil {
		return Task{}, err
	}
	spec, _ := t.Dataset.Spec(h.Datasets) // readDataset resolved it
	if err := kind.CheckTask(t, spec); err != nil {
		return Task{}, under(err, file, p)
	}
	return t, nil
}

// readModel reads a model entry: its name, and its kind's config.
func readModel(kind Kind, file, p string, raw []byte) (ModelSpec, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return ModelSpec{}, &FieldError{File: file, Field: p, Msg: "want an object, like {\"name\": \"mine\", …}"}
	}
	var spec ModelSpec
	if err := json.Unmarshal(fields["name"], &spec.Name); err != nil || spec.Name == "" {
		return ModelSpec{}, &FieldError{File: file, Field: p + ".name", Msg: "want the model's name on the leaderboard, a string"}
	}
	delete(fields, "name")
	rest, _ := json.Marshal(fields)
	cfg, err := kind.DecodeModel(rest)
	if err != nil {
		return ModelSpec{}, under(err, file, p)
	}
	spec.Config = cfg
	return spec, nil
}

// readDataset reads and resolves a task's dataset.
func (h *Harness) readDataset(file, p string, raw []byte) (DatasetSpec, error) {
	bad := func(field, format string, a ...any) error {
		return &FieldError{File: file, Field: p + "." + field, Msg: fmt.Sprintf(format, a...)}
	}
	f, err := object(raw, file, p, "generator", "version", "seed", "settings", "splits", "train", "test")
	if err != nil {
		return DatasetSpec{}, err
	}
	var d DatasetSpec
	for _, x := range []struct {
		key  string
		dst  any
		want string
	}{
		{"generator", &d.Generator, "a dataset name"}, {"version", &d.Version, "a version string"}, {"seed", &d.Seed, "a whole number from 0"},
		{"settings", &d.Settings, "an object of setting names to values, all strings"}, {"splits", &d.Splits, "an array of {\"name\", \"count\"}"},
		{"train", &d.Train, "a split name"}, {"test", &d.Test, "a split name"},
	} {
		if err := decode(f, file, p, x.key, x.dst, x.want); err != nil {
			return DatasetSpec{}, err
		}
	}
	ds, err := h.Datasets.Lookup(d.Generator)
	if err != nil {
		return DatasetSpec{}, bad("generator", "unknown dataset %q; known: %s", d.Generator, strings.Join(h.Datasets.Names(), ", "))
	}
	if v := ds.Version().String(); d.Version != v {
		return DatasetSpec{}, bad("version", "%q: this build renders %s %s; a suite names the exact version its numbers were measured on", d.Version, d.Generator, v)
	}
	var names []string
	for i, s := range d.Splits {
		if s.Name == "" || s.Count < 1 || slices.Contains(names, s.Name) {
			return DatasetSpec{}, bad(fmt.Sprintf("splits[%d]", i), "want a split with a new name and a count of at least 1, like {\"name\": \"train\", \"count\": 1000}")
		}
		names = append(names, s.Name)
	}
	for _, x := range []struct{ key, name string }{{"train", d.Train}, {"test", d.Test}} {
		if !slices.Contains(names, x.name) {
			return DatasetSpec{}, bad(x.key, "%q is not one of the splits (%s)", x.name, strings.Join(names, ", "))
		}
	}
	if _, err := d.Spec(h.Datasets); err != nil {
		return DatasetSpec{}, bad("settings", "%v", err)
	}
	return d, nil
}

// readBudget reads a task's training budget.
func readBudget(file, p string, raw []byte) (Budget, error) {
	f, err := object(raw, file, p, "epochs", "batch", "lr", "schedule")
	if err != nil {
		return Budget{}, err
	}
	var b Budget
	var schedule string
	for _, x := range []struct {
		key  string
		dst  any
		want string
	}{
		{"epochs", &b.Epochs, "a whole number"}, {"batch", &b.Batch, "a whole number"}, {"lr", &b.LR, "a number"},
		{"schedule", &schedule, "a schedule name"},
	} {
		if err := decode(f, file, p, x.key, x.dst, x.want); err != nil {
			return Budget{}, err
		}
	}
	bad := func(field, format string, a ...any) error {
		return &FieldError{File: file, Field: p + "." + field, Msg: fmt.Sprintf(format, a...)}
	}
	switch {
	case b.Epochs < 1:
		return Budget{}, bad("epochs", "%d: want at least 1", b.Epochs)
	case b.Batch < 1:
		return Budget{}, bad("batch", "%d: want at least 1", b.Batch)
	case !(b.LR > 0):
		return Budget{}, bad("lr", "%v: want a learning rate above 0, like 0.002", b.LR)
	}
	if b.Schedule, err = ParseSchedule(schedule); err != nil {
		return Budget{}, bad("schedule", "%q: want %v (or leave it out: constant)", schedule, Schedules)
	}
	return b, nil
}

// readExpect reads a task's sanity targets.
func readExpect(file, p string, raw []byte, t Task, known []string) ([]Expectation, error) {
	if raw == nil {
		return nil, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, &FieldError{File: file, Field: p + ".expect", Msg: "want an array of {\"model\", \"metric\", \"min\"}"}
	}
	var out []Expectation
	for i, item := range items {
		ep := fmt.Sprintf("%s.expect[%d]", p, i)
		f, err := object(item, file, ep, "model", "metric", "min")
		if err != nil {
			return nil, err
		}
		var e Expectation
		for _, x := range []struct {
			key  string
			dst  any
			want string
		}{{"model", &e.Model, "a model name"}, {"metric", &e.Metric, "a metric name"}, {"min", &e.Min, "a number"}} {
			if err := decode(f, file, ep, x.key, x.dst, x.want); err != nil {
				return nil, err
			}
		}
		var models []string
		for _, m := range t.Models {
			models = append(models, m.Name)
		}
		if !slices.Contains(models, e.Model) {
			return nil, &FieldError{File: file, Field: ep + ".model", Msg: fmt.Sprintf("%q is not one of the task's models (%s)", e.Model, strings.Join(models, ", "))}
		}
		if !slices.Contains(known, e.Metric) {
			return nil, &FieldError{File: file, Field: ep + ".metric", Msg: fmt.Sprintf("%s does not score %q; it scores %s", t.Kind, e.Metric, strings.Join(known, ", "))}
		}
		out = append(out, e)
	}
	return out, nil
}

// object reads a JSON object whose keys must be among known, naming an
// unknown one and the known ones.
func object(raw []byte, file, p string, known ...string) (map[string]json.RawMessage, error) {
	where := p
	if where == "" {
		where = "(the file)"
	}
	var f map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(raw))
	if raw == nil {
		return nil, &FieldError{File: file, Field: p, Msg: "missing; want an object"}
	}
	if err := dec.Decode(&f); err != nil || f == nil {
		msg := "want a JSON object"
		if err != nil {
			msg += ": " + err.Error()
		}
		return nil, &FieldError{File: file, Field: where, Msg: msg}
	}
	if dec.More() {
		return nil, &FieldError{File: file, Field: where, Msg: "want one JSON object; more follows it"}
	}
	for _, k := range sortedKeys(f) {
		if !slices.Contains(known, k) {
			return nil, &FieldError{File: file, Field: join(p, k), Msg: fmt.Sprintf("unknown field; known: %s", strings.Join(known, ", "))}
		}
	}
	return f, nil
}

// decode reads field key of f, if present, into dst.
func decode(f map[string]json.RawMessage, file, p, key string, dst any, want string) error {
	raw, ok := f[key]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return &FieldError{File: file, Field: join(p, key), Msg: fmt.Sprintf("%s: want %s", raw, want)}
	}
	return nil
}

func join(p, key string) string {
	if p == "" {
		return key
	}
	return p + "." + key
}

// DecodeStrict unmarshals a model entry's fields into dst (a pointer to a
// kind's config struct), refusing a field dst does not have with a
// *FieldError that lists the known ones: the helper a Kind's DecodeModel
// uses.
func DecodeStrict(raw []byte, dst any, known ...string) error {
	f, err := object(raw, "", "", known...)
	if err != nil {
		var fe *FieldError
		errors.As(err, &fe)
		return &FieldError{Field: fe.Field, Msg: fe.Msg}
	}
	for _, k := range sortedKeys(f) {
		one, _ := json.Marshal(map[string]json.RawMessage{k: f[k]})
		if err := json.Unmarshal(one, dst); err != nil {
			return &FieldError{Field: k, Msg: fmt.Sprintf("%s: %v", f[k], unwrapJSON(err))}
		}
	}
	return nil
}

// unwrapJSON keeps the message of an error a field's UnmarshalText
// returned, and says "wrong type" for the others.
func unwrapJSON(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "want " + te.Type.String()
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "json:") {
		return msg[i+2:]
	}
	return msg
}

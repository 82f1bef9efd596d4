package bench

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Record is the result of one (task, model, seed) run: one JSON line.
type Record struct {
	// RecordID hashes everything but Timings and Env: reruns that
	// reproduce share it.
	RecordID string `json:"record_id"`
	// RunKey hashes the run's inputs only: the harness skips a run whose
	// key the output file already holds.
	RunKey      string            `json:"run_key"`
	Suite       string            `json:"suite"`
	Task        string            `json:"task"`
	TaskVersion string            `json:"task_version"`
	Model       string            `json:"model"`
	Seed        uint64            `json:"seed"`
	Seeds       Seeds             `json:"seeds"`
	Dataset     DatasetRecord     `json:"dataset"`
	ModelConfig json.RawMessage   `json:"model_config"`
	ModelSHA256 string            `json:"model_config_sha256"`
	Params      int               `json:"params"`
	Budget      Budget            `json:"budget"`
	Primary     string            `json:"primary"`
	Metrics     map[string]Metric `json:"metrics"`
	Timings     Timings           `json:"timings"`
	Env         Env               `json:"env"`
}

// Seeds lists every seed a run used.
type Seeds struct {
	Dataset uint64 `json:"dataset"`
	Init    uint64 `json:"init"`
	Shuffle uint64 `json:"shuffle"`
}

// DatasetRecord identifies the data a run saw.
type DatasetRecord struct {
	Generator    string            `json:"generator"`
	Version      string            `json:"version"`
	SpecSHA256   string            `json:"spec_sha256"`
	ConfigSHA256 string            `json:"config_sha256"`
	Splits       map[string]string `json:"splits"` // split → content sha256
}

// Timings are what a run measured besides its scores: wall-clock times
// and the training curve. They are kept out of the record id, so a record
// with a curve has the id the same run had before records held curves.
type Timings struct {
	TrainSeconds       float64 `json:"train_seconds"`
	EvalSeconds        float64 `json:"eval_seconds"`
	TrainSamplesPerSec float64 `json:"train_samples_per_second"`
	// EpochLoss is each epoch's mean training loss, for the report's
	// training curves; absent in records written before it existed.
	EpochLoss []float64 `json:"epoch_loss,omitempty"`
}

// hashJSON is the hex SHA-256 of v's JSON encoding. It panics if v cannot
// be encoded, which for the values the harness builds is a programming
// error.
func hashJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic("bench: hashing: " + err.Error())
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// seal fills RecordID.
func (r *Record) seal() {
	id, err := r.contentID()
	if err != nil {
		panic("bench: hashing: " + err.Error())
	}
	r.RecordID = id
}

// contentID is the record id r's content implies: the hash of everything
// but RecordID, Timings and Env.
func (r *Record) contentID() (string, error) {
	c := *r
	c.RecordID, c.Timings, c.Env = "", Timings{}, Env{}
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

// ReadRecords reads a JSONL file of records written by Run. It refuses a
// file that does not exist or holds no record, and a line that is not a
// record: not a JSON object, missing a required field (record_id, run_key,
// suite, task, task_version, model, seed, dataset, primary, metrics) or
// holding it empty, holding a field a Record does not have, scoring no
// value for its primary metric, or whose record_id is not the hash of its
// content. Its errors name the file and the line. Blank lines are skipped.
func ReadRecords(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	out, err := readRecords(path, f)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("bench: %s holds no records (want JSON lines written by `hiddendim bench --out`)", path)
	}
	return out, nil
}

// ReadRecordsSoFar reads the records a bench output file holds already:
// none when it is missing or empty (no run has finished), and otherwise
// what ReadRecords accepts.
func ReadRecordsSoFar(path string) ([]Record, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	return readRecords(path, f)
}

// readRecords reads the records of r, named path in errors.
func readRecords(path string, r io.Reader) ([]Record, error) {
	var out []Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		rec, err := parseRecord(sc.Bytes())
		if err != nil {
			return nil, fmt.Errorf("bench: %s line %d: %w", path, line, err)
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("bench: %s after line %d: %w", path, line, err)
	}
	return out, nil
}

// parseRecord decodes and checks one record line.
func parseRecord(b []byte) (Record, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return Record{}, fmt.Errorf("not a record: want a JSON object written by `hiddendim bench`: %w", err)
	}
	// The keys that name the run (suite, task, model, seed), what it ran
	// on and scored, and the keys the harness and leaderboards match
	// records by. Every other field is covered by the record id.
	for _, k := range []string{"record_id", "run_key", "suite", "task", "task_version", "model", "seed", "dataset", "primary", "metrics"} {
		if _, ok := fields[k]; !ok {
			return Record{}, fmt.Errorf("not a record: missing field %q", k)
		}
	}
	var r Record
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Record{}, fmt.Errorf("not a record: %w", err)
	}
	for _, f := range []struct{ name, value string }{
		{"record_id", r.RecordID}, {"run_key", r.RunKey}, {"suite", r.Suite}, {"task", r.Task},
		{"task_version", r.TaskVersion}, {"model", r.Model}, {"primary", r.Primary},
		{"dataset.generator", r.Dataset.Generator}, {"dataset.version", r.Dataset.Version},
	} {
		if f.value == "" {
			return Record{}, fmt.Errorf("not a record: field %q is empty", f.name)
		}
	}
	if len(r.Metrics) == 0 {
		return Record{}, errors.New(`not a record: field "metrics" is empty`)
	}
	if _, ok := r.Metrics[r.Primary]; !ok {
		return Record{}, fmt.Errorf("not a record: primary metric %q is not among its metrics", r.Primary)
	}
	want, err := r.contentID()
	if err != nil {
		return Record{}, fmt.Errorf("not a record: %w", err)
	}
	if r.RecordID != want {
		return Record{}, fmt.Errorf("record_id %.12s… is not the hash of the record's content (%.12s…): the line was edited after it was written", r.RecordID, want)
	}
	return r, nil
}

// appendRecord adds one line to path and syncs it, so a record that is in
// the file is whole.
func appendRecord(path string, r Record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("bench: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("bench: %w", err)
	}
	return f.Close()
}

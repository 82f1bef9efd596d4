package bench

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
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

// Timings are wall-clock measurements, kept out of the record id.
type Timings struct {
	TrainSeconds       float64 `json:"train_seconds"`
	EvalSeconds        float64 `json:"eval_seconds"`
	TrainSamplesPerSec float64 `json:"train_samples_per_second"`
}

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
	c := *r
	c.RecordID, c.Timings, c.Env = "", Timings{}, Env{}
	r.RecordID = hashJSON(c)
}

// ReadRecords reads a JSONL file of records; a missing file is empty.
func ReadRecords(path string) ([]Record, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("bench: %s line %d: %w", path, line, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
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

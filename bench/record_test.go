package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// realRecords holds two lines written by `hiddendim bench --suite quick`
// (a classification and a VAE record), unedited.
const realRecords = "testdata/records.jsonl"

func realLines(t testing.TB) [][]byte {
	t.Helper()
	b, err := os.ReadFile(realRecords)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimSpace(b), []byte("\n"))
}

// edit returns line with its top-level fields changed by f.
func edit(t *testing.T, line []byte, f func(map[string]json.RawMessage)) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadRecordsAcceptsRecordsTheHarnessWrites(t *testing.T) {
	recs, err := ReadRecords(realRecords)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || recs[0].Task != "shapes-multilabel" || recs[1].Task != "vae-shapes" {
		t.Fatalf("read %d records", len(recs))
	}
	// A record sealed and appended now reads back with the same id.
	r := recs[0]
	r.Seed, r.Metrics = 99, map[string]Metric{"subset_accuracy": {Value: 0.25, CI95: &[2]float64{0.1, 0.4}}}
	r.seal()
	path := filepath.Join(t.TempDir(), "r.jsonl")
	if err := appendRecord(path, r); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].RecordID != r.RecordID {
		t.Fatalf("read back id %s, wrote %s", got[0].RecordID, r.RecordID)
	}
}

func TestReadRecordsRefusesWhatIsNotARecord(t *testing.T) {
	lines := realLines(t)
	good := lines[0]
	without := func(k string) []byte {
		return edit(t, good, func(m map[string]json.RawMessage) { delete(m, k) })
	}
	set := func(k, v string) []byte {
		return edit(t, good, func(m map[string]json.RawMessage) { m[k] = json.RawMessage(v) })
	}
	join := func(ls ...[]byte) string { return string(bytes.Join(ls, []byte("\n"))) + "\n" }
	tests := []struct {
		name, file string
		want       string
	}{
		{"empty file", "", "holds no records"},
		{"blank lines only", "\n\n  \n", "holds no records"},
		{"not a record", `{"a":1}` + "\n", `line 1: not a record: missing field "record_id"`},
		{"not JSON", join(good, []byte("hello")), "line 2: not a record"},
		{"a JSON array", "[1, 2]\n", "line 1: not a record"},
		{"missing task", join(good, lines[1], without("task")), `line 3: not a record: missing field "task"`},
		{"missing model", join(without("model")), `missing field "model"`},
		{"missing metrics", join(without("metrics")), `missing field "metrics"`},
		{"missing suite", join(without("suite")), `missing field "suite"`},
		{"missing seed", join(without("seed")), `missing field "seed"`},
		{"missing run key", join(without("run_key")), `missing field "run_key"`},
		{"empty task", join(set("task", `""`)), `field "task" is empty`},
		{"null model", join(set("model", `null`)), `field "model" is empty`},
		{"no metrics", join(set("metrics", `{}`)), `field "metrics" is empty`},
		{"dataset without generator", join(set("dataset", `{"version":"1.0.0"}`)), `field "dataset.generator" is empty`},
		{"primary not scored", join(set("primary", `"accuracy"`)), `primary metric "accuracy"`},
		{"a field records do not have", join(set("score", `1`)), `unknown field "score"`},
		{"a wrongly typed field", join(set("seed", `"one"`)), "line 1: not a record"},
		{"an edited score", join(set("metrics", `{"subset_accuracy":{"value":0.99}}`)), "record_id 31a76c447b4e… is not the hash"},
		{"an edited seed", join(good, set("seed", `2`)), "line 2: record_id"},
		{"an edited id", join(set("record_id", `"`+strings.Repeat("0", 64)+`"`)), "is not the hash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.jsonl")
			if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			recs, err := ReadRecords(path)
			if err == nil {
				t.Fatalf("read %d records, want an error saying %q", len(recs), tt.want)
			}
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not name the file and say %q", err, tt.want)
			}
		})
	}
	t.Run("edited timings are not content", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ok.jsonl")
		line := set("timings", `{"train_seconds":1}`)
		if err := os.WriteFile(path, append(line, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadRecords(path); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		if _, err := ReadRecords(filepath.Join(t.TempDir(), "none.jsonl")); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err %v, want one wrapping fs.ErrNotExist", err)
		}
	})
}

// TestRunReadsAMissingOrEmptyOutputAsNoRecords holds what Run relies on:
// an output file that does not exist yet, or exists empty, records nothing,
// while one with a bad line is still refused.
func TestRunReadsAMissingOrEmptyOutputAsNoRecords(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jsonl")
	bad := filepath.Join(dir, "bad.jsonl")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte(`{"a":1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "none.jsonl"), empty} {
		if recs, err := ReadRecordsSoFar(path); err != nil || len(recs) != 0 {
			t.Errorf("%s: %d records, %v; want none and no error", path, len(recs), err)
		}
	}
	if _, err := ReadRecordsSoFar(bad); err == nil {
		t.Errorf("%s: no error for a line that is not a record", bad)
	}
}

// FuzzReadRecords feeds the records reader arbitrary files. Whatever it
// accepts must be records whose ids match their content and survive a
// write and a read unchanged.
func FuzzReadRecords(f *testing.F) {
	b, err := os.ReadFile(realRecords)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	for _, line := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		f.Add(line)
	}
	f.Add([]byte(`{"a":1}`))
	f.Add([]byte(""))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		recs, err := readRecords("fuzz.jsonl", bytes.NewReader(in))
		if err != nil {
			return
		}
		var again bytes.Buffer
		for _, r := range recs {
			id, err := r.contentID()
			if err != nil || id != r.RecordID {
				t.Fatalf("accepted a record whose id %s is not its content's %s (%v)", r.RecordID, id, err)
			}
			line, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			again.Write(append(line, '\n'))
		}
		back, err := readRecords("again.jsonl", &again)
		if err != nil || len(back) != len(recs) {
			t.Fatalf("re-encoded records do not read back: %d of %d, %v", len(back), len(recs), err)
		}
	})
}

// TestEpochLossKeepsRecordIDs: records written before they held training
// curves keep their ids once they hold one, so adding curves changed no
// record id, and a record with a curve reads back with it.
func TestEpochLossKeepsRecordIDs(t *testing.T) {
	recs, err := ReadRecords(realRecords)
	if err != nil {
		t.Fatal(err)
	}
	r := recs[0]
	if len(r.Timings.EpochLoss) != 0 {
		t.Fatal("the fixture was written before curves; it should hold none")
	}
	r.Timings.EpochLoss = []float64{0.9, 0.5, 0.25}
	want := r.RecordID
	r.seal()
	if r.RecordID != want {
		t.Fatalf("a curve changed the record id: %s, was %s", r.RecordID, want)
	}
	path := filepath.Join(t.TempDir(), "r.jsonl")
	if err := appendRecord(path, r); err != nil {
		t.Fatal(err)
	}
	got, err := ReadRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	if g := got[0].Timings.EpochLoss; len(g) != 3 || g[2] != 0.25 {
		t.Fatalf("curve read back as %v", g)
	}
}

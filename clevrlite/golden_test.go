package clevrlite

import (
	"encoding/json"
	"flag"
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/internal/golden"
	"github.com/hiddendim/hiddendim/internal/writebench"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// goldenConfigs are the named configs whose first samples are pinned.
var goldenConfigs = map[string][]string{
	"sortofclevr": nil,
	"programs":    {"questions=programs"},
}

func goldenConfig(t *testing.T, settings []string) *Config {
	t.Helper()
	cfg := SortOfCLEVR{}.DefaultConfig().(*Config)
	if err := generators.SetAll(cfg, settings...); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestGolden pins the content hashes (record, pixels, masks) of the first
// samples of each named config.
func TestGolden(t *testing.T) {
	got := map[string][]string{}
	for name, settings := range goldenConfigs {
		smp, err := SortOfCLEVR{}.New(goldenConfig(t, settings))
		if err != nil {
			t.Fatal(err)
		}
		r := smp.NewRenderer()
		for i := range 8 {
			key := generators.SampleKey{Seed: 1, Split: "train", Index: i, IDWidth: 6}
			s, err := r.Render(key, generators.NewSampleRand(key.Seed, key.Split, i))
			if err != nil {
				t.Fatal(err)
			}
			got[name] = append(got[name], generators.ContentHash(s))
		}
	}
	golden.Hashes(t, filepath.Join("testdata", "golden.json"), got, *update)
}

// TestWorkersDoNotChangeTheBytes writes each named config with 1 and 3
// workers. Candidate programs are shared by the workers, so a rule that
// changed one in place while checking it would show here.
func TestWorkersDoNotChangeTheBytes(t *testing.T) {
	for _, settings := range goldenConfigs {
		writebench.WorkersAgree(t, generators.Spec{Dataset: SortOfCLEVR{}, Config: goldenConfig(t, settings), Seed: 4,
			Splits: []generators.SplitSize{{Name: "train", Count: 300}}})
	}
}

// TestAppendJSON holds the records' own JSON equal to json.Marshal's, and
// their tar records (AppendTarJSON) to generators.TarJSON's, for every
// sample of both named configs and for the fields the generator leaves
// empty.
func TestAppendJSON(t *testing.T) {
	check := func(name string, ex *Example) {
		t.Helper()
		want, err := json.Marshal(ex)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ex.AppendJSON(nil)
		if err != nil || string(got) != string(want) {
			t.Fatalf("%s: AppendJSON wrote\n%s (%v)\njson.Marshal\n%s", name, got, err, want)
		}
		// The tar record: the same, whole floats with ".0".
		if want, err = generators.TarJSON(ex); err != nil {
			t.Fatal(err)
		}
		if got, err = ex.AppendTarJSON(nil); err != nil || string(got) != string(want) {
			t.Fatalf("%s: AppendTarJSON wrote\n%s (%v)\ngenerators.TarJSON\n%s", name, got, err, want)
		}
	}
	for name, settings := range goldenConfigs {
		render(t, goldenConfig(t, settings), 200, func(i int, ex *Example) { check(name+" sample "+strconv.Itoa(i), ex) })
	}
	check("empty", &Example{})
	check("odd strings and numbers", &Example{ID: "<&>", Objects: []Object{{Color: "ré\"d", Center: [2]float64{1e-9, 2.5e21}, Size: -0.5}}, Questions: []Question{{Text: "a\nb", AnswerIndex: -1}}})
	check("whole floats", &Example{Objects: []Object{{Center: [2]float64{0, -12}, Size: 1e20}, {Center: [2]float64{1e21, 3.5}, Size: 7}}})
	if _, err := (&Example{Objects: []Object{{Size: math.NaN()}}}).AppendJSON(nil); err == nil {
		t.Error("NaN size: no error")
	}
}

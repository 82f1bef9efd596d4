package questions

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
	"github.com/hiddendim/hiddendim/bench/benchtest"
	"github.com/hiddendim/hiddendim/clevrlite"
	"github.com/hiddendim/hiddendim/generators"
)

// registry is the datasets the tests read: clevrlite and, to be refused,
// shapes.
func registry() *generators.Registry {
	return generators.NewRegistry(generators.Shapes{}, clevrlite.SortOfCLEVR{})
}

// The settings of the two configs the kind reads.
var (
	programsSettings = map[string]string{"questions": "programs", "image_size": "64", "half_size": "4", "max_objects": "5", "questions_per_group": "4"}
	causalSettings   = map[string]string{"sequence": "true"}
)

func writeDataset(t testing.TB, dir, name, gen string, settings map[string]string, train, test int) string {
	t.Helper()
	return benchtest.WriteDataset(t, registry(), dir, name, gen, settings, train, test)
}

// TestLoadSetPrograms reads a small programs dataset and checks each
// state description against its objects, and the questions' groups.
func TestLoadSetPrograms(t *testing.T) {
	dir := writeDataset(t, t.TempDir(), "prog", "clevrlite", programsSettings, 3, 1)
	s, err := LoadSet(dir, "train", false)
	if err != nil {
		t.Fatal(err)
	}
	l := s.Layout
	// 8 colors, 3 shapes, 2 sizes, x, y, present.
	if l.ObjectSize() != 8+3+2+3 || l.Objects != 5 || !l.Sizes || s.Shape != [3]int{3, 64, 64} || s.Pixels != nil {
		t.Fatalf("layout %+v (object size %d), shape %v, %d pixels", l, l.ObjectSize(), s.Shape, len(s.Pixels))
	}
	if s.images() != 3 || s.Len() != 3*5*4 {
		t.Fatalf("%d images, %d questions; want 3 and 60 (5 groups of 4 per image)", s.images(), s.Len())
	}
	for _, g := range s.Group {
		if !slices.Contains(ProgramGroups, g) {
			t.Fatalf("group %q is not a programs group", g)
		}
	}
	if got := groupNames(s.Group); !slices.Equal(got, ProgramGroups) {
		t.Errorf("groups %v, want %v", got, ProgramGroups)
	}
	// The first image's objects, row by row, then zero rows.
	rec := firstExample(t, dir)
	per := l.ObjectSize()
	for i := range l.Objects {
		row := s.States[i*per : (i+1)*per]
		if i >= len(rec.Objects) {
			if slices.ContainsFunc(row, func(v float32) bool { return v != 0 }) {
				t.Errorf("padding row %d = %v, want zeros", i, row)
			}
			continue
		}
		o := rec.Objects[i]
		want := make([]float32, per)
		want[slices.Index(l.Colors, o.Color)] = 1
		want[8+slices.Index(l.Shapes, o.Shape)] = 1
		want[11+slices.Index(sizeClasses, o.SizeClass)] = 1
		want[13] = float32(2*o.Center[0]/63 - 1)
		want[14] = float32(2*o.Center[1]/63 - 1)
		want[15] = 1
		if !slices.Equal(row, want) {
			t.Errorf("object %d %+v: row %v, want %v", i, o, row, want)
		}
	}
}

func firstExample(t *testing.T, dir string) clevrlite.Example {
	t.Helper()
	r, err := generators.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := r.Split("train")
	if err != nil {
		t.Fatal(err)
	}
	defer sr.Close()
	if !sr.Next() {
		t.Fatal(sr.Err())
	}
	var ex clevrlite.Example
	if err := sr.Record().Decode(&ex); err != nil {
		t.Fatal(err)
	}
	return ex
}

// TestLoadSetCausal: the sequence config's questions are grouped by rung,
// its scenes described in the reference's six colors and two shapes.
func TestLoadSetCausal(t *testing.T) {
	dir := writeDataset(t, t.TempDir(), "causal", "clevrlite", causalSettings, 2, 1)
	s, err := LoadSet(dir, "train", true)
	if err != nil {
		t.Fatal(err)
	}
	if s.Layout.ObjectSize() != 6+2+3 || s.Layout.Objects != 6 || len(s.Pixels) != 2*3*75*75 {
		t.Fatalf("layout %+v, %d pixels", s.Layout, len(s.Pixels))
	}
	count := map[string]int{}
	for q, g := range s.Group {
		count[g]++
		if (g == RungAssociation) == (s.Family[q] == "intervention" || s.Family[q] == "counterfactual") {
			t.Fatalf("question %d of family %s in rung %s", q, s.Family[q], g)
		}
	}
	if count[RungIntervention] == 0 || count[RungCounterfactual] == 0 || count[RungAssociation] < 2*30 {
		t.Errorf("questions per rung %v", count)
	}
}

// TestRefusals: the plain sortofclevr config and another dataset are
// refused with errors that say what would be right.
func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, gen string
		settings  map[string]string
		want      string
	}{
		{"plain", "clevrlite", nil, "sequence=true"},
		{"shapes", "shapes", nil, "clevrlite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := writeDataset(t, dir, tc.name, tc.gen, tc.settings, 1, 1)
			_, err := LoadSet(d, "train", false)
			var mm *bench.MismatchError
			if !errors.As(err, &mm) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadSet: %v; want a mismatch saying %q", err, tc.want)
			}
		})
	}
}

package reason

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
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

// writeDataset generates a small dataset of gen into dir/name.
func writeDataset(t testing.TB, dir, name, gen string, settings map[string]string, train, test int) string {
	t.Helper()
	return benchtest.WriteDataset(t, registry(), dir, name, gen, settings, train, test)
}

// TestLoadSet reads a small sort-of-CLEVR dataset and checks every
// question and state description against the samples it came from.
func TestLoadSet(t *testing.T) {
	dir := writeDataset(t, t.TempDir(), "soc", "clevrlite", nil, 4, 2)
	s, err := LoadSet(dir, "train", true)
	if err != nil {
		t.Fatal(err)
	}
	if s.Shape != [3]int{3, 75, 75} || len(s.Pixels) != 4*3*75*75 || len(s.Scenes) != 4 || len(s.States) != 4*SceneObjects*ObjectSize {
		t.Fatalf("shape %v, %d pixels, %d scenes, %d state values", s.Shape, len(s.Pixels), len(s.Scenes), len(s.States))
	}
	if s.Len() != 4*30 || len(s.Encodings) != s.Len()*QuestionSize || len(s.Text) != s.Len() {
		t.Fatalf("%d questions, %d encoding values, %d texts; want 120 of 10 per type per image", s.Len(), len(s.Encodings), len(s.Text))
	}
	perType := make([]int, len(Types))
	for q := range s.Len() {
		perType[s.Type(q)]++
		enc := s.Encodings[q*QuestionSize : (q+1)*QuestionSize]
		if enc[12+s.Type(q)] != 1 || enc[15+slices.IndexFunc(Families[3*s.Type(q):3*s.Type(q)+3], func(f Family) bool { return f == Families[s.Family[q]] })] != 1 {
			t.Fatalf("question %d (%s) encoded %v", q, Families[s.Family[q]].Name, enc)
		}
	}
	if !slices.Equal(perType, []int{40, 40, 40}) {
		t.Errorf("questions per type %v, want 40 each", perType)
	}
	// Every object's state: its color's one-hot, its shape's, its center.
	for img, scene := range s.Scenes {
		for _, o := range scene {
			c := slices.Index(stateColors, o.Color)
			v := s.States[(img*SceneObjects+c)*ObjectSize:][:ObjectSize]
			want := make([]float32, ObjectSize)
			want[c] = 1
			want[6+slices.Index(stateShapes, o.Shape)] = 1
			want[8], want[9] = float32(2*o.Center[0]/74-1), float32(2*o.Center[1]/74-1)
			if !slices.Equal(v, want) {
				t.Fatalf("image %d %s object: state %v, want %v", img, o.Color, v, want)
			}
			if want[8] < -1 || want[8] > 1 || want[9] < -1 || want[9] > 1 {
				t.Fatalf("center %v outside [-1, 1]", want[8:])
			}
		}
	}
	noPixels, err := LoadSet(dir, "train", false)
	if err != nil {
		t.Fatal(err)
	}
	if noPixels.Pixels != nil || noPixels.Shape != s.Shape || !slices.Equal(noPixels.States, s.States) || !slices.Equal(noPixels.Answer, s.Answer) {
		t.Error("a set read without pixels differs in more than its pixels")
	}
}

// TestLoadSetRefusals checks that what the reasoners cannot read is
// refused with a message that says what would be right.
func TestLoadSetRefusals(t *testing.T) {
	dir := t.TempDir()
	soc := writeDataset(t, dir, "soc", "clevrlite", nil, 2, 1)
	seq := writeDataset(t, dir, "seq", "clevrlite", map[string]string{"sequence": "true"}, 2, 1)
	prog := writeDataset(t, dir, "prog", "clevrlite", map[string]string{"questions": "programs"}, 2, 1)
	shapes := writeDataset(t, dir, "shapes", "shapes", nil, 2, 1)
	npz := filepath.Join(dir, "npz")
	spec, err := bench.DatasetSpec{Generator: "clevrlite", Version: (clevrlite.SortOfCLEVR{}).Version().String(),
		Splits: []generators.SplitSize{{Name: "train", Count: 2}}}.Spec(registry())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := generators.Write(context.Background(), spec, generators.WriteOptions{Out: npz, Format: generators.FormatNPZ}); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, dir, split, msg string }{
		{"shapes", shapes, "train", "the reasoners train on clevrlite's sortofclevr questions; " + shapes + " is a shapes dataset"},
		{"programs", prog, "train", `questions "programs": the reasoners answer the sortofclevr questions`},
		{"sequence", seq, "train", "sequence: the sequence and causal questions have no reference encoding"},
		{"npz", npz, "train", "npz format, which keeps no question families or texts; generate it with --format png"},
		{"no such split", soc, "val", `no split "val"; its splits: train, test`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadSet(tt.dir, tt.split, false)
			var mm *bench.MismatchError
			if !errors.As(err, &mm) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want a MismatchError containing %q", err, tt.msg)
			}
		})
	}
}

// TestFamiliesAreClevrlites holds the nine families to clevrlite's own
// names: a renamed family would otherwise be refused at load.
func TestFamiliesAreClevrlites(t *testing.T) {
	names := clevrlite.FamilyNames()
	for _, f := range Families {
		if !slices.Contains(names, f.Name) {
			t.Errorf("family %s is not one of clevrlite's: %v", f.Name, names)
		}
	}
}

func TestAppendStateRefusals(t *testing.T) {
	scene := func(edit func([]clevrlite.Object)) []clevrlite.Object {
		objs := make([]clevrlite.Object, SceneObjects)
		for i := range objs {
			objs[i] = clevrlite.Object{Color: stateColors[i], Shape: "square", Center: [2]float64{10, 20}}
		}
		edit(objs)
		return objs
	}
	tests := []struct {
		name string
		objs []clevrlite.Object
		msg  string
	}{
		{"five objects", scene(func(o []clevrlite.Object) {})[:5], "5 objects; a sort-of-CLEVR scene has 6"},
		{"a color twice", scene(func(o []clevrlite.Object) { o[1].Color = "red" }), `object 1: color "red"; want each of red, green`},
		{"an unknown color", scene(func(o []clevrlite.Object) { o[2].Color = "purple" }), `object 2: color "purple"`},
		{"a triangle", scene(func(o []clevrlite.Object) { o[3].Shape = "triangle" }), `object 3: shape "triangle"; want square or circle`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := appendState(nil, tt.objs, 75); err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want one containing %q", err, tt.msg)
			}
		})
	}
}

// FuzzAppendExample feeds appendExample any samples.jsonl record: it must
// refuse or append one image and its questions consistently, never panic.
func FuzzAppendExample(f *testing.F) {
	dir := writeDataset(f, f.TempDir(), "soc", "clevrlite", nil, 1, 1)
	first, err := os.ReadFile(filepath.Join(dir, "train", "samples.jsonl"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(first)
	f.Add([]byte(`{"objects":[],"questions":[]}`))
	f.Add([]byte(`{"objects":[{"color":"red","shape":"square","center":[1e300,-5]}],"questions":[{"family":"shape","type":"binary","answer_index":12}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ex clevrlite.Example
		if json.Unmarshal(b, &ex) != nil {
			return
		}
		s := &Set{}
		if err := s.appendExample(&ex, 75); err != nil {
			if s.Len() != 0 || len(s.States) != 0 || len(s.Scenes) != 0 {
				t.Fatalf("a refused sample changed the set: %v", err)
			}
			return
		}
		if len(s.Scenes) != 1 || len(s.States) != SceneObjects*ObjectSize || s.Len() != len(ex.Questions) || len(s.Encodings) != s.Len()*QuestionSize {
			t.Fatalf("appended %d scenes, %d state values, %d questions, %d encoding values from %d questions",
				len(s.Scenes), len(s.States), s.Len(), len(s.Encodings), len(ex.Questions))
		}
		for q := range s.Len() {
			if s.Answer[q] < 0 || s.Answer[q] >= len(Answers) || s.Family[q] < 0 || s.Family[q] >= len(Families) || s.Image[q] != 0 {
				t.Fatalf("question %d: answer %d, family %d, image %d", q, s.Answer[q], s.Family[q], s.Image[q])
			}
		}
	})
}

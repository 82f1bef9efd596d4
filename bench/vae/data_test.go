package vae

import (
	"slices"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/bench/benchtest"
	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/models/latent"
	"github.com/hiddendim/hiddendim/scenes"
	"github.com/hiddendim/hiddendim/webpages"
)

// registry holds the datasets the tests generate: the three the VAE reads
// and counting, which it does not.
func registry() *generators.Registry {
	return generators.NewRegistry(generators.Shapes{}, scenes.Relations{}, scenes.Counting{}, webpages.Pages{})
}

// version is the version of gen this build renders.
func version(t *testing.T, gen string) string {
	t.Helper()
	ds, err := registry().Lookup(gen)
	if err != nil {
		t.Fatal(err)
	}
	return ds.Version().String()
}

// writeDataset generates a small dataset with train and test splits into
// a folder of dir named after the generator.
func writeDataset(t *testing.T, dir, gen string, settings map[string]string, train, test int) string {
	t.Helper()
	return benchtest.WriteDataset(t, registry(), dir, gen, gen, settings, train, test)
}

// tinyRelations are 16×16 relations with parts and no single figures.
var tinyRelations = map[string]string{"parts": "true", "single_fraction": "0", "image_size": "16", "size_min": "6", "size_max": "8"}

func TestLoadSplitOfPages(t *testing.T) {
	data := writeDataset(t, t.TempDir(), "webpages", map[string]string{"image_size": "128", "max_rows": "2", "parts": "true"}, 30, 6)
	d, err := LoadSplit(data, "train")
	if err != nil {
		t.Fatal(err)
	}
	if d.Images.Len() != 30 || d.Images.Shape != [3]int{3, 128, 128} || len(d.Parts.Whole) != 30 {
		t.Fatalf("%d images of %v, %d composites", d.Images.Len(), d.Images.Shape, len(d.Parts.Whole))
	}
	// The canvas is white: pages name no background.
	for i, x := range d.Background {
		if x != 1 {
			t.Fatalf("background value %d is %v, want 1 (white)", i, x)
		}
	}
	for k, of := range d.Parts.Of {
		if of[0] < 0 || of[3] < 0 {
			t.Fatalf("page %d lacks its header or container: %v", k, of)
		}
		if (of[1] >= 0 || of[2] >= 0) != (d.Class[k] != 0) || (of[1] >= 0 && of[2] >= 0) {
			t.Fatalf("page %d: menu class %d, menu slots %v", k, d.Class[k], of[1:3])
		}
		if (of[4] >= 0) != (d.Factors.Values[1][k] == 1) {
			t.Fatalf("page %d: footer factor %d, footer slot %d", k, d.Factors.Values[1][k], of[4])
		}
		// Labels name each part: 100·slot + the header's buttons or the
		// container's rows, −1 where there is no part.
		lab := d.Parts.Labels[k]
		if lab[0] != d.Factors.Values[3][k] || lab[3] != 300+d.Factors.Values[2][k] {
			t.Fatalf("page %d: labels %v, want header %d and container %d", k, lab, d.Factors.Values[3][k], 300+d.Factors.Values[2][k])
		}
		for s := range of {
			if (of[s] < 0) != (lab[s] < 0) || (lab[s] >= 0 && lab[s]/100 != s) {
				t.Fatalf("page %d: labels %v for parts %v", k, lab, of)
			}
		}
	}
}

func TestLoadSplitOfRelationsLabelsFigures(t *testing.T) {
	// Two parts have the same label exactly when their figures have the
	// same shape and color, in either slot: hard distractors rest on it.
	data := writeDataset(t, t.TempDir(), "relations", tinyRelations, 60, 4)
	d, err := LoadSplit(data, "train")
	if err != nil {
		t.Fatal(err)
	}
	f := map[string][]int{}
	for j, name := range d.Factors.Names {
		f[name] = d.Factors.Values[j]
	}
	if len(f["subject_shape"]) == 0 || len(f["object_color"]) == 0 {
		t.Fatalf("figure factors missing: %v", d.Factors.Names)
	}
	figure := func(k, slot int) [2]int {
		if slot == 0 {
			return [2]int{f["subject_shape"][k], f["subject_color"][k]}
		}
		return [2]int{f["object_shape"][k], f["object_color"][k]}
	}
	same, differ := 0, 0
	for a := range d.Parts.Labels {
		for b := range d.Parts.Labels {
			for sa := range 2 {
				for sb := range 2 {
					eq := d.Parts.Labels[a][sa] == d.Parts.Labels[b][sb]
					if eq != (figure(a, sa) == figure(b, sb)) {
						t.Fatalf("composite %d slot %d (%v, label %d) and %d slot %d (%v, label %d)", a, sa, figure(a, sa), d.Parts.Labels[a][sa], b, sb, figure(b, sb), d.Parts.Labels[b][sb])
					}
					if eq {
						same++
					} else {
						differ++
					}
				}
			}
		}
	}
	if same == 0 || differ == 0 {
		t.Errorf("%d equal and %d different label pairs: the check saw one kind only", same, differ)
	}
}

func TestLoadSplitOfShapes(t *testing.T) {
	// Shapes' class is color·len(shapes) + shape, split into ShapeOf and
	// ColorOf; the factors are shape and color, then the continuous ones
	// discretised; a fixed size is dropped as not varying.
	data := writeDataset(t, t.TempDir(), "shapes", map[string]string{"image_size": "16", "size_min": "8", "size_max": "8"}, 40, 4)
	d, err := LoadSplit(data, "train")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"shape", "color", "x", "y", "rotation"}; !slices.Equal(d.Factors.Names, want) {
		t.Errorf("factors %v, want %v", d.Factors.Names, want)
	}
	shapes := len(generators.Shapes{}.DefaultConfig().(*generators.ShapesConfig).Shapes)
	for i, c := range d.Class {
		if c != d.ColorOf[i]*shapes+d.ShapeOf[i] || d.ClassNames[c] == "" {
			t.Fatalf("image %d: class %d, color %d, shape %d", i, c, d.ColorOf[i], d.ShapeOf[i])
		}
	}
	if d.Parts != nil {
		t.Error("shapes have no parts")
	}
}

func TestLoadSplitRefusals(t *testing.T) {
	dir := t.TempDir()
	counting := writeDataset(t, dir, "counting", nil, 2, 1)
	rel := writeDataset(t, dir, "relations", map[string]string{"single_fraction": "0.5", "image_size": "16", "size_min": "6", "size_max": "8"}, 20, 1)
	tests := []struct {
		name, dir, split, msg string
	}{
		{"a dataset without adapter", counting, "train", "the VAE reads relations, shapes, webpages datasets"},
		{"no such split", rel, "val", `has no split "val"`},
		{"single figures", rel, "train", "generate with single_fraction=0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadSplit(tt.dir, tt.split)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want one containing %q", err, tt.msg)
			}
		})
	}
}

func TestLoadSplitOfRelationsLabelsInReadingOrder(t *testing.T) {
	// The judge's labels name the figures in reading order: the same two
	// figures as subject and object, the subject first when it is above.
	data := writeDataset(t, t.TempDir(), "relations", tinyRelations, 60, 4)
	d, err := LoadSplit(data, "train")
	if err != nil {
		t.Fatal(err)
	}
	col := func(f latent.Factors, name string) []int {
		i := slices.Index(f.Names, name)
		if i < 0 {
			t.Fatalf("no %s among %v", name, f.Names)
		}
		return f.Values[i]
	}
	if want := []string{"relation", "first_shape", "first_color", "second_shape", "second_color"}; !slices.Equal(d.Labels.Names, want) {
		t.Fatalf("labels %v, want %v", d.Labels.Names, want)
	}
	above := slices.Index(d.ClassNames, "above")
	swapped := 0
	for i := range d.Images.Len() {
		subj := [2]int{col(d.Factors, "subject_shape")[i], col(d.Factors, "subject_color")[i]}
		obj := [2]int{col(d.Factors, "object_shape")[i], col(d.Factors, "object_color")[i]}
		first := [2]int{col(d.Labels, "first_shape")[i], col(d.Labels, "first_color")[i]}
		second := [2]int{col(d.Labels, "second_shape")[i], col(d.Labels, "second_color")[i]}
		switch {
		case first == subj && second == obj:
		case first == obj && second == subj:
			if d.Class[i] == above && subj != obj {
				t.Errorf("image %d: the subject is above, read second", i)
			}
			if subj != obj {
				swapped++
			}
		default:
			t.Errorf("image %d: figures %v, %v read as %v, %v", i, subj, obj, first, second)
		}
		if col(d.Labels, "relation")[i] != d.Class[i] {
			t.Errorf("image %d: relation label %d, class %d", i, col(d.Labels, "relation")[i], d.Class[i])
		}
	}
	// "next to" draws the subject on either side: some are read second.
	if swapped == 0 {
		t.Error("no subject read second")
	}
}

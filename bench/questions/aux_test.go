package questions

import (
	"slices"
	"strings"
	"testing"
)

func TestProgramArgs(t *testing.T) {
	tests := []struct {
		program string
		want    []string
	}{
		{"query_shape(unique(filter_color[yellow](scene())))", []string{"filter_color[yellow]"}},
		{"greater_than(count(filter_color[yellow](scene())), count(filter_color[orange](scene())))", []string{"filter_color[orange]", "filter_color[yellow]"}},
		{"count(relate[above](unique(filter_color[gray](scene()))))", []string{"filter_color[gray]", "relate[above]"}},
		{"with_swap[5,6](query_shape(position[6](scene())))", []string{"position[6]", "with_swap[5,6]"}},
		{"equal(count(filter_color[red](scene())), count(filter_color[red](scene())))", []string{"filter_color[red]"}},
		{"count(scene())", nil},
		{"", nil},
	}
	for _, tt := range tests {
		t.Run(tt.program, func(t *testing.T) {
			if got := ProgramArgs(tt.program); !slices.Equal(got, tt.want) {
				t.Errorf("ProgramArgs = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestAuxTargets: each question's arguments share its row equally, a
// question without arguments has a zero row, and an argument the training
// programs lack is left out.
func TestAuxTargets(t *testing.T) {
	train := &Set{Program: []string{
		"query_shape(unique(filter_color[red](scene())))",
		"greater_than(count(filter_color[red](scene())), count(filter_shape[circle](scene())))",
		"count(scene())",
	}, Answer: []string{"a", "b", "c"}}
	v := NewAuxVocab(train.Program)
	if want := (AuxVocab{"filter_color[red]", "filter_shape[circle]"}); !slices.Equal(v, want) {
		t.Fatalf("vocabulary %q, want %q", v, want)
	}
	got := v.targets(train, nil)
	want := []float32{1, 0, 0.5, 0.5, 0, 0}
	if !slices.Equal(got, want) {
		t.Errorf("targets %v, want %v", got, want)
	}
	test := &Set{Program: []string{"count(filter_color[blue](filter_shape[circle](scene())))"}, Answer: []string{"1"}}
	if got := v.targets(test, []int{0}); !slices.Equal(got, []float32{0, 1}) {
		t.Errorf("unseen argument: targets %v, want [0 1]", got)
	}
}

func FuzzProgramArgs(f *testing.F) {
	for _, s := range []string{"query_shape(unique(filter_color[yellow](scene())))", "with_swap[1,2](x)", "a[", "]b[c]]", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, program string) {
		args := ProgramArgs(program)
		if !slices.IsSorted(args) || len(slices.Compact(slices.Clone(args))) != len(args) {
			t.Fatalf("%q: args %q not sorted and distinct", program, args)
		}
		for _, a := range args {
			if !strings.HasSuffix(a, "]") || !strings.Contains(program, a) {
				t.Fatalf("%q: argument %q is not a bracketed call in the program", program, a)
			}
		}
	})
}

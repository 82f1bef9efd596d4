package questions

import (
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
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

// TestCurriculumFeeder: the first stage's steps feed only its questions
// (a position i mapped to first[i mod len]), a later stage's feed half its
// own and half the earlier stages', later steps feed the positions as
// given (or replay a share), and a resumed feeder (start > 0) counts the
// steps already made.
func TestCurriculumFeeder(t *testing.T) {
	var got [][]int
	base := func(_ []*tensor.Dense, idx []int) { got = append(got, slices.Clone(idx)) }
	first := [][]int{{10, 11, 12}}
	f := sampledFeeder(base, sampling{stages: first, steps: 2}, 0)
	f(nil, []int{0, 4})
	f(nil, []int{5, 1})
	f(nil, []int{2, 3})
	want := [][]int{{10, 11}, {12, 11}, {2, 3}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("fed %v, want %v", got, want)
	}
	got = nil
	f = sampledFeeder(base, sampling{stages: first, steps: 2}, 1) // resumed after one step
	f(nil, []int{4})
	f(nil, []int{4})
	if want := [][]int{{11}, {4}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("resumed: fed %v, want %v", got, want)
	}
	got = nil
	f = sampledFeeder(base, sampling{stages: first, steps: 1, share: 0.5}, 0) // replay half after one step
	f(nil, []int{0, 1, 2, 3})
	f(nil, []int{4, 5, 6, 7})
	if want := [][]int{{10, 11, 12, 10}, {11, 12, 6, 7}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("replay: fed %v, want %v", got, want)
	}
	got = nil
	// Three stages of one step each, then a replay of a quarter of all
	// three stages' questions.
	f = sampledFeeder(base, sampling{stages: [][]int{{10, 11}, {20}, {30, 31, 32}}, steps: 1, share: 0.25}, 0)
	f(nil, []int{0, 1, 2, 3})
	f(nil, []int{0, 1, 2, 3})
	f(nil, []int{0, 1, 2, 3})
	f(nil, []int{4, 5, 6, 7})
	want = [][]int{{10, 11, 10, 11}, {20, 20, 10, 11}, {30, 31, 20, 10}, {31, 5, 6, 7}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("stages: fed %v, want %v", got, want)
	}
	got = nil
	// Balanced over two families, after a one-step curriculum that
	// replays half: position i is family i mod 2's question ⌊i/2⌋ mod len.
	f = sampledFeeder(base, sampling{stages: first, steps: 1, share: 0.5, families: [][]int{{0, 2, 4}, {1}}}, 0)
	f(nil, []int{0, 1})
	f(nil, []int{7, 3, 4, 5})
	if want := [][]int{{10, 11}, {11, 10, 4, 1}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("balanced: fed %v, want %v", got, want)
	}
	set := &Set{Family: []string{"a", "b", "a", "c"}}
	s, missing := Tuning{Curriculum: []string{"a", "c"}, CurriculumQuestions: 130}.sampling(set, 64)
	if !slices.EqualFunc(s.stages, [][]int{{0, 2, 3}}, slices.Equal) || s.steps != 2 || missing != nil || s.families != nil {
		t.Errorf("curriculum: %+v (missing %v), want stages [[0 2 3]] for 2 steps", s, missing)
	}
	s, missing = Tuning{Curriculum: []string{"a"}, CurriculumStages: [][]string{{"b", "c"}, {"d"}}, CurriculumQuestions: 64}.sampling(set, 64)
	if !slices.EqualFunc(s.stages, [][]int{{0, 2}, {1, 3}, nil}, slices.Equal) || !slices.Equal(missing, []string{"d"}) {
		t.Errorf("stages: %v, missing %v; want [[0 2] [1 3] []] and [d]", s.stages, missing)
	}
	s, _ = Tuning{BalanceFamilies: true}.sampling(set, 64)
	if !slices.EqualFunc(s.families, [][]int{{0, 2}, {1}, {3}}, slices.Equal) || s.stages != nil {
		t.Errorf("balanced: %+v, want families [[0 2] [1] [3]]", s)
	}
}

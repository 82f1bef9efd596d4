package scenes

import (
	"errors"
	"testing"
)

func TestParseCountCaption(t *testing.T) {
	valid := map[string]CountCaption{
		"3 circles, 1 square, 5 triangles":         {Family: Counts, Groups: []Group{{3, "", "", "circle"}, {1, "", "", "square"}, {5, "", "", "triangle"}}},
		"1 star":                                   {Family: Counts, Groups: []Group{{1, "", "", "star"}}},
		"3 large red squares":                      {Family: Attributes, Groups: []Group{{3, "large", "red", "square"}}},
		"3 large red squares, 1 small blue circle": {Family: Attributes, Groups: []Group{{3, "large", "red", "square"}, {1, "small", "blue", "circle"}}},
		"2 large red squares, 3 triangles on top":  {Family: Stacking, Groups: []Group{{2, "large", "red", "square"}, {3, "", "", "triangle"}}},
		"one square on top of the other":           {Family: Stacking, Groups: []Group{{1, "", "", "square"}, {1, "", "", "square"}}, Pair: true},
	}
	for s, want := range valid {
		got, err := ParseCountCaption(s)
		if err != nil || !got.Equal(want) || got.Family != want.Family {
			t.Errorf("ParseCountCaption(%q) = %+v, %v", s, got, err)
		}
		if got.String() != s {
			t.Errorf("%q prints back as %q", s, got.String())
		}
	}
	invalid := map[string]int{
		"3 circle":                            2,
		"1 squares":                           2,
		"0 squares":                           0,
		"03 squares":                          0,
		"3 circles,":                          10,
		"3 circles, 2 large red squares":      11,
		"2 large red squares, 3 triangles on": 35,
		"one square on top of another":        21,
		"3 large mauve squares":               8,
		"2 squares, 3 triangles on top":       23,
	}
	for s, pos := range invalid {
		_, err := ParseCountCaption(s)
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Pos != pos {
			t.Errorf("ParseCountCaption(%q) = %v, want an error at byte %d", s, err, pos)
		}
	}
	a, _ := ParseCountCaption("1 square, 3 circles")
	b, _ := ParseCountCaption("3 circles, 1 square")
	if !a.Equal(b) {
		t.Error("the order of groups does not change a counts caption's meaning")
	}
}

func FuzzCountCaptionRoundTrip(f *testing.F) {
	for _, s := range []string{"3 circles, 1 square, 5 triangles", "3 large red squares", "2 large red squares, 3 triangles on top", "one square on top of the other", "1 x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCountCaption(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Pos < 0 || pe.Pos > len(s) {
				t.Fatalf("error %v has no position inside the input", err)
			}
			return
		}
		if c.String() != s {
			t.Fatalf("%q printed back as %q", s, c.String())
		}
		again, err := ParseCountCaption(c.Canonical().String())
		if err != nil || !again.Equal(c) {
			t.Fatalf("canonical form of %q does not parse to the same: %v", s, err)
		}
	})
}

package scenes

import (
	"errors"
	"testing"
)

func TestParseCaption(t *testing.T) {
	tests := []struct {
		in   string
		want Caption
		pos  int // -1: valid
	}{
		{"red square", Caption{A: Figure{"red", "square"}}, -1},
		{"green square above blue square", Caption{Figure{"green", "square"}, "above", Figure{"blue", "square"}}, -1},
		{"blue circle next_to red square", Caption{Figure{"blue", "circle"}, "next_to", Figure{"red", "square"}}, -1},
		{"red squar", Caption{}, 4},
		{"red square on blue circle", Caption{}, 11},
		{"red square above", Caption{}, 16},
		{"red square above blue circle now", Caption{}, 29},
		{"red  square", Caption{}, 4},
		{"", Caption{}, 0},
		{"mauve square", Caption{}, 0},
	}
	for _, tt := range tests {
		got, err := ParseCaption(tt.in)
		if tt.pos < 0 {
			if err != nil || got != tt.want {
				t.Errorf("ParseCaption(%q) = %+v, %v", tt.in, got, err)
			}
			continue
		}
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Pos != tt.pos {
			t.Errorf("ParseCaption(%q) error %v, want one at byte %d", tt.in, err, tt.pos)
		}
	}
}

func TestCanonical(t *testing.T) {
	same := [][2]string{
		{"red square above blue circle", "blue circle below red square"},
		{"red square left_of blue circle", "blue circle right_of red square"},
		{"red square next_to blue circle", "blue circle next_to red square"},
	}
	for _, p := range same {
		a, _ := ParseCaption(p[0])
		b, _ := ParseCaption(p[1])
		if a.Canonical() != b.Canonical() {
			t.Errorf("%q and %q should be equal: %v vs %v", p[0], p[1], a.Canonical(), b.Canonical())
		}
	}
	a, _ := ParseCaption("red square above blue circle")
	b, _ := ParseCaption("blue circle above red square")
	if a.Canonical() == b.Canonical() {
		t.Error("swapping the figures of above changes the meaning")
	}
}

func FuzzCaptionRoundTrip(f *testing.F) {
	for _, s := range []string{"red square", "green square above blue square", "blue circle next_to red square", "red", "a b c d e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCaption(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Pos < 0 || pe.Pos > len(s) {
				t.Fatalf("error %v has no position inside the input", err)
			}
			return
		}
		if c.String() != s {
			t.Fatalf("printed %q back as %q", s, c.String())
		}
		k := c.Canonical()
		if k.Canonical() != k {
			t.Fatalf("canonical form of %q is not stable", s)
		}
		if again, err := ParseCaption(k.String()); err != nil || again != k {
			t.Fatalf("canonical %q does not parse back: %v", k, err)
		}
	})
}

package generators

import (
	"encoding/json"
	"math"
	"testing"
)

// The appenders write what encoding/json writes, for strings that take
// the fast path and strings that do not, and for floats in both notations.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "red circle", "How many objects are between the red and the gray one?",
		`quote " and \ backslash`, "<b>&</b>", "tab\there", "naïve ünïcode", "\u2028", "bad \xff utf-8", "count(filter_shape[circle](scene()))"} {
		want, _ := json.Marshal(s)
		if got := AppendJSONString([]byte("x"), s); string(got) != "x"+string(want) {
			t.Errorf("string %q: got %s, want %s", s, got[1:], want)
		}
	}
	for _, f := range []float64{0, math.Copysign(0, -1), 1, 37, 37.5, -12.25, 1e-7, 1.5e-9, 1e20, 1e21, 123456789e15, 0.1, 1.0 / 3, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		want, _ := json.Marshal(f)
		got, err := AppendJSONFloat(nil, f)
		if err != nil || string(got) != string(want) {
			t.Errorf("float %v: got %s (%v), want %s", f, got, err, want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := AppendJSONFloat(nil, f); err == nil {
			t.Errorf("float %v: no error", f)
		}
	}
}

package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"
)

// The plain progress line's rate counts only what was done since the
// first report: a resumed run at step 900 is not 900 steps fast.
func TestProgressRateCountsFromTheFirstReport(t *testing.T) {
	var buf bytes.Buffer
	p := &progress{w: &buf, what: "train", unit: "steps", start: time.Now().Add(-10 * time.Second)}
	p.Set(900, 2000)
	p.last = time.Time{}
	p.Set(1000, 2000)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if got := lines[len(lines)-1]; got != "train: 1000/2000 steps (50%), 10 steps/s, about 1m40s left" {
		t.Fatalf("got %q", got)
	}
}

// The rate keeps two significant digits below 10 units/s (a segnet on
// 256-px pages makes under one step a second, which "%.0f" printed as 0),
// and the time left follows from it.
func TestRateAndLeft(t *testing.T) {
	for _, tt := range []struct {
		rate float64
		left int
		want string
	}{
		{32.4, 1000, ", 32 steps/s, about 31s left"},
		{10, 0, ", 10 steps/s"},
		{8.24, 1500, ", 8.2 steps/s, about 3m2s left"},
		{0.347, 1500, ", 0.35 steps/s, about 1h12m3s left"},
		{0.0042, 1, ", 0.0042 steps/s, about 3m58s left"},
		{0, 10, ""},
		{math.Inf(1), 10, ""},
		{math.NaN(), 10, ""},
	} {
		if got := rateAndLeft(tt.rate, tt.left, "steps"); got != tt.want {
			t.Errorf("rateAndLeft(%v, %d) = %q, want %q", tt.rate, tt.left, got, tt.want)
		}
	}
}

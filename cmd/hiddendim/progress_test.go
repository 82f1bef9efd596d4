package main

import (
	"bytes"
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
	if got := lines[len(lines)-1]; got != "train: 1000/2000 steps (50%), 10 steps/s" {
		t.Fatalf("got %q", got)
	}
}

package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows how far a long job is: a bar on a terminal, a plain line
// every few seconds otherwise (logs, CI). The clock here only paces the
// display; nothing it reads reaches data or weights.
type progress struct {
	bar   *progressbar.ProgressBar
	w     io.Writer
	what  string
	unit  string
	start time.Time
	last  time.Time
	// from is the count at the first Set (a resumed run's step): the rate
	// counts what was done since.
	from    int
	started bool
}

func newProgress(what, unit string, total int) *progress {
	p := &progress{w: os.Stderr, what: what, unit: unit, start: time.Now()}
	p.last = p.start
	if term.IsTerminal(int(os.Stderr.Fd())) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(os.Stderr),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(unit),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// Set reports done of total.
func (p *progress) Set(done, total int) {
	if !p.started {
		p.from, p.started = done, true
	}
	if p.bar != nil {
		p.bar.Set(done)
		return
	}
	if now := time.Now(); now.Sub(p.last) >= 2*time.Second {
		p.last = now
		fmt.Fprintf(p.w, "%s: %d/%d %s (%.0f%%)%s\n", p.what, done, total, p.unit,
			100*float64(done)/float64(max(total, 1)), rateAndLeft(float64(done-p.from)/now.Sub(p.start).Seconds(), total-done, p.unit))
	}
}

// rateAndLeft says how fast the work goes and, at that rate, how long the
// left units take: ", 0.85 steps/s, about 24m10s left". Slow rates keep
// two significant digits, so that a job below 1 unit/s does not read 0;
// nothing is said of a rate not yet measured.
func rateAndLeft(rate float64, left int, unit string) string {
	if !(rate > 0) || math.IsInf(rate, 0) {
		return ""
	}
	r := fmt.Sprintf("%.0f", rate)
	if rate < 10 {
		r = strconv.FormatFloat(rate, 'g', 2, 64)
	}
	s := fmt.Sprintf(", %s %s/s", r, unit)
	if left > 0 {
		s += fmt.Sprintf(", about %s left", (time.Duration(float64(left) / rate * float64(time.Second))).Round(time.Second))
	}
	return s
}

// Clear takes the bar off the terminal so that a line can be printed; the
// next Set draws it again.
func (p *progress) Clear() {
	if p.bar != nil {
		p.bar.Clear()
	}
}

// Finish clears the bar.
func (p *progress) Finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

// Elapsed is the wall time since the start, for the closing summary.
func (p *progress) Elapsed() time.Duration { return time.Since(p.start) }

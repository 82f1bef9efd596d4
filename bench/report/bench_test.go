package report

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/hiddendim/hiddendim/bench"
)

// BenchmarkWrite writes the report of the quick suite's 16 records (7
// tasks: 14 plots), without a dataset cache.
func BenchmarkWrite(b *testing.B) {
	h := harness()
	recs := readQuick(b)
	out := filepath.Join(b.TempDir(), "r")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Write(h, recs, Options{Out: out}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}

// BenchmarkLeaderboardPeer renders the same records as the terminal's
// leaderboard tables: the peer the report's time is stated against.
func BenchmarkLeaderboardPeer(b *testing.B) {
	h := harness()
	recs := readQuick(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := bench.WriteBoards(io.Discard, h.Aggregate(recs), "table"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reports/s")
}

// Package writebench measures generators.Write end to end (render, encode,
// write files, on all cores) and checks that the worker count does not
// change what it writes.
package writebench

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// Run writes n samples of ds (its default config) as PNG files into a fresh
// folder per iteration and reports the rate as unit/s (samples/s, images/s).
func Run(b *testing.B, ds generators.Dataset, n int, unit string) {
	RunFormat(b, ds, n, unit, generators.FormatPNG)
}

// RunFormat is Run in the given on-disk format. Besides the rate it
// reports the CPU time (user and system, all threads) per sample, as
// cpu-µs/sample (or /image, /page): on a machine shared with other work the
// rate falls with what the others take, the CPU time much less.
func RunFormat(b *testing.B, ds generators.Dataset, n int, unit string, format generators.Format) {
	b.ReportAllocs()
	i := 0
	cpu0 := cpuTime()
	for b.Loop() {
		out := filepath.Join(b.TempDir(), strconv.Itoa(i))
		i++
		spec := generators.Spec{Dataset: ds, Seed: 1, Splits: []generators.SplitSize{{Name: "train", Count: n}}}
		if _, err := generators.Write(context.Background(), spec, generators.WriteOptions{Out: out, Format: format}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), unit+"/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(cpu.Seconds()*1e6/float64(n*b.N), "cpu-µs/"+strings.TrimSuffix(unit, "s"))
	}
}

// WorkersAgree writes spec with 1 and with 3 workers, as PNG files and as
// tar files, and fails t unless every split's hash (of its SHA256SUMS, so
// of every byte) is the same for both worker counts.
func WorkersAgree(t testing.TB, spec generators.Spec) {
	t.Helper()
	for _, format := range []generators.Format{generators.FormatPNG, generators.FormatTar} {
		var hashes []map[string]generators.SplitInfo
		for _, workers := range []int{1, 3} {
			out := filepath.Join(t.TempDir(), strconv.Itoa(workers))
			// 7 samples per tar file: chunks of work end inside tar files.
			m, err := generators.Write(context.Background(), spec, generators.WriteOptions{Out: out, Workers: workers, Format: format, ShardSamples: 7})
			if err != nil {
				t.Fatal(err)
			}
			hashes = append(hashes, m.Splits)
		}
		for name, a := range hashes[0] {
			if b := hashes[1][name]; a.SHA256 != b.SHA256 {
				t.Errorf("%s %s, format %s: 1 and 3 workers wrote different files", spec.Dataset.Name(), name, format)
			}
		}
	}
}

package clevrlite

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/hiddendim/hiddendim/generators"
)

// BenchmarkSortOfCLEVR writes images with their 30 questions to disk on
// all cores, as `hiddendim generate clevrlite` does.
func BenchmarkSortOfCLEVR(b *testing.B) {
	const n = 5000
	i := 0
	for b.Loop() {
		out := filepath.Join(b.TempDir(), strconv.Itoa(i))
		i++
		spec := generators.Spec{Dataset: SortOfCLEVR{}, Seed: 1, Splits: []generators.SplitSize{{Name: "train", Count: n}}}
		if _, err := generators.Write(context.Background(), spec, generators.WriteOptions{Out: out}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
}

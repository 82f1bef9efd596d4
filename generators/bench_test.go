package generators

import (
	"context"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// BenchmarkShapes measures the whole write path on disk: render, two PNG
// encodes, two files and a samples.jsonl line per sample, on all cores.
func BenchmarkShapes(b *testing.B) {
	const n = 20000
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		out := filepath.Join(b.TempDir(), strconv.Itoa(i))
		i++
		spec := Spec{Dataset: Shapes{}, Seed: 1, Splits: []SplitSize{{"train", n}}}
		if _, err := Write(context.Background(), spec, WriteOptions{Out: out}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "cores")
}

// BenchmarkShapesRender measures drawing alone, on one core.
func BenchmarkShapesRender(b *testing.B) {
	s, err := Shapes{}.New(Shapes{}.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	r := s.NewRenderer()
	rng := NewSampleRand(1, "train", 0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := r.Render(SampleKey{Seed: 1, Split: "train", Index: i}, rng); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

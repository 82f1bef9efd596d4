package generators_test

import (
	"testing"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/internal/writebench"
)

// BenchmarkShapes measures the whole write path on disk: render, two PNG
// encodes, two files and a samples.jsonl line per sample, on all cores.
// TMPDIR=/dev/shm measures the code rather than the disk.
func BenchmarkShapes(b *testing.B) { writebench.Run(b, generators.Shapes{}, 20000, "samples") }

// BenchmarkShapesTar writes the same as WebDataset tar files: one file per
// 1000 samples instead of two per sample.
func BenchmarkShapesTar(b *testing.B) {
	writebench.RunFormat(b, generators.Shapes{}, 20000, "samples", generators.FormatTar)
}

// BenchmarkShapesRender measures drawing alone, on one core.
func BenchmarkShapesRender(b *testing.B) {
	ds := generators.Shapes{}
	s, err := ds.New(ds.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	r := s.NewRenderer()
	rng := generators.NewSampleRand(1, "train", 0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := r.Render(generators.SampleKey{Seed: 1, Split: "train", Index: i}, rng); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

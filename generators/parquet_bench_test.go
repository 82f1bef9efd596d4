package generators_test

import (
	"testing"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/internal/writebench"
	"github.com/hiddendim/hiddendim/scenes"
	"github.com/hiddendim/hiddendim/webpages"
)

// BenchmarkParquetWrite measures writing parquet (and relations' npz,
// whose lists are padded from a spill file) against png in the same run, end to end on all cores (render, PNG encodes, then files and a
// samples.jsonl line, or parquet rows), for a flat record (shapes), one with
// lists (relations) and one with a tree, three large images and HTML
// (webpages). TMPDIR=/dev/shm measures the code rather than
// the disk.
func BenchmarkParquetWrite(b *testing.B) {
	for _, d := range []struct {
		name string
		ds   generators.Dataset
		n    int
	}{{"shapes", generators.Shapes{}, 10000}, {"relations", scenes.Relations{}, 10000}, {"webpages", webpages.Pages{}, 500}} {
		formats := []generators.Format{generators.FormatPNG, generators.FormatParquet}
		if d.name == "relations" { // lists padded in npz
			formats = append(formats, generators.FormatNPZ)
		}
		for _, f := range formats {
			b.Run(d.name+"/"+string(f), func(b *testing.B) { writebench.RunFormat(b, d.ds, d.n, "samples", f) })
		}
	}
}

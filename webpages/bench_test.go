package webpages

import (
	"testing"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/internal/writebench"
)

// BenchmarkWrite writes default 256×256 pages to disk on all cores (set
// TMPDIR to measure another file system).
func BenchmarkWrite(b *testing.B) { writebench.Run(b, Pages{}, 2000, "pages") }

// BenchmarkWriteTar writes the same pages as WebDataset tar files.
func BenchmarkWriteTar(b *testing.B) {
	writebench.RunFormat(b, Pages{}, 2000, "pages", generators.FormatTar)
}

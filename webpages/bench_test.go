package webpages

import (
	"testing"

	"github.com/hiddendim/hiddendim/internal/writebench"
)

// BenchmarkWrite writes default 256×256 pages to disk on all cores (set
// TMPDIR to measure another file system).
func BenchmarkWrite(b *testing.B) { writebench.Run(b, Pages{}, 2000, "pages") }

package clevrlite

import (
	"testing"

	"github.com/hiddendim/hiddendim/generators"
	"github.com/hiddendim/hiddendim/internal/writebench"
)

// BenchmarkSortOfCLEVR writes 10,000 sort-of-CLEVR images (the default split sizes) with their 30
// questions each, as PNG files plus samples.jsonl.
func BenchmarkSortOfCLEVR(b *testing.B) { writebench.Run(b, SortOfCLEVR{}, 10000, "images") }

// BenchmarkSortOfCLEVRNPZ writes the same as one data.npz, the reference
// generator's one-file layout.
func BenchmarkSortOfCLEVRNPZ(b *testing.B) {
	writebench.RunFormat(b, SortOfCLEVR{}, 10000, "images", generators.FormatNPZ)
}

// BenchmarkSortOfCLEVRTar writes the same as WebDataset tar files.
func BenchmarkSortOfCLEVRTar(b *testing.B) {
	writebench.RunFormat(b, SortOfCLEVR{}, 10000, "images", generators.FormatTar)
}

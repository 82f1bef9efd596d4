package generators

import (
	"path/filepath"
	"testing"
)

func TestParquetMatchesPNG(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "png"), 5, WriteOptions{})
	m := write(t, filepath.Join(dir, "pq"), 5, WriteOptions{Format: FormatParquet, RowsPerFile: 100})
	if err := Verify(filepath.Join(dir, "pq")); err != nil {
		t.Error(err)
	}
	if got := len(parquetFiles("train", m.Splits["train"].Count, 100)); got != 3 {
		t.Errorf("230 samples at 100 a file: %d files, want 3", got)
	}
}

//go:build !unix

package generators

import (
	"os"
	"path/filepath"
	"sync"
)

// fileWriter creates many small files with os.WriteFile.
type fileWriter struct {
	mu   sync.Mutex
	made map[string]bool
}

func newFileWriter() *fileWriter { return &fileWriter{made: map[string]bool{}} }

func (w *fileWriter) write(path string, b []byte) error {
	dir := filepath.Dir(path)
	w.mu.Lock()
	if !w.made[dir] {
		if err := mkdirAll(dir); err != nil {
			w.mu.Unlock()
			return err
		}
		w.made[dir] = true
	}
	w.mu.Unlock()
	return os.WriteFile(path, b, 0o644)
}

func (w *fileWriter) Close() error { return nil }

//go:build unix

package generators

import (
	"fmt"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// fileWriter creates many small files. os.WriteFile costs eight system
// calls per file on Linux (open, four fcntl and a failing epoll_ctl to try
// the netpoller, write, close); this costs three — openat relative to a
// cached folder descriptor, write, close — which is most of the writer's
// time on datasets of small images.
type fileWriter struct {
	mu   sync.Mutex
	dirs map[string]int // folder → descriptor
}

func newFileWriter() *fileWriter { return &fileWriter{dirs: map[string]int{}} }

// dirFD returns an open descriptor of dir, creating the folder once.
func (w *fileWriter) dirFD(dir string) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if fd, ok := w.dirs[dir]; ok {
		return fd, nil
	}
	if err := mkdirAll(dir); err != nil {
		return -1, err
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("open %s: %w", dir, err)
	}
	w.dirs[dir] = fd
	return fd, nil
}

// write creates path (replacing any file there) holding b.
func (w *fileWriter) write(path string, b []byte) error {
	dfd, err := w.dirFD(filepath.Dir(path))
	if err != nil {
		return err
	}
	fd, err := unix.Openat(dfd, filepath.Base(path), unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return fmt.Errorf("write %s: %w", path, err)
		}
		b = b[n:]
	}
	if err := unix.Close(fd); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	return nil
}

// Close releases the folder descriptors.
func (w *fileWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for dir, fd := range w.dirs {
		unix.Close(fd)
		delete(w.dirs, dir)
	}
	return nil
}

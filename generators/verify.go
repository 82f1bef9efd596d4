package generators

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// VerifyError lists what Verify found wrong, one problem per line, each
// naming the file.
type VerifyError struct {
	Dir      string
	Problems []string
}

func (e *VerifyError) Error() string {
	const most = 20
	ps := e.Problems
	more := ""
	if len(ps) > most {
		more = fmt.Sprintf("\n  … and %d more", len(ps)-most)
		ps = ps[:most]
	}
	return fmt.Sprintf("generators: %s is not intact (%d problems):\n  %s%s", e.Dir, len(e.Problems), strings.Join(ps, "\n  "), more)
}

// Verify checks a dataset folder against its manifest and checksums: every
// listed file present with its recorded sha256, no file unlisted, each
// split's SHA256SUMS matching the manifest and holding the manifest's
// sample count. It returns nil when the folder is intact, a *VerifyError
// when it is not, or another error when it cannot be read.
func Verify(dir string) error {
	m, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	v := &VerifyError{Dir: dir}
	bad := func(format string, a ...any) { v.Problems = append(v.Problems, fmt.Sprintf(format, a...)) }
	listed := map[string]bool{ManifestFile: true}
	for _, name := range m.SplitOrder {
		info := m.Splits[name]
		listed[name] = true
		sumsPath := filepath.Join(dir, filepath.FromSlash(info.Checksums))
		sums, err := os.ReadFile(sumsPath)
		if err != nil {
			bad("%s: %v", info.Checksums, errors.Unwrap(err))
			continue
		}
		if hexSum(sums) != info.SHA256 {
			bad("%s: changed (its sha256 is not the manifest's)", info.Checksums)
		}
		files := map[string]bool{SumsFile: true}
		for n, line := range strings.Split(strings.TrimSuffix(string(sums), "\n"), "\n") {
			sum, rel, ok := strings.Cut(line, "  ")
			if !ok || len(sum) != 64 || !filepath.IsLocal(filepath.FromSlash(rel)) {
				bad("%s line %d: not \"<sha256>  <path>\"", info.Checksums, n+1)
				continue
			}
			files[rel] = true
			got, err := hashFile(filepath.Join(dir, name, filepath.FromSlash(rel)))
			switch {
			case errors.Is(err, fs.ErrNotExist):
				bad("%s/%s: missing", name, rel)
			case err != nil:
				bad("%s/%s: %v", name, rel, err)
			case got != sum:
				bad("%s/%s: content changed (sha256 %s…, want %s…)", name, rel, got[:12], sum[:12])
			}
		}
		// Anything on disk that the list does not name.
		var extra []string
		filepath.WalkDir(filepath.Join(dir, name), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			rel, _ := filepath.Rel(filepath.Join(dir, name), p)
			if !files[filepath.ToSlash(rel)] {
				extra = append(extra, name+"/"+filepath.ToSlash(rel))
			}
			return nil
		})
		sort.Strings(extra)
		for _, e := range extra {
			bad("%s: extra file, not in %s", e, info.Checksums)
		}
		if m.Format == FormatPNG && files["samples.jsonl"] {
			if n, err := countLines(filepath.Join(dir, name, "samples.jsonl")); err == nil && n != info.Count {
				bad("%s/samples.jsonl: %d samples, manifest says %d", name, n, info.Count)
			}
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !listed[e.Name()] {
			bad("%s: extra, not part of the dataset", e.Name())
		}
	}
	if len(v.Problems) > 0 {
		return v
	}
	return nil
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	r := bufio.NewReaderSize(f, 1<<16)
	buf := make([]byte, 1<<16)
	for {
		k, err := r.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

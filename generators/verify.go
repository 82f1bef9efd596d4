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
// sample count, and the manifest's format, shard and split ranges
// consistent with each other. It does not check what the manifest says
// against the generator that wrote it: VerifySpec does. It returns nil when
// the folder is intact, a *VerifyError when it is not, or another error
// when it cannot be read.
func Verify(dir string) error {
	m, err := ReadManifest(dir)
	if err != nil {
		return err
	}
	v := &VerifyError{Dir: dir}
	bad := func(format string, a ...any) { v.Problems = append(v.Problems, fmt.Sprintf(format, a...)) }
	listed := map[string]bool{ManifestFile: true}
	if _, err := ParseFormat(string(m.Format)); err != nil || m.Format == "" {
		bad("format: %q, want png, npz, tar or parquet", m.Format)
	}
	for _, e := range formatEntries(m.Format) {
		listed[e] = true
	}
	shared := map[string]bool{} // the files of splits that share a folder (parquet)
	if sh := m.Shard; sh != nil && (sh.Count < 2 || sh.Index < 0 || sh.Index >= sh.Count) {
		bad("shard: %d/%d, want K/N with 0 <= K < N and N >= 2", sh.Index, sh.Count)
	}
	for _, name := range m.SplitOrder {
		info := m.Splits[name]
		if m.Format != FormatParquet {
			listed[name] = true
		}
		checkRange(m, name, info, bad)
		base, _, want := splitPaths(dir, m.Format, name)
		if info.Checksums != want {
			bad("splits.%s.checksums: %q, want %q", name, info.Checksums, want)
			continue
		}
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
		if m.Format == FormatParquet {
			// The list is at the top, its paths relative to it.
			files, base = shared, dir
			listed[want] = true
		}
		lines := strings.Split(strings.TrimSuffix(string(sums), "\n"), "\n")
		if len(sums) == 0 {
			lines = nil // an empty split in format tar has no files
		}
		for n, line := range lines {
			sum, rel, ok := strings.Cut(line, "  ")
			if !ok || len(sum) != 64 || !filepath.IsLocal(filepath.FromSlash(rel)) {
				bad("%s line %d: not \"<sha256>  <path>\"", info.Checksums, n+1)
				continue
			}
			files[rel] = true
			got, err := hashFile(filepath.Join(base, filepath.FromSlash(rel)))
			where := rel
			if m.Format != FormatParquet {
				where = name + "/" + rel
			}
			switch {
			case errors.Is(err, fs.ErrNotExist):
				bad("%s: missing", where)
			case err != nil:
				bad("%s: %v", where, err)
			case got != sum:
				bad("%s: content changed (sha256 %s…, want %s…)", where, got[:12], sum[:12])
			}
		}
		if m.Format != FormatParquet {
			extraFiles(base, name+"/", "", files, info.Checksums, bad)
		}
		switch m.Format {
		case FormatPNG:
			if !files["samples.jsonl"] {
				bad("%s: lists no samples.jsonl, which format png has", info.Checksums)
			} else if n, err := countLines(filepath.Join(dir, name, "samples.jsonl")); err == nil && n != info.Count {
				bad("splits.%s.count: %d, but %s/samples.jsonl holds %d samples", name, info.Count, name, n)
			}
		case FormatNPZ:
			if !files["data.npz"] {
				bad("%s: lists no data.npz, which format npz has", info.Checksums)
			} else {
				checkNPZCount(filepath.Join(dir, name, "data.npz"), name, info, npzSplitFeatures(m, name), bad)
			}
		case FormatParquet:
			checkParquetSplit(dir, m, name, info, sums, bad)
		case FormatTar:
			checkTar(filepath.Join(dir, name), name, m, info, files, bad)
		}
	}
	if m.Format == FormatParquet {
		extraFiles(filepath.Join(dir, ParquetDir), ParquetDir+"/", ParquetDir+"/", shared, "the splits' checksums", bad)
		checkCard(dir, m, bad)
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

// extraFiles reports anything under folder that files does not list:
// files lists paths keyed by keyPrefix + the path in folder; messages name
// them by shown + the path.
func extraFiles(folder, shown, keyPrefix string, files map[string]bool, list string, bad func(string, ...any)) {
	var extra []string
	filepath.WalkDir(folder, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(folder, p)
		if !files[keyPrefix+filepath.ToSlash(rel)] {
			extra = append(extra, shown+filepath.ToSlash(rel))
		}
		return nil
	})
	sort.Strings(extra)
	for _, e := range extra {
		bad("%s: extra file, not in %s", e, list)
	}
}

// checkRange checks a split's count, first index and total against each
// other and against the manifest's shard.
func checkRange(m *Manifest, name string, info SplitInfo, bad func(string, ...any)) {
	if info.Count < 0 || info.First < 0 || info.Total < info.First+info.Count {
		bad("splits.%s: count %d, first %d, total %d: want 0 <= first and first+count <= total", name, info.Count, info.First, info.Total)
		return
	}
	sh := Shard{}
	if m.Shard != nil {
		sh = *m.Shard
	}
	if lo, hi := sh.Range(info.Total); lo != info.First || hi-lo != info.Count {
		what := "the whole split"
		if !sh.Whole() {
			what = fmt.Sprintf("shard %d/%d", sh.Index, sh.Count)
		}
		bad("splits.%s: count %d from first %d of total %d, but %s of %d samples is count %d from first %d",
			name, info.Count, info.First, info.Total, what, info.Total, hi-lo, lo)
	}
}

// checkNPZCount checks that every array of an npz split holds the
// manifest's sample count.
func checkNPZCount(path, name string, info SplitInfo, features []Feature, bad func(string, ...any)) {
	arrays, closeNPZ, err := openNPZ(path, npzFeatures(features))
	if err != nil {
		bad("%s/data.npz: %v", name, err)
		return
	}
	defer closeNPZ()
	for _, f := range npzFeatures(features) {
		if n := arrays[f.Name].shape[0]; n != info.Count {
			bad("splits.%s.count: %d, but %s/data.npz %s.npy holds %d samples", name, info.Count, name, f.Name, n)
		}
	}
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

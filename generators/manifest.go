package generators

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Format is how a split's samples are stored.
type Format string

const (
	// FormatPNG writes samples.jsonl plus one PNG per image.
	FormatPNG Format = "png"
	// FormatNPZ writes data.npz: one array per feature, for numpy.load.
	FormatNPZ Format = "npz"
	// FormatTar writes WebDataset shards: shard-000000.tar, … of
	// Manifest.ShardSamples samples each (see tar.go).
	FormatTar Format = "tar"
)

// ParseFormat accepts "png", "npz", "tar" or "parquet"; "" means png.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "", "png":
		return FormatPNG, nil
	case "npz":
		return FormatNPZ, nil
	case "tar":
		return FormatTar, nil
	case "parquet":
		return FormatParquet, nil
	}
	return "", fmt.Errorf("generators: unknown format %q; want png, npz, tar or parquet", s)
}

// Records reports whether the format keeps every sample's whole record,
// as samples.jsonl holds it: png, tar and parquet do (the parquet reader
// rebuilds each record's JSON byte for byte, its images from the row);
// npz keeps only the features of fixed size and padded lists.
func (f Format) Records() bool { return f == FormatPNG || f == FormatTar || f == FormatParquet }

// ManifestFile is the name of the file that marks a dataset folder complete.
const ManifestFile = "manifest.json"

// SumsFile is the per-split checksum list, in sha256sum(1) format.
const SumsFile = "SHA256SUMS"

// Manifest describes a complete dataset folder.
type Manifest struct {
	Dataset      string          `json:"dataset"`
	Version      string          `json:"version"`
	Seed         uint64          `json:"seed"`
	Config       json.RawMessage `json:"config"`
	ConfigSHA256 string          `json:"config_sha256"`
	Format       Format          `json:"format"`
	Features     []Feature       `json:"features"`
	// SplitOrder lists the splits in the order they were given.
	SplitOrder []string             `json:"split_order"`
	Splits     map[string]SplitInfo `json:"splits"`
	// Shard is set in a shard's manifest and absent once merged.
	Shard *Shard `json:"shard,omitempty"`
	// ShardSamples is, in format tar, how many samples each tar file
	// holds: file k of a split holds its samples k·ShardSamples onwards.
	ShardSamples int `json:"shard_samples,omitempty"`
	// Parquet describes the files of a parquet dataset.
	Parquet *ParquetInfo `json:"parquet,omitempty"`
	// NPZLists says, per split, how an npz dataset stores its list
	// features: padded arrays whose sizes depend on the split.
	NPZLists map[string][]NPZList `json:"npz_lists,omitempty"`
}

// SplitInfo describes one split of a dataset folder.
type SplitInfo struct {
	// Count is how many samples this folder holds.
	Count int `json:"count"`
	// First is the global index of the first of them, Total the size of the
	// whole split: they differ from 0 and Count only in a shard.
	First int `json:"first"`
	Total int `json:"total"`
	// SHA256 is the hash of the split's SHA256SUMS file, which lists every
	// file of the split: it changes when any byte of the split does.
	SHA256 string `json:"sha256"`
	// Checksums is the SHA256SUMS path relative to the dataset folder.
	Checksums string `json:"checksums"`
}

// Shard is part K (0-based) of N contiguous parts of every split.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// ParseShard parses "K/N" with 0 <= K < N.
func ParseShard(s string) (Shard, error) {
	k, n, ok := strings.Cut(s, "/")
	ki, err1 := strconv.Atoi(k)
	ni, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || ni < 1 || ki < 0 || ki >= ni {
		return Shard{}, fmt.Errorf("generators: shard %q: want K/N with 0 <= K < N, e.g. 0/4 for the first of four", s)
	}
	return Shard{ki, ni}, nil
}

// Whole reports whether s is the whole dataset (no sharding).
func (s Shard) Whole() bool { return s.Count <= 1 }

// Range returns the index range [lo, hi) of a split of n samples that shard
// s holds.
func (s Shard) Range(n int) (lo, hi int) {
	if s.Whole() {
		return 0, n
	}
	return int(int64(n) * int64(s.Index) / int64(s.Count)), int(int64(n) * int64(s.Index+1) / int64(s.Count))
}

// ErrNoManifest is wrapped by ReadManifest's error when the folder has no
// manifest.json: it is not a dataset, or its generation did not finish.
var ErrNoManifest = errors.New("no " + ManifestFile)

// ReadManifest reads dir/manifest.json. A folder without one is reported as
// incomplete, since the manifest is written last; that error wraps
// ErrNoManifest. ReadManifest checks the manifest's form (JSON, a dataset
// name, splits with valid names, each listed once in split_order), not
// what it says; Verify and VerifySpec check that.
func ReadManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("generators: %s has %w: it is not a dataset, or its generation did not finish", dir, ErrNoManifest)
	}
	if err != nil {
		return nil, fmt.Errorf("generators: %w", err)
	}
	return parseManifest(b, path)
}

// parseManifest decodes a manifest's bytes; path names it in errors.
func parseManifest(b []byte, path string) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("generators: %s: %w", path, err)
	}
	if m.Dataset == "" || len(m.Splits) == 0 {
		return nil, fmt.Errorf("generators: %s: no dataset or splits", path)
	}
	seen := map[string]bool{}
	for _, name := range m.SplitOrder {
		if _, ok := m.Splits[name]; !ok || !validSplitName(name) || seen[name] {
			return nil, fmt.Errorf("generators: %s: split_order: bad or repeated split %q", path, name)
		}
		seen[name] = true
	}
	for name := range m.Splits {
		if !seen[name] {
			return nil, fmt.Errorf("generators: %s: splits: %q is not in split_order", path, name)
		}
	}
	return &m, nil
}

// writeManifest writes the manifest atomically: a reader sees either no
// manifest or the whole of it.
func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	return writeFileAtomic(filepath.Join(dir, ManifestFile), b)
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func validSplitName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// ParseSplits parses "train=N,test=M".
func ParseSplits(s string) ([]SplitSize, error) {
	var out []SplitSize
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		name, n, ok := strings.Cut(strings.TrimSpace(part), "=")
		count, err := strconv.Atoi(n)
		if !ok || err != nil || count < 0 {
			return nil, fmt.Errorf("generators: splits %q: want name=count pairs with counts >= 0, e.g. train=1000,test=200", s)
		}
		if !validSplitName(name) {
			return nil, fmt.Errorf("generators: split name %q: want lowercase letters, digits, _ or -", name)
		}
		if seen[name] {
			return nil, fmt.Errorf("generators: split %q given twice", name)
		}
		seen[name] = true
		out = append(out, SplitSize{name, count})
	}
	return out, nil
}

package generators

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Merge joins the shards of one dataset (folders written by Write with
// WriteOptions.Shard) into out. Every shard is verified first, and all N
// must be there. The result is identical to the unsharded run: the same
// samples.jsonl, files, checksums, split hashes and manifest.
func Merge(shardDirs []string, out string, overwrite bool) (*Manifest, error) {
	if len(shardDirs) == 0 {
		return nil, fmt.Errorf("generators: merge needs the shard folders")
	}
	type shard struct {
		dir string
		m   *Manifest
	}
	var shards []shard
	for _, d := range shardDirs {
		if err := Verify(d); err != nil {
			return nil, fmt.Errorf("generators: merge: shard %s: %w", d, err)
		}
		m, _ := ReadManifest(d)
		shards = append(shards, shard{d, m})
	}
	first := shards[0].m
	count := 1
	if first.Shard != nil {
		count = first.Shard.Count
	}
	seen := make([]string, count)
	for _, s := range shards {
		m := s.m
		if m.Dataset != first.Dataset || m.Version != first.Version || m.Seed != first.Seed ||
			!bytes.Equal(m.Config, first.Config) || m.Format != first.Format || m.ShardSamples != first.ShardSamples ||
			!slices.Equal(m.SplitOrder, first.SplitOrder) || !sameParquet(m.Parquet, first.Parquet) {
			return nil, fmt.Errorf("generators: merge: %s and %s are not shards of one dataset (dataset, version, seed, config, format, splits, samples per tar file or parquet layout differ)", shards[0].dir, s.dir)
		}
		if m.Shard == nil || m.Shard.Count != count {
			return nil, fmt.Errorf("generators: merge: %s is not one of %d shards", s.dir, count)
		}
		if seen[m.Shard.Index] != "" {
			return nil, fmt.Errorf("generators: merge: %s and %s are both shard %d", seen[m.Shard.Index], s.dir, m.Shard.Index)
		}
		seen[m.Shard.Index] = s.dir
	}
	var missing []string
	for k, d := range seen {
		if d == "" {
			missing = append(missing, fmt.Sprintf("%d/%d", k, count))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("generators: merge: missing shards %s", strings.Join(missing, ", "))
	}
	slices.SortFunc(shards, func(a, b shard) int { return a.m.Shard.Index - b.m.Shard.Index })

	splits := make([]SplitSize, len(first.SplitOrder))
	for i, name := range first.SplitOrder {
		splits[i] = SplitSize{name, first.Splits[name].Total}
	}
	if err := prepareOut(out, splits, overwrite); err != nil {
		return nil, err
	}
	merged := *first
	merged.Shard = nil
	if first.Parquet != nil {
		pi := *first.Parquet
		pi.Bytes = map[string]int64{}
		merged.Parquet = &pi
	}
	merged.Splits = map[string]SplitInfo{}
	for _, name := range first.SplitOrder {
		total := first.Splits[name].Total
		next := 0
		dirs := make([]string, len(shards))
		infos := make([]SplitInfo, len(shards))
		for i, s := range shards {
			info := s.m.Splits[name]
			infos[i] = info
			if info.First != next || info.Total != total {
				return nil, fmt.Errorf("generators: merge: split %s of %s starts at %d, want %d", name, s.dir, info.First, next)
			}
			next += info.Count
			dirs[i] = filepath.Join(s.dir, name)
		}
		if next != total {
			return nil, fmt.Errorf("generators: merge: split %s: shards hold %d of %d samples", name, next, total)
		}
		dst := filepath.Join(out, name)
		var sum string
		var err error
		switch first.Format {
		case FormatParquet:
			roots := make([]string, len(shards))
			for i, s := range shards {
				roots[i] = s.dir
			}
			sum, err = mergeParquetSplit(roots, name, out, &merged, total)
		case FormatNPZ:
			shardLists := make([][]NPZList, len(shards))
			for i, s := range shards {
				shardLists[i] = s.m.NPZLists[name]
			}
			var lists []NPZList
			sum, lists, err = mergeNPZSplit(dirs, dst, npzFeatures(first.Features), total, shardLists)
			if len(lists) > 0 {
				if merged.NPZLists == nil {
					merged.NPZLists = map[string][]NPZList{}
				}
				merged.NPZLists[name] = lists
			}
		case FormatTar:
			sum, err = mergeTarSplit(dirs, infos, dst, first.ShardSamples)
		default:
			sum, err = mergePNGSplit(dirs, dst)
		}
		if err != nil {
			return nil, err
		}
		_, _, sumsRel := splitPaths(out, first.Format, name)
		merged.Splits[name] = SplitInfo{Count: total, First: 0, Total: total, SHA256: sum, Checksums: sumsRel}
	}
	if err := writeCard(out, &merged); err != nil {
		return nil, err
	}
	if err := writeManifest(out, &merged); err != nil {
		return nil, fmt.Errorf("generators: writing manifest: %w", err)
	}
	return &merged, nil
}

// mergePNGSplit concatenates samples.jsonl and copies the listed files, and
// returns the sha256 of the new SHA256SUMS.
func mergePNGSplit(srcs []string, dst string) (string, error) {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", fmt.Errorf("generators: %w", err)
	}
	jsonl, err := os.Create(filepath.Join(dst, "samples.jsonl"))
	if err != nil {
		return "", fmt.Errorf("generators: %w", err)
	}
	defer jsonl.Close()
	jh := sha256.New()
	var sums bytes.Buffer
	dirs := map[string]bool{}
	for _, src := range srcs {
		in, err := os.Open(filepath.Join(src, "samples.jsonl"))
		if err != nil {
			return "", fmt.Errorf("generators: %w", err)
		}
		_, err = io.Copy(io.MultiWriter(jsonl, jh), in)
		in.Close()
		if err != nil {
			return "", fmt.Errorf("generators: %w", err)
		}
		list, err := os.ReadFile(filepath.Join(src, SumsFile))
		if err != nil {
			return "", fmt.Errorf("generators: %w", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(list))
		for sc.Scan() {
			line := sc.Text()
			_, rel, _ := strings.Cut(line, "  ")
			if rel == "samples.jsonl" {
				continue
			}
			to := filepath.Join(dst, filepath.FromSlash(rel))
			if d := filepath.Dir(to); !dirs[d] {
				if err := os.MkdirAll(d, 0o755); err != nil {
					return "", fmt.Errorf("generators: %w", err)
				}
				dirs[d] = true
			}
			if err := copyFile(filepath.Join(src, filepath.FromSlash(rel)), to); err != nil {
				return "", err
			}
			sums.WriteString(line + "\n")
		}
	}
	if err := jsonl.Close(); err != nil {
		return "", fmt.Errorf("generators: %w", err)
	}
	fmt.Fprintf(&sums, "%s  samples.jsonl\n", hex.EncodeToString(jh.Sum(nil)))
	if err := os.WriteFile(filepath.Join(dst, SumsFile), sums.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("generators: %w", err)
	}
	return hexSum(sums.Bytes()), nil
}

// mergeNPZSplit concatenates every array along the sample axis.
// Its list features are padded anew to the longest over the shards.
func mergeNPZSplit(srcs []string, dst string, features []Feature, total int, shardLists [][]NPZList) (string, []NPZList, error) {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", nil, fmt.Errorf("generators: %w", err)
	}
	z, err := newNPZWriter(filepath.Join(dst, "data.npz"), features, total)
	if err != nil {
		return "", nil, err
	}
	defer z.abort()
	for _, src := range srcs {
		arrays, closeNPZ, err := openNPZ(filepath.Join(src, "data.npz"), features)
		if err != nil {
			return "", nil, err
		}
		for k, f := range features {
			a := arrays[f.Name]
			if _, err := io.Copy(z.writer(k), io.NewSectionReader(a.ra, a.offset, int64(a.shape[0])*int64(a.elem))); err != nil {
				closeNPZ()
				return "", nil, fmt.Errorf("generators: %w", err)
			}
		}
		closeNPZ()
	}
	lists, err := mergeNPZLists(z, dst, srcs, shardLists, total)
	if err != nil {
		return "", nil, err
	}
	sum, err := z.finish()
	if err != nil {
		return "", nil, err
	}
	list := []byte(sum + "  data.npz\n")
	if err := os.WriteFile(filepath.Join(dst, SumsFile), list, 0o644); err != nil {
		return "", nil, fmt.Errorf("generators: %w", err)
	}
	return hexSum(list), lists, nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("generators: %w", err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		return fmt.Errorf("generators: %w", err)
	}
	return nil
}

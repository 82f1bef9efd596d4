package generators

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// checkTar checks a tar split: SHA256SUMS lists exactly the tar files its
// samples fall in, and each file holds, in order, exactly its share of the
// split's samples, each with a record.
func checkTar(splitDir, name string, m *Manifest, info SplitInfo, files map[string]bool, bad func(string, ...any)) {
	if m.ShardSamples <= 0 {
		bad("shard_samples: %d, want the samples per tar file (1 or more), which format tar records", m.ShardSamples)
		return
	}
	want := tarShards(info.First, info.Count, m.ShardSamples)
	wanted := map[string]bool{SumsFile: true}
	missing := false
	for _, w := range want {
		wanted[w] = true
		if !files[w] {
			bad("%s/%s: lists no %s, which holds samples of the split", name, SumsFile, w)
			missing = true
		}
	}
	for _, f := range sortedKeys(files) {
		if !wanted[f] {
			bad("%s/%s: lists %s, which is not one of the split's tar files (%s to %s for %d samples from %d, %d per file)",
				name, SumsFile, f, firstOr(want, "none"), lastOr(want, "none"), info.Count, info.First, m.ShardSamples)
		}
	}
	if missing {
		return
	}
	ts := newTarSamples(splitDir, want)
	defer ts.close()
	trim := func(err error) string { return strings.TrimPrefix(err.Error(), "generators: ") }
	for i := range info.Count {
		idx := info.First + i
		id := SampleKey{Index: idx, IDWidth: IDWidth(info.Total)}.ID()
		s, _, err := ts.nextAt(id)
		if err != nil {
			bad("%s: %s", name, trim(err))
			return
		}
		if f := TarShardName(idx / m.ShardSamples); s.file != f {
			bad("%s/%s: holds sample %s, which belongs in %s", name, s.file, id, f)
			return
		}
	}
	switch s, err := ts.next(); {
	case err == nil:
		bad("splits.%s.count: %d, but %s/%s holds sample %q after them", name, info.Count, name, s.file, s.key)
	case err != io.EOF:
		bad("%s: %s", name, trim(err))
	}
}

func firstOr(s []string, or string) string {
	if len(s) == 0 {
		return or
	}
	return s[0]
}

func lastOr(s []string, or string) string {
	if len(s) == 0 {
		return or
	}
	return s[len(s)-1]
}

// readTarSamples reads the samples at the given positions (ascending) of
// a tar split, opening only the files that hold them.
func readTarSamples(splitDir string, info SplitInfo, perShard int, pos []int) (splitSamples, error) {
	if perShard <= 0 {
		return splitSamples{}, fmt.Errorf("generators: shard_samples is %d; want the samples per tar file", perShard)
	}
	out := splitSamples{tar: map[int]tarSample{}}
	var ts *tarSamples
	file := ""
	defer func() {
		if ts != nil {
			ts.close()
		}
	}()
	for _, p := range pos {
		idx := info.First + p
		if f := TarShardName(idx / perShard); f != file {
			if ts != nil {
				ts.close()
			}
			file, ts = f, newTarSamples(splitDir, []string{f})
		}
		id := SampleKey{Index: idx, IDWidth: IDWidth(info.Total)}.ID()
		for {
			s, err := ts.next()
			if err == io.EOF {
				return out, fmt.Errorf("generators: %s has no sample %s", file, id)
			}
			if err != nil {
				return out, err
			}
			if s.key == id {
				out.tar[p] = s
				break
			}
		}
	}
	return out, nil
}

// compareTar compares the tar sample at position p with the re-rendered one.
func (s splitSamples) compareTar(p int, smp Sample) []string {
	t, ok := s.tar[p]
	if !ok {
		return []string{"not found in its tar file"}
	}
	line, ok := t.member(t.key + ".json")
	if !ok {
		return []string{fmt.Sprintf("%s: no %s.json member (its record)", t.file, t.key)}
	}
	format := func(rec any, js []byte) ([]byte, error) { return floatJSON(rec, js, nil) }
	return compareFiles(line, smp, format, func(f File) (string, []byte, error) {
		name := TarMember(t.key, f.Field, f.Path)
		b, ok := t.member(name)
		if !ok {
			return t.file + ": " + name, nil, errors.New("missing")
		}
		return t.file + ": " + name, b, nil
	})
}

// mergeTarSplit streams the samples of the shards' tar files, in order,
// into the whole split's tar files, and returns the sha256 of the new
// SHA256SUMS. Headers are fixed, so the bytes are those of a single run.
func mergeTarSplit(srcs []string, infos []SplitInfo, dst string, perShard int) (string, error) {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", fmt.Errorf("generators: %w", err)
	}
	var sums bytes.Buffer
	tw := newTarWriter(dst, perShard, &sums)
	defer tw.abort()
	for i, src := range srcs {
		info := infos[i]
		ts := newTarSamples(src, tarShards(info.First, info.Count, perShard))
		for j := range info.Count {
			idx := info.First + j
			s, _, err := ts.nextAt(SampleKey{Index: idx, IDWidth: IDWidth(info.Total)}.ID())
			if err == nil {
				err = tw.add(idx, s.members)
			}
			if err != nil {
				ts.close()
				return "", err
			}
		}
		ts.close()
	}
	if err := tw.finish(); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dst, SumsFile), sums.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("generators: %w", err)
	}
	return hexSum(sums.Bytes()), nil
}

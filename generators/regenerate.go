package generators

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
)

// pick chooses about k samples of m's folder, spread over every split in
// proportion to its size with at least one per non-empty split, and one in
// each of equal strata of a split, so that they cover it from start to end.
// The choice is drawn from seed. It returns positions in the folder (0 is
// the split's first sample here, global index First), ascending, by split.
func pick(m *Manifest, k int, seed uint64) map[string][]int {
	total := 0
	for _, name := range m.SplitOrder {
		total += max(m.Splits[name].Count, 0)
	}
	out := map[string][]int{}
	if total == 0 {
		return out
	}
	// Each split's share of k, at least one, then what is left of k to the
	// splits furthest below their share.
	counts := map[string]int{}
	given := 0
	for _, name := range m.SplitOrder {
		if n := m.Splits[name].Count; n > 0 {
			counts[name] = min(max(int(int64(k)*int64(n)/int64(total)), 1), n)
			given += counts[name]
		}
	}
	for ; given < k; given++ {
		best, gap := "", 0.0
		for _, name := range m.SplitOrder {
			n := m.Splits[name].Count
			if n <= 0 || counts[name] >= n {
				continue
			}
			if g := float64(k)*float64(n)/float64(total) - float64(counts[name]); best == "" || g > gap {
				best, gap = name, g
			}
		}
		if best == "" {
			break
		}
		counts[best]++
	}
	for _, name := range m.SplitOrder {
		n, ks := m.Splits[name].Count, counts[name]
		if ks == 0 {
			continue
		}
		h := fnv.New64a()
		h.Write([]byte(name))
		rng := rand.New(rand.NewPCG(seed, h.Sum64()))
		pos := make([]int, ks)
		for j := range pos {
			lo, hi := int(int64(n)*int64(j)/int64(ks)), int(int64(n)*int64(j+1)/int64(ks))
			pos[j] = lo + rng.IntN(hi-lo)
		}
		out[name] = pos
	}
	return out
}

// regenerate re-renders the picked samples from the manifest's spec and
// compares them with the folder: records and files (decoded pixels for
// images) in png folders, every array element in npz folders. Each
// difference names the split, sample and field.
func regenerate(ctx context.Context, dir string, m *Manifest, sampler Sampler, picks map[string][]int, bad func(string, ...any)) error {
	features := npzFeatures(sampler.Features())
	renderer := sampler.NewRenderer()
	var src rand.PCG
	tried, differ := 0, 0
	var found []string // per-sample problems, reported after the summary
	for _, name := range m.SplitOrder {
		pos := picks[name]
		if len(pos) == 0 {
			continue
		}
		info := m.Splits[name]
		var disk splitSamples
		var err error
		lists := m.NPZLists[name]
		switch m.Format {
		case FormatNPZ:
			all := features
			for _, l := range lists {
				all = append(slices.Clip(all), l.features()...)
			}
			disk, err = openNPZSamples(filepath.Join(dir, name, "data.npz"), all)
		case FormatParquet:
			disk, err = readParquetSamples(dir, name, pos)
		case FormatTar:
			disk, err = readTarSamples(filepath.Join(dir, name), info, m.ShardSamples, pos)
		default:
			disk, err = readLines(filepath.Join(dir, name, "samples.jsonl"), pos)
		}
		if err != nil {
			bad("regenerate: split %s: %v", name, err)
			continue
		}
		for _, p := range pos {
			if err := ctx.Err(); err != nil {
				disk.close()
				return err
			}
			key := SampleKey{Seed: m.Seed, Split: name, Index: info.First + p, IDWidth: IDWidth(info.Total)}
			s, err := renderer.Render(key, SampleRand(&src, key.Seed, key.Split, key.Index))
			if err != nil {
				disk.close()
				return fmt.Errorf("generators: regenerate %s/%s: %w", name, key.ID(), err)
			}
			tried++
			where := name + "/" + key.ID()
			var diffs []string
			switch m.Format {
			case FormatNPZ:
				diffs = append(disk.compareNPZ(p, features, s), disk.compareNPZLists(p, lists, s)...)
			case FormatParquet:
				diffs = compareFiles(disk.lines[p], s, nil, rowFiles(disk.blobs[p]))
			case FormatTar:
				diffs = disk.compareTar(p, s)
			default:
				diffs = compareFiles(disk.lines[p], s, nil, splitFiles(filepath.Join(dir, name)))
			}
			if len(diffs) > 0 {
				differ++
			}
			for _, d := range diffs {
				found = append(found, fmt.Sprintf("sample %s: %s", where, d))
			}
		}
		disk.close()
	}
	if differ > 0 {
		bad("seed/config: %d of %d re-rendered samples differ from what %s %s renders with the manifest's config and seed %d (an edited seed or config changes nearly every sample; a few differing samples were edited)",
			differ, tried, m.Dataset, m.Version, m.Seed)
	}
	for _, f := range found {
		bad("%s", f)
	}
	return nil
}

// splitSamples is what regenerate reads of one split on disk.
type splitSamples struct {
	lines map[int][]byte // png: samples.jsonl lines by position
	// blobs holds a parquet sample's files by position, then path.
	blobs  map[int]map[string][]byte
	arrays map[string]*npzArray
	tar    map[int]tarSample // tar: samples by position
	closer func() error
}

func (s splitSamples) close() {
	if s.closer != nil {
		s.closer()
	}
}

// readLines reads the samples.jsonl lines at the given positions.
func readLines(path string, pos []int) (splitSamples, error) {
	want := map[int]bool{}
	for _, p := range pos {
		want[p] = true
	}
	f, err := os.Open(path)
	if err != nil {
		return splitSamples{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<26)
	out := splitSamples{lines: map[int][]byte{}}
	for i := 0; len(out.lines) < len(want) && sc.Scan(); i++ {
		if want[i] {
			out.lines[i] = append([]byte(nil), sc.Bytes()...)
		}
	}
	return out, sc.Err()
}

func openNPZSamples(path string, features []Feature) (splitSamples, error) {
	arrays, closeNPZ, err := openNPZ(path, features)
	if err != nil {
		return splitSamples{}, err
	}
	return splitSamples{arrays: arrays, closer: closeNPZ}, nil
}

// compareNPZ compares each array's element at position p with the
// re-rendered sample's.
func (s splitSamples) compareNPZ(p int, features []Feature, smp Sample) []string {
	want, err := sampleArrays(features, smp.Record, smp.Files, smp.Arrays, nil)
	if err != nil {
		return []string{fmt.Sprintf("re-rendering: %v", err)}
	}
	var out []string
	for k, f := range features {
		got, err := s.arrays[f.Name].element(p)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: %v", f.Name, err))
			continue
		}
		if bytes.Equal(got, want[k]) {
			continue
		}
		if len(got) != len(want[k]) {
			out = append(out, fmt.Sprintf("%s: %d bytes per sample on disk, the spec renders %d", f.Name, len(got), len(want[k])))
			continue
		}
		if f.Kind == ImageFeature || f.Kind == MaskFeature {
			n := 0
			for i := range got {
				if got[i] != want[k][i] {
					n++
				}
			}
			out = append(out, fmt.Sprintf("%s: %d of %d bytes of pixels differ from what the spec renders", f.Name, n, len(got)))
			continue
		}
		g, _ := decodeValue(f, got)
		w, _ := decodeValue(f, want[k])
		out = append(out, fmt.Sprintf("%s: %s on disk, the spec renders %s", f.Name, short(fmt.Sprint(g)), short(fmt.Sprint(w))))
	}
	return out
}

// splitFiles reads a sample's files from a png-format split folder.
func splitFiles(splitDir string) func(File) (string, []byte, error) {
	return func(f File) (string, []byte, error) {
		if !filepath.IsLocal(filepath.FromSlash(f.Path)) {
			return f.Path, nil, errors.New("path leaves the split folder")
		}
		b, err := os.ReadFile(filepath.Join(splitDir, filepath.FromSlash(f.Path)))
		return f.Path, b, err
	}
}

// rowFiles reads a sample's files from its parquet row's blobs, by path.
func rowFiles(blobs map[string][]byte) func(File) (string, []byte, error) {
	return func(f File) (string, []byte, error) {
		if !filepath.IsLocal(filepath.FromSlash(f.Path)) {
			return f.Path, nil, errors.New("path leaves the split folder")
		}
		b, ok := blobs[f.Path]
		if !ok {
			return f.Path, nil, errors.New("not in the sample's parquet row")
		}
		return f.Path, b, nil
	}
}

// compareFiles compares a sample: its record line and each of its files,
// images by decoded pixels. format, if set, turns the re-rendered record's
// JSON into the form the format stores. read returns a file's name for
// messages and its bytes on disk (a png split's folder, a parquet row's
// blobs, a tar sample's members).
func compareFiles(line []byte, smp Sample, format func(any, []byte) ([]byte, error), read func(File) (string, []byte, error)) []string {
	var out []string
	rec, err := marshalRecord(smp.Record, 0)
	if err == nil && format != nil {
		rec, err = format(smp.Record, rec)
	}
	if err != nil {
		return []string{fmt.Sprintf("re-rendering: %v", err)}
	}
	if line == nil {
		out = append(out, "samples.jsonl has no line for it")
	} else if !bytes.Equal(line, rec) {
		for _, d := range diffJSON(line, rec) {
			out = append(out, fmt.Sprintf("record field %q: %s on disk, the spec renders %s", d.field, orMissing(d.got), orMissing(d.want)))
		}
		if len(out) == 0 {
			out = append(out, "record: same fields, different bytes from what the spec renders")
		}
	}
	for _, f := range smp.Files {
		name, b, err := read(f)
		if err != nil {
			out = append(out, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		if f.Data != nil {
			if !bytes.Equal(b, f.Data) {
				out = append(out, fmt.Sprintf("%s: differs from what the spec renders", name))
			}
			continue
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			out = append(out, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		if d := comparePixels(img, f.Image); d != "" {
			out = append(out, fmt.Sprintf("%s: %s", name, d))
		}
	}
	return out
}

// comparePixels compares two images by their decoded colors and says how
// they differ, or returns "".
func comparePixels(got, want image.Image) string {
	gb, wb := got.Bounds(), want.Bounds()
	if gb.Size() != wb.Size() {
		return fmt.Sprintf("%dx%d pixels on disk, the spec renders %dx%d", gb.Dx(), gb.Dy(), wb.Dx(), wb.Dy())
	}
	n, fx, fy := 0, 0, 0
	for y := 0; y < gb.Dy(); y++ {
		for x := 0; x < gb.Dx(); x++ {
			r1, g1, b1, a1 := got.At(gb.Min.X+x, gb.Min.Y+y).RGBA()
			r2, g2, b2, a2 := want.At(wb.Min.X+x, wb.Min.Y+y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				if n == 0 {
					fx, fy = x, y
				}
				n++
			}
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d pixels differ from what the spec renders (the first at x=%d, y=%d)", n, gb.Dx()*gb.Dy(), fx, fy)
}

// Regenerated returns how many samples VerifySpec re-renders from m's
// folder when asked for k: k spread over the splits, at least one in each
// non-empty split, at most all of them.
func Regenerated(m *Manifest, k int) int {
	n := 0
	for _, pos := range pick(m, k, 0) {
		n += len(pos)
	}
	return n
}

package generators

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
)

// Reader reads a complete dataset folder back.
type Reader struct {
	Dir      string
	Manifest *Manifest
}

// Open opens a dataset folder written by Write or Merge. It fails on a
// folder without a manifest (an interrupted run); it does not check
// checksums (see Verify).
func Open(dir string) (*Reader, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	return &Reader{Dir: dir, Manifest: m}, nil
}

// Feature returns the named feature's declaration.
func (r *Reader) Feature(name string) (Feature, bool) {
	for _, f := range r.Manifest.Features {
		if f.Name == name {
			return f, true
		}
	}
	return Feature{}, false
}

// Record is one sample read back: its samples.jsonl object and its images.
type Record struct {
	// Index is the sample's global index in its split.
	Index int
	// JSON is the sample's record; in npz folders it is rebuilt from the arrays.
	JSON  json.RawMessage
	split *SplitReader
	// blobs holds a parquet row's files by path.
	blobs map[string][]byte
	// tar holds the sample's members in format tar.
	tar *tarSample
}

// Decode unmarshals the record into v, e.g. a *ShapesExample.
func (r Record) Decode(v any) error { return json.Unmarshal(r.JSON, v) }

// Image decodes the image of the named image or mask feature.
func (r Record) Image(field string) (image.Image, error) { return r.split.image(r, field) }

// SplitReader iterates a split in index order. It is not safe for
// concurrent use.
type SplitReader struct {
	r     *Reader
	name  string
	info  SplitInfo
	pos   int
	cur   Record
	err   error
	close func() error
	// png
	sc *bufio.Scanner
	// npz
	arrays map[string]*npzArray
	// parquet
	pq *pqSplit
	// tar
	tar *tarSamples
}

// Split opens the named split.
func (r *Reader) Split(name string) (*SplitReader, error) {
	info, ok := r.Manifest.Splits[name]
	if !ok {
		return nil, fmt.Errorf("generators: %s has no split %q; it has %v", r.Dir, name, r.Manifest.SplitOrder)
	}
	s := &SplitReader{r: r, name: name, info: info}
	dir := filepath.Join(r.Dir, name)
	switch r.Manifest.Format {
	case FormatParquet:
		var err error
		if s.pq, err = openParquetSplit(r, name, info); err != nil {
			return nil, err
		}
		s.close = s.pq.close
	case FormatTar:
		if r.Manifest.ShardSamples <= 0 {
			return nil, fmt.Errorf("generators: %s: format tar, but shard_samples is %d; want the samples per tar file", r.Dir, r.Manifest.ShardSamples)
		}
		s.tar = newTarSamples(dir, tarShards(info.First, info.Count, r.Manifest.ShardSamples))
		s.close = s.tar.close
	case FormatNPZ:
		var err error
		if s.arrays, s.close, err = openNPZ(filepath.Join(dir, "data.npz"), npzSplitFeatures(r.Manifest, name)); err != nil {
			return nil, err
		}
	default:
		f, err := os.Open(filepath.Join(dir, "samples.jsonl"))
		if err != nil {
			return nil, fmt.Errorf("generators: %w", err)
		}
		s.close = f.Close
		s.sc = bufio.NewScanner(f)
		s.sc.Buffer(make([]byte, 1<<16), 1<<26)
	}
	return s, nil
}

// Len is the number of samples in the split (in this folder).
func (s *SplitReader) Len() int { return s.info.Count }

// Next advances to the next record, reporting false at the end or on error.
func (s *SplitReader) Next() bool {
	if s.err != nil || s.pos >= s.info.Count {
		return false
	}
	idx := s.info.First + s.pos
	if s.pq != nil {
		blobs := map[string][]byte{}
		js, err := s.pq.next(blobs)
		if err == io.ErrUnexpectedEOF {
			err = fmt.Errorf("generators: %s: the parquet files end after %d of %d samples", s.name, s.pos, s.info.Count)
		}
		if err != nil {
			s.err = err
			return false
		}
		s.cur = Record{Index: idx, JSON: js, split: s, blobs: blobs}
	} else if s.tar != nil {
		id := SampleKey{Index: idx, IDWidth: IDWidth(s.info.Total)}.ID()
		smp, rec, err := s.tar.nextAt(id)
		if err != nil {
			s.err = err
			return false
		}
		s.cur = Record{Index: idx, JSON: rec, split: s, tar: &smp}
	} else if s.sc != nil {
		if !s.sc.Scan() {
			s.err = s.sc.Err()
			if s.err == nil {
				s.err = fmt.Errorf("generators: %s/samples.jsonl ends after %d of %d samples", s.name, s.pos, s.info.Count)
			}
			return false
		}
		s.cur = Record{Index: idx, JSON: append(json.RawMessage(nil), s.sc.Bytes()...), split: s}
	} else {
		obj := map[string]any{}
		for _, f := range npzFeatures(s.r.Manifest.Features) {
			if f.Kind == ImageFeature || f.Kind == MaskFeature {
				continue
			}
			b, err := s.arrays[f.Name].element(s.pos)
			if err == nil {
				obj[f.Name], err = decodeValue(f, b)
			}
			if err != nil {
				s.err = fmt.Errorf("generators: %s sample %d, %s: %w", s.name, idx, f.Name, err)
				return false
			}
		}
		for _, l := range s.r.Manifest.NPZLists[s.name] {
			var err error
			if obj[l.Name], err = decodeList(l, s.arrays, s.pos); err != nil {
				s.err = fmt.Errorf("generators: %s sample %d, %s: %w", s.name, idx, l.Name, err)
				return false
			}
		}
		js, _ := json.Marshal(obj)
		s.cur = Record{Index: idx, JSON: js, split: s}
	}
	s.pos++
	return true
}

// Record returns the current record.
func (s *SplitReader) Record() Record { return s.cur }

// Err returns the error that stopped Next, if any.
func (s *SplitReader) Err() error { return s.err }

// Close releases the split's files.
func (s *SplitReader) Close() error {
	if s.close == nil {
		return nil
	}
	err := s.close()
	s.close = nil
	return err
}

func (s *SplitReader) image(r Record, field string) (image.Image, error) {
	if r.tar != nil {
		return r.tarImage(field)
	}
	if s.arrays != nil {
		a, ok := s.arrays[field]
		if !ok {
			return nil, fmt.Errorf("generators: no image feature %q", field)
		}
		b, err := a.element(r.Index - s.info.First)
		if err != nil {
			return nil, err
		}
		h, w := a.shape[1], a.shape[2]
		if a.feature.Kind == MaskFeature {
			return &image.Gray{Pix: b, Stride: w, Rect: image.Rect(0, 0, w, h)}, nil
		}
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for i, j := 0, 0; i < len(b); i, j = i+3, j+4 {
			img.Pix[j], img.Pix[j+1], img.Pix[j+2], img.Pix[j+3] = b[i], b[i+1], b[i+2], 255
		}
		return img, nil
	}
	if s.pq != nil {
		f, ok := s.r.Feature(field)
		if !ok || (f.Kind != ImageFeature && f.Kind != MaskFeature) {
			return nil, fmt.Errorf("generators: no image feature %q", field)
		}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(r.JSON, &fields); err != nil {
		return nil, fmt.Errorf("generators: %w", err)
	}
	var rel string
	if err := json.Unmarshal(fields[field], &rel); err != nil || rel == "" {
		return nil, fmt.Errorf("generators: sample %d has no image field %q", r.Index, field)
	}
	return s.file(r, rel)
}

// Bytes returns the bytes of the file at rel, a path in the sample's
// fields relative to its split folder (a page's HTML, say), as they are.
func (r Record) Bytes(rel string) ([]byte, error) {
	s := r.split
	switch {
	case r.tar != nil:
		return r.tarBytes(rel)
	case s.pq != nil:
		b, ok := r.blobs[rel]
		if !ok {
			return nil, fmt.Errorf("generators: sample %d holds no file %q", r.Index, rel)
		}
		return b, nil
	case s.arrays != nil:
		return nil, fmt.Errorf("generators: sample %d: %q: an npz dataset holds no separate files", r.Index, rel)
	case !filepath.IsLocal(filepath.FromSlash(rel)):
		return nil, fmt.Errorf("generators: sample %d: path %q leaves the split folder", r.Index, rel)
	}
	b, err := os.ReadFile(filepath.Join(s.r.Dir, s.name, filepath.FromSlash(rel)))
	if err != nil {
		return nil, fmt.Errorf("generators: %w", err)
	}
	return b, nil
}

// File decodes the PNG at rel, a path in the sample's fields relative to
// its split folder (a list feature's entry, such as a relations part).
func (r Record) File(rel string) (image.Image, error) { return r.split.file(r, rel) }

func (s *SplitReader) file(r Record, rel string) (image.Image, error) {
	if r.tar != nil {
		return r.tarFile(rel)
	}
	if s.arrays != nil {
		return nil, fmt.Errorf("generators: sample %d: %q: an npz dataset holds no separate files", r.Index, rel)
	}
	if s.pq != nil {
		b, ok := r.blobs[rel]
		if !ok {
			return nil, fmt.Errorf("generators: sample %d holds no file %q", r.Index, rel)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("generators: sample %d: %s: %w", r.Index, rel, err)
		}
		return img, nil
	}
	if !filepath.IsLocal(filepath.FromSlash(rel)) {
		return nil, fmt.Errorf("generators: sample %d: path %q leaves the split folder", r.Index, rel)
	}
	f, err := os.Open(filepath.Join(s.r.Dir, s.name, filepath.FromSlash(rel)))
	if err != nil {
		return nil, fmt.Errorf("generators: %w", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("generators: %s: %w", rel, err)
	}
	return img, nil
}

// npzArray is one stored .npy member read in place.
type npzArray struct {
	ra      io.ReaderAt
	offset  int64
	shape   []int
	elem    int // bytes per sample
	feature Feature
}

func (a *npzArray) element(i int) ([]byte, error) {
	if i < 0 || len(a.shape) == 0 || i >= a.shape[0] {
		return nil, fmt.Errorf("generators: npz index %d out of range", i)
	}
	b := make([]byte, a.elem)
	if _, err := a.ra.ReadAt(b, a.offset+int64(i)*int64(a.elem)); err != nil {
		return nil, fmt.Errorf("generators: npz: %w", err)
	}
	return b, nil
}

// openNPZ opens an npz archive and indexes its arrays, checking that every
// feature has one. The returned function closes it.
func openNPZ(path string, features []Feature) (map[string]*npzArray, func() error, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, nil, fmt.Errorf("generators: %w", err)
	}
	arrays, data, err := npzArrays(zr.File, path)
	if err != nil {
		zr.Close()
		return nil, nil, err
	}
	closeAll := func() error { data.Close(); return zr.Close() }
	for _, f := range features {
		a, ok := arrays[f.Name]
		if !ok {
			closeAll()
			return nil, nil, fmt.Errorf("generators: %s lacks %s.npy", path, f.Name)
		}
		a.feature = f
	}
	return arrays, closeAll, nil
}

// npzArrays indexes the stored members of an npz archive by array name.
// The arrays read from the returned file, which the caller closes.
func npzArrays(files []*zip.File, path string) (_ map[string]*npzArray, _ *os.File, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("generators: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	out := map[string]*npzArray{}
	for _, zf := range files {
		if zf.Method != zip.Store {
			return nil, nil, fmt.Errorf("generators: %s: %s is compressed; hiddendim reads stored (numpy.savez) archives", path, zf.Name)
		}
		off, err := zf.DataOffset()
		if err != nil {
			return nil, nil, fmt.Errorf("generators: %w", err)
		}
		head := make([]byte, 4096)
		n, _ := f.ReadAt(head, off)
		h, err := ParseNPYHeader(head[:n])
		if err != nil {
			return nil, nil, fmt.Errorf("generators: %s: %s: %w", path, zf.Name, err)
		}
		elemSize := dtypeSize(h.Descr)
		if elemSize == 0 || len(h.Shape) == 0 {
			return nil, nil, fmt.Errorf("generators: %s: %s: unsupported dtype %q or shape %v", path, zf.Name, h.Descr, h.Shape)
		}
		per := elemSize
		for _, d := range h.Shape[1:] {
			per *= d
		}
		name := zf.Name[:len(zf.Name)-len(filepath.Ext(zf.Name))]
		out[name] = &npzArray{ra: f, offset: off + int64(h.DataOffset), shape: h.Shape, elem: per}
	}
	return out, f, nil
}

func dtypeSize(descr string) int {
	switch descr {
	case "|u1", "|b1", "|i1", "u1", "b1":
		return 1
	case "<i4", "<f4", "<u4":
		return 4
	case "<i8", "<f8", "<u8":
		return 8
	}
	if len(descr) > 2 && descr[:2] == "<U" {
		n := 0
		for _, c := range descr[2:] {
			if c < '0' || c > '9' {
				return 0
			}
			n = n*10 + int(c-'0')
		}
		return 4 * n
	}
	return 0
}

package generators

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// FormatParquet writes the Hugging Face datasets layout:
// OUT/data/<split>-00000-of-0000N.parquet, one row per sample, images as
// {bytes, path} structs, nested records as nested columns, and a dataset
// card OUT/README.md. manifest.json stays at OUT, and each split's
// checksums are OUT/<split>.SHA256SUMS, with paths relative to OUT
// (sha256sum -c works there), so that OUT/data holds parquet files alone,
// as pyarrow, which reads every file of a folder, wants.
const FormatParquet Format = "parquet"

// ParquetDir is the folder of a parquet dataset's files, under OUT.
const ParquetDir = "data"

// CardFile is a parquet dataset's card, under OUT.
const CardFile = "README.md"

// Defaults of ParquetInfo.
const (
	// DefaultRowsPerFile keeps a file of the default shapes (64 px) near
	// 15 MB and of webpages (256 px, three images and HTML) near 300 MB.
	DefaultRowsPerFile = 10000
	// DefaultRowGroupRows is small enough that a reader holds little in
	// memory and the Hugging Face viewer pages quickly, large enough for
	// columns of short values to compress.
	DefaultRowGroupRows = 500
)

// ParquetInfo is what a parquet dataset's manifest says of its files.
type ParquetInfo struct {
	// RowsPerFile is how many samples each file holds (the last fewer).
	RowsPerFile int `json:"rows_per_file"`
	// RowGroupRows is how many samples each row group holds (the last of a
	// file fewer).
	RowGroupRows int `json:"row_group_rows"`
	// Layout is the record's parquet layout.
	Layout *ParquetNode `json:"layout"`
	// Bytes is the size of each split's parquet files together, which the
	// card states as num_bytes.
	Bytes map[string]int64 `json:"bytes"`
}

// parquetFileName names file k of n of a split.
func parquetFileName(split string, k, n int) string {
	return fmt.Sprintf("%s-%05d-of-%05d.parquet", split, k, n)
}

// parquetFiles lists the files of a split of count samples, relative to
// ParquetDir: at least one, so that an empty split has its (empty) file.
func parquetFiles(split string, count, rowsPerFile int) []string {
	n := max(1, (count+rowsPerFile-1)/max(rowsPerFile, 1))
	out := make([]string, n)
	for k := range out {
		out[k] = parquetFileName(split, k, n)
	}
	return out
}

// splitPaths returns where a split's files go (dir), its SHA256SUMS (an
// absolute path and the manifest's path relative to out).
func splitPaths(out string, format Format, split string) (dir, sums, rel string) {
	if format == FormatParquet {
		rel = split + "." + SumsFile
		return filepath.Join(out, ParquetDir), filepath.Join(out, rel), rel
	}
	rel = split + "/" + SumsFile
	return filepath.Join(out, split), filepath.Join(out, filepath.FromSlash(rel)), rel
}

// formatEntries are the top-level entries a format adds to a dataset
// folder besides the manifest and the split folders.
func formatEntries(f Format) []string {
	if f == FormatParquet {
		return []string{ParquetDir, CardFile}
	}
	return nil
}

// leftoverParquet reports whether out/name is what an interrupted parquet
// run leaves, which Write may clear: a data folder holding only parquet and
// checksum files, or a card hiddendim wrote.
func leftoverParquet(out, name string) bool {
	p := filepath.Join(out, name)
	switch name {
	case CardFile:
		b, err := os.ReadFile(p)
		return err == nil && bytes.Contains(b, []byte(cardMark))
	case ParquetDir:
		es, err := os.ReadDir(p)
		if err != nil {
			return false
		}
		for _, e := range es {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".parquet") {
				return false
			}
		}
		return true
	}
	return false
}

// probeParquet derives a dataset's parquet layout from the type of its
// records and which fields hold files: it renders sample 0 of the first
// split, so the layout is the same for every shard and worker count.
func probeParquet(spec Spec, sampler Sampler) (*ParquetNode, error) {
	name := "train"
	if len(spec.Splits) > 0 {
		name = spec.Splits[0].Name
	}
	key := SampleKey{Seed: spec.Seed, Split: name, Index: 0, IDWidth: 6}
	var src rand.PCG
	s, err := sampler.NewRenderer().Render(key, SampleRand(&src, key.Seed, key.Split, key.Index))
	if err != nil {
		return nil, fmt.Errorf("generators: parquet: rendering a sample to learn the record's layout: %w", err)
	}
	if s.Record == nil {
		return nil, errors.New("generators: parquet: the sample has no record")
	}
	files := map[string]bool{}
	for _, f := range s.Files {
		files[f.Field] = files[f.Field] || f.Data == nil
	}
	declared := map[string]bool{}
	for _, f := range sampler.Features() {
		declared[f.Name] = true
		if f.Kind == ImageFeature || f.Kind == MaskFeature {
			files[f.Name] = true
		}
	}
	root, err := parquetSchemaOf(reflect.TypeOf(s.Record), files)
	if err != nil {
		return nil, err
	}
	// A field the config turns off (relations' parts without parts=true)
	// is neither declared nor written: no column of nulls for it.
	line, err := marshalRecord(s.Record, 0)
	if err != nil {
		return nil, err
	}
	var present map[string]json.RawMessage
	if err := json.Unmarshal(line, &present); err != nil {
		return nil, fmt.Errorf("generators: parquet: record: %w", err)
	}
	kept := root.Fields[:0]
	for _, f := range root.Fields {
		if _, ok := present[f.Name]; ok || !f.OmitEmpty || declared[f.Name] {
			kept = append(kept, f)
		}
	}
	root.Fields = kept
	return root, nil
}

// parquetRow encodes sample s as a parquet row: its record and its files
// (PNG-encoded images, Data as it is).
func (w *worker) parquetRow(s Sample) (parquet.Row, error) {
	line, err := marshalRecord(s.Record, w.lineCap)
	if err != nil {
		return nil, err
	}
	w.lineCap = max(w.lineCap, len(line)+len(line)/8)
	files := make(map[string][]byte, len(s.Files))
	for _, f := range s.Files {
		data := f.Data
		if data == nil {
			w.buf.Reset()
			if err := w.enc.Encode(&w.buf, f.Image); err != nil {
				return nil, fmt.Errorf("encoding %s: %w", f.Path, err)
			}
			data = bytes.Clone(w.buf.Bytes())
		}
		files[f.Path] = data
	}
	if w.shred == nil {
		w.shred = newShredder(w.j.pq)
	}
	return w.shred.row(line, files)
}

// parquetSplitWriter writes one split's rows into its files in order, and
// collects their checksums.
type parquetSplitWriter struct {
	dir   string
	names []string
	info  ParquetInfo
	l     *pqLayout
	meta  []parquet.WriterOption
	k     int // the open file
	rows  int // rows in the open file
	group int // rows in the open row group
	f     *os.File
	h     hash.Hash
	bw    *bufio.Writer
	w     *parquet.Writer
	sums  []fileSum
	batch []parquet.Row
	cw    *countWriter
	bytes int64 // written to the closed files
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(b []byte) (int, error) { c.n += int64(len(b)); return len(b), nil }

func newParquetSplitWriter(dir, split string, count int, info ParquetInfo, l *pqLayout, meta []parquet.WriterOption) (*parquetSplitWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("generators: %w", err)
	}
	return &parquetSplitWriter{dir: dir, names: parquetFiles(split, count, info.RowsPerFile), info: info, l: l, meta: meta}, nil
}

func (p *parquetSplitWriter) open() error {
	if p.k >= len(p.names) {
		return fmt.Errorf("generators: parquet: more rows than the %d files of %d the split was sized for", len(p.names), p.info.RowsPerFile)
	}
	var err error
	if p.f, err = os.Create(filepath.Join(p.dir, p.names[p.k])); err != nil {
		return fmt.Errorf("generators: %w", err)
	}
	p.h = sha256.New()
	p.cw = &countWriter{}
	p.bw = bufio.NewWriterSize(io.MultiWriter(p.f, p.h, p.cw), 1<<20)
	opts := append([]parquet.WriterOption{p.l.schema, parquet.Compression(&parquet.Snappy)}, p.meta...)
	p.w = parquet.NewWriter(p.bw, opts...)
	p.rows, p.group = 0, 0
	return nil
}

// write appends one row; the writer keeps row, which must not change.
func (p *parquetSplitWriter) write(row parquet.Row) error {
	if p.w == nil {
		if err := p.open(); err != nil {
			return err
		}
	}
	p.batch = append(p.batch, row)
	p.rows++
	p.group++
	if p.group == p.info.RowGroupRows || p.rows == p.info.RowsPerFile {
		if err := p.flushGroup(); err != nil {
			return err
		}
	}
	if p.rows == p.info.RowsPerFile {
		return p.closeFile()
	}
	return nil
}

func (p *parquetSplitWriter) flushGroup() error {
	if _, err := p.w.WriteRows(p.batch); err != nil {
		return fmt.Errorf("generators: parquet: %w", err)
	}
	clear(p.batch)
	p.batch = p.batch[:0]
	p.group = 0
	if err := p.w.Flush(); err != nil {
		return fmt.Errorf("generators: parquet: %w", err)
	}
	return nil
}

func (p *parquetSplitWriter) closeFile() error {
	if p.group > 0 {
		if err := p.flushGroup(); err != nil {
			return err
		}
	}
	if err := p.w.Close(); err != nil {
		return fmt.Errorf("generators: parquet: %w", err)
	}
	if err := p.bw.Flush(); err != nil {
		return fmt.Errorf("generators: %w", err)
	}
	if err := p.f.Close(); err != nil {
		return fmt.Errorf("generators: %w", err)
	}
	p.sums = append(p.sums, fileSum{ParquetDir + "/" + p.names[p.k], hex.EncodeToString(p.h.Sum(nil))})
	p.bytes += p.cw.n
	p.w, p.f = nil, nil
	p.k++
	return nil
}

// finish closes the last file (writing an empty one for an empty split)
// and returns the SHA256SUMS lines.
func (p *parquetSplitWriter) finish() ([]fileSum, error) {
	if p.w == nil && p.k == 0 {
		if err := p.open(); err != nil {
			return nil, err
		}
	}
	if p.w != nil {
		if err := p.closeFile(); err != nil {
			return nil, err
		}
	}
	if p.k != len(p.names) {
		return nil, fmt.Errorf("generators: parquet: wrote %d of the split's %d files", p.k, len(p.names))
	}
	return p.sums, nil
}

func (p *parquetSplitWriter) abort() {
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
}

// parquetMeta is the key-value metadata each file carries: the Hugging
// Face features, so that datasets decodes images without the card.
func parquetMeta(m *Manifest) ([]parquet.WriterOption, error) {
	hf, err := hfFeaturesJSON(m)
	if err != nil {
		return nil, err
	}
	return []parquet.WriterOption{parquet.KeyValueMetadata("huggingface", hf)}, nil
}

// pqSplit reads a parquet split's rows in order.
type pqSplit struct {
	dir   string
	names []string
	l     *pqLayout
	asm   *assembler
	k     int // next file
	f     io.Closer
	// open opens a file: openParquetFile, or in tests another source.
	open   func(path string, l *pqLayout) (io.Closer, *parquet.File, error)
	groups []parquet.RowGroup
	g      int // next row group
	rows   parquet.Rows
	// ended: rows is exhausted, closed once buf's rows are used.
	ended bool
	buf   []parquet.Row
	n, i  int // rows in buf, next in buf
}

func openParquetSplit(r *Reader, split string, info SplitInfo) (*pqSplit, error) {
	pi := r.Manifest.Parquet
	if pi == nil || pi.RowsPerFile < 1 {
		return nil, fmt.Errorf("generators: %s: a parquet manifest without its parquet section (rows_per_file, layout)", r.Dir)
	}
	l, err := newPQLayout(pi.Layout)
	if err != nil {
		return nil, err
	}
	dir, _, _ := splitPaths(r.Dir, FormatParquet, split)
	open := func(path string, l *pqLayout) (io.Closer, *parquet.File, error) { return openParquetFile(path, l) }
	return &pqSplit{dir: dir, names: parquetFiles(split, info.Count, pi.RowsPerFile), l: l, asm: newAssembler(l),
		buf: make([]parquet.Row, 64), open: open}, nil
}

// openParquetFile opens a parquet file and checks its schema is the layout's.
func openParquetFile(path string, l *pqLayout) (*os.File, *parquet.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("generators: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("generators: %w", err)
	}
	pf, err := openParquetReaderAt(f, st.Size())
	if err == nil && pf.Schema().String() != l.schema.String() {
		err = errors.New("its schema is not the manifest's layout")
	}
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("generators: parquet: %s: %w", filepath.Base(path), err)
	}
	return f, pf, nil
}

// openParquetReaderAt opens a parquet file, turning a panic of the
// library on a corrupt file into an error.
func openParquetReaderAt(r io.ReaderAt, size int64) (pf *parquet.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			pf, err = nil, fmt.Errorf("not a readable parquet file (%v)", p)
		}
	}()
	pf, err = parquet.OpenFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("not a readable parquet file: %w", err)
	}
	return pf, nil
}

// next returns the next row's JSON, its files going into blobs.
func (p *pqSplit) next(blobs map[string][]byte) (js []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			js, err = nil, fmt.Errorf("generators: parquet: %s: corrupt file (%v)", p.names[max(p.k-1, 0)], r)
		}
	}()
	for p.i >= p.n {
		if err := p.fill(); err != nil {
			return nil, err
		}
	}
	row := p.buf[p.i]
	p.i++
	js, err = p.asm.record(row, blobs)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, p.names[max(p.k-1, 0)])
	}
	return js, nil
}

// fill reads the next rows into buf, moving to the next row group and file
// as they end.
func (p *pqSplit) fill() error {
	p.i, p.n = 0, 0
	if p.ended {
		p.rows.Close()
		p.rows, p.ended = nil, false
	}
	for p.rows == nil {
		if p.g >= len(p.groups) {
			if p.f != nil {
				p.f.Close()
				p.f = nil
			}
			if p.k >= len(p.names) {
				return io.ErrUnexpectedEOF
			}
			f, pf, err := p.open(filepath.Join(p.dir, p.names[p.k]), p.l)
			if err != nil {
				return err
			}
			p.f, p.groups, p.g = f, pf.RowGroups(), 0
			p.k++
			continue
		}
		p.rows = p.groups[p.g].Rows()
		p.g++
	}
	n, err := p.rows.ReadRows(p.buf)
	p.n = n
	if err == io.EOF || (err == nil && n == 0) {
		p.ended = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("generators: parquet: %s: %w", p.names[p.k-1], err)
	}
	return nil
}

func (p *pqSplit) close() error {
	if p.rows != nil {
		p.rows.Close()
		p.rows = nil
	}
	if p.f != nil {
		err := p.f.Close()
		p.f = nil
		return err
	}
	return nil
}

// prepareParquet probes the record layout into m.Parquet and returns it
// placed, with the files' metadata.
func prepareParquet(spec Spec, sampler Sampler, opts WriteOptions, m *Manifest) (*pqLayout, []parquet.WriterOption, error) {
	rows := opts.RowsPerFile
	if rows == 0 {
		rows = DefaultRowsPerFile
	}
	if rows < 1 {
		return nil, nil, fmt.Errorf("generators: rows per file %d; want at least 1 (0 means %d)", rows, DefaultRowsPerFile)
	}
	root, err := probeParquet(spec, sampler)
	if err != nil {
		return nil, nil, err
	}
	l, err := newPQLayout(root)
	if err != nil {
		return nil, nil, err
	}
	m.Parquet = &ParquetInfo{RowsPerFile: rows, RowGroupRows: min(rows, DefaultRowGroupRows), Layout: root, Bytes: map[string]int64{}}
	meta, err := parquetMeta(m)
	if err != nil {
		return nil, nil, err
	}
	return l, meta, nil
}

// writeCard writes a parquet dataset's card; other formats have none.
func writeCard(out string, m *Manifest) error {
	if m.Format != FormatParquet {
		return nil
	}
	card, err := Card(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, CardFile), []byte(card), 0o644); err != nil {
		return fmt.Errorf("generators: writing the card: %w", err)
	}
	return nil
}

// checkParquetSplit checks that a parquet split's checksum list names
// exactly the files its count makes, and that they hold count rows in the
// manifest's layout.
func checkParquetSplit(dir string, m *Manifest, name string, info SplitInfo, sums []byte, bad func(string, ...any)) {
	if m.Parquet == nil || m.Parquet.RowsPerFile < 1 || m.Parquet.Layout == nil {
		bad("parquet: the manifest lacks rows_per_file or layout, which format parquet has")
		return
	}
	l, err := newPQLayout(m.Parquet.Layout)
	if err != nil {
		bad("parquet.layout: %v", err)
		return
	}
	var listed []string
	for _, line := range strings.Split(strings.TrimSuffix(string(sums), "\n"), "\n") {
		if _, rel, ok := strings.Cut(line, "  "); ok {
			listed = append(listed, rel)
		}
	}
	want := parquetFiles(name, info.Count, m.Parquet.RowsPerFile)
	for k := range want {
		want[k] = ParquetDir + "/" + want[k]
	}
	if strings.Join(listed, "\n") != strings.Join(want, "\n") {
		bad("%s: lists %v; %d samples at %d a file are %v", info.Checksums, listed, info.Count, m.Parquet.RowsPerFile, want)
		return
	}
	rows := int64(0)
	for k, rel := range want {
		f, pf, err := openParquetFile(filepath.Join(dir, filepath.FromSlash(rel)), l)
		if err != nil {
			if !errors.Is(err, os.ErrNotExist) {
				bad("%s: %v", rel, err)
			}
			continue
		}
		n := pf.NumRows()
		f.Close()
		if wantN := min(info.Count-k*m.Parquet.RowsPerFile, m.Parquet.RowsPerFile); n != int64(max(wantN, 0)) {
			bad("%s: %d rows, want %d", rel, n, max(wantN, 0))
		}
		rows += n
	}
	if rows != int64(info.Count) {
		bad("splits.%s.count: %d, but its parquet files hold %d rows", name, info.Count, rows)
	}
}

// checkCard checks that a parquet dataset's card is the one its manifest makes.
func checkCard(dir string, m *Manifest, bad func(string, ...any)) {
	want, err := Card(m)
	if err != nil {
		bad("%s: %v", CardFile, err)
		return
	}
	got, err := os.ReadFile(filepath.Join(dir, CardFile))
	switch {
	case err != nil:
		bad("%s: %v", CardFile, errors.Unwrap(err))
	case string(got) != want:
		bad("%s: not the card the manifest makes (edited?); regenerate or restore it", CardFile)
	}
}

// sameParquet reports whether two manifests' parquet sections agree.
// (their layouts and file sizes; not the bytes each holds).
func sameParquet(a, b *ParquetInfo) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, y := *a, *b
	x.Bytes, y.Bytes = nil, nil
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

// mergeParquetSplit copies the rows of split name from each shard folder
// in roots, in order, into out's files, laid out as one run would have laid
// them, and returns the sha256 of the new checksum list.
func mergeParquetSplit(roots []string, name, out string, m *Manifest, total int) (string, error) {
	l, err := newPQLayout(m.Parquet.Layout)
	if err != nil {
		return "", err
	}
	meta, err := parquetMeta(m)
	if err != nil {
		return "", err
	}
	dir, sumsPath, _ := splitPaths(out, FormatParquet, name)
	w, err := newParquetSplitWriter(dir, name, total, *m.Parquet, l, meta)
	if err != nil {
		return "", err
	}
	defer w.abort()
	for _, root := range roots {
		sm, err := ReadManifest(root)
		if err != nil {
			return "", err
		}
		for _, rel := range parquetFiles(name, sm.Splits[name].Count, sm.Parquet.RowsPerFile) {
			if err := copyParquetRows(filepath.Join(root, ParquetDir, rel), l, w); err != nil {
				return "", err
			}
		}
	}
	sums, err := w.finish()
	if err != nil {
		return "", err
	}
	m.Parquet.Bytes[name] = w.bytes
	var list bytes.Buffer
	for _, s := range sums {
		fmt.Fprintf(&list, "%s  %s\n", s.sum, s.path)
	}
	if err := os.WriteFile(sumsPath, list.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("generators: %w", err)
	}
	return hexSum(list.Bytes()), nil
}

func copyParquetRows(path string, l *pqLayout, w *parquetSplitWriter) error {
	f, pf, err := openParquetFile(path, l)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]parquet.Row, 64)
	for _, g := range pf.RowGroups() {
		rows := g.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, r := range buf[:n] {
				if werr := w.write(r.Clone()); werr != nil {
					rows.Close()
					return werr
				}
			}
			if err == io.EOF || (err == nil && n == 0) {
				break
			}
			if err != nil {
				rows.Close()
				return fmt.Errorf("generators: parquet: %s: %w", filepath.Base(path), err)
			}
		}
		rows.Close()
	}
	return nil
}

// readParquetSamples reads the records and files of a parquet split at the
// given positions.
func readParquetSamples(dir, split string, pos []int) (splitSamples, error) {
	r, err := Open(dir)
	if err != nil {
		return splitSamples{}, err
	}
	sr, err := r.Split(split)
	if err != nil {
		return splitSamples{}, err
	}
	defer sr.Close()
	want := map[int]bool{}
	last := -1
	for _, p := range pos {
		want[p] = true
		last = max(last, p)
	}
	out := splitSamples{lines: map[int][]byte{}, blobs: map[int]map[string][]byte{}}
	for i := 0; i <= last && sr.Next(); i++ {
		if want[i] {
			rec := sr.Record()
			out.lines[i], out.blobs[i] = rec.JSON, rec.blobs
		}
	}
	return out, sr.Err()
}

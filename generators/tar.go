package generators

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The tar layout (FormatTar) is WebDataset's: OUT/<split>/shard-000000.tar,
// shard-000001.tar, …, each holding Manifest.ShardSamples consecutive
// samples (the last fewer), file k the samples k·ShardSamples onwards by
// their index in the whole split. A sample's members are consecutive and
// share its key, its id ("000123"), which has no dot:
//
//	000123.json             the samples.jsonl record, without its newline
//	000123.png              the file of the field "image"
//	000123.mask.png         any other field's file: key.field.ext
//	000123.html             … without the field when it equals the extension
//	000123.parts.0.png      a file whose name goes on after the id
//	                        ("parts/000123_0.png"): key.field.rest.ext
//
// WebDataset and Hugging Face datasets take everything before the first dot
// of a member's name as the sample key and the rest as the column, so the
// rule keeps every dot after the id: in rest, any byte but a letter, digit,
// "_" or "-" becomes "_". The record is the same as in format png, so its
// paths ("images/000123.png") name the png layout's files; TarMember maps
// them to members. Headers are fixed (mode 0644, uid and gid 0, no user or
// group names, mtime 0, USTAR), so the bytes depend on the samples alone.

// DefaultShardSamples is the samples per tar file when
// WriteOptions.ShardSamples is zero.
const DefaultShardSamples = 1000

// TarShardName returns the name of a split's k-th tar file.
func TarShardName(k int) string { return fmt.Sprintf("shard-%06d.tar", k) }

// TarMember returns the tar member name of a sample's file: id is the
// sample's id, field the record field that holds rel, and rel the file's
// path in the png layout. See the layout above.
func TarMember(id, field, rel string) string {
	base := path.Base(rel)
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	ext = strings.TrimPrefix(ext, ".")
	rest, ok := strings.CutPrefix(stem, id)
	if ok {
		rest = strings.TrimLeft(rest, "_-.")
	} else {
		rest = stem
	}
	name := id
	if field != "image" && field != ext {
		name += "." + field
	}
	if rest != "" {
		name += "." + strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
				return r
			}
			return '_'
		}, rest)
	}
	if ext != "" {
		name += "." + ext
	}
	return name
}

// tarMember is one file of a sample in a tar shard.
type tarMember struct {
	name string
	data []byte
}

// tarJob is what a split job in format tar shares between its workers
// and its emitter.
type tarJob struct {
	// perShard is the samples per tar file.
	perShard int
	// bufs recycles encoded PNGs once they are written.
	bufs sync.Pool
}

func (t *tarJob) buf() []byte {
	if b, ok := t.bufs.Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, 4096)
}

// doTar encodes a rendered sample as its tar members: the record, then
// its files in order.
func (w *worker) doTar(i int, key SampleKey, s Sample) rendered {
	// The record goes into a recycled buffer that waits to be emitted:
	// written there by the record itself, or written into the worker's
	// scratch buffer first and rewritten there.
	var err error
	var line []byte
	switch a := s.Record.(type) {
	case TarJSONAppender:
		line, err = a.AppendTarJSON(w.j.tar.buf())
	case JSONAppender:
		if w.tarJS, err = a.AppendJSON(w.tarJS[:0]); err == nil {
			line, err = appendFloatJSON(w.j.tar.buf(), s.Record, w.tarJS, &w.tarTypes)
		}
	default:
		if w.tarJS, err = json.Marshal(s.Record); err == nil {
			line, err = appendFloatJSON(w.j.tar.buf(), s.Record, w.tarJS, &w.tarTypes)
		}
	}
	if err != nil {
		return rendered{index: i, err: fmt.Errorf("generators: sample %d: %w", i, err)}
	}
	id := key.ID()
	r := rendered{index: i, members: make([]tarMember, 0, 1+len(s.Files))}
	r.members = append(r.members, tarMember{id + ".json", line})
	for _, f := range s.Files {
		name := TarMember(id, f.Field, f.Path)
		for _, m := range r.members {
			if m.name == name {
				return rendered{index: i, err: fmt.Errorf("generators: sample %d: files %s and another map to the same tar member %s", i, f.Path, name)}
			}
		}
		// A copy even of Data: the renderer may reuse it once it renders
		// the next sample, and this one waits to be emitted.
		var data []byte
		if f.Data != nil {
			data = append(w.j.tar.buf(), f.Data...)
		} else {
			buf := bytes.NewBuffer(w.j.tar.buf())
			if err := w.enc.Encode(buf, f.Image); err != nil {
				return rendered{index: i, err: fmt.Errorf("generators: encoding %s: %w", f.Path, err)}
			}
			data = buf.Bytes()
		}
		r.members = append(r.members, tarMember{name, data})
	}
	return r
}

// release hands a written sample's buffers back for reuse.
func (t *tarJob) release(ms []tarMember) {
	for _, m := range ms {
		b := m.data
		t.bufs.Put(&b)
	}
}

// tarWriter writes a split's samples, in index order, into tar files of
// perShard samples each, and a SHA256SUMS line for each file it closes.
type tarWriter struct {
	dir      string
	perShard int
	sums     io.Writer
	cur      int // the open file's shard number; -1 when none is open
	path     string
	f        *os.File
	bw       *bufio.Writer
	h        hash.Hash
	hdr      tarHeader
	zeros    [2 * tarBlock]byte // padding and the end of the archive
}

func newTarWriter(dir string, perShard int, sums io.Writer) *tarWriter {
	return &tarWriter{dir: dir, perShard: perShard, sums: sums, cur: -1, h: sha256.New()}
}

// add writes sample index's members, opening the next tar file when the
// index enters a new shard.
func (t *tarWriter) add(index int, members []tarMember) error {
	if k := index / t.perShard; k != t.cur {
		if err := t.closeShard(); err != nil {
			return err
		}
		if err := t.openShard(k); err != nil {
			return err
		}
	}
	for _, m := range members {
		hdr, err := t.hdr.format(m.name, len(m.data))
		if err != nil {
			return fmt.Errorf("generators: %s: %s: %w", t.path, m.name, err)
		}
		// A bufio.Writer's error sticks, so the last write reports any.
		t.bw.Write(hdr)
		t.bw.Write(m.data)
		if _, err := t.bw.Write(t.zeros[:tarPadding(len(m.data))]); err != nil {
			return fmt.Errorf("generators: %s: %w", t.path, err)
		}
	}
	return nil
}

// tarBlock is tar's unit: headers are one block, data is padded to blocks,
// and two zero blocks end the archive.
const tarBlock = 512

// tarPadding is how many zero bytes follow n bytes of data.
func tarPadding(n int) int { return -n & (tarBlock - 1) }

// tarHeader formats the headers of the tar layout's members (see above)
// as archive/tar does, byte for byte (TestTarHeader holds them equal): a
// USTAR block from a template archive/tar wrote, with the name, the size
// and the checksum set; names USTAR cannot hold go through archive/tar.
type tarHeader struct {
	template []byte // a member "x" of size 0
	block    [tarBlock]byte
	long     bytes.Buffer // a header archive/tar formats
}

// tarHeaderOf is the header the tar layout gives a member.
func tarHeaderOf(name string, size int) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: int64(size), Mode: 0o644,
		ModTime: time.Unix(0, 0), Format: tar.FormatUSTAR}
}

// format returns the header blocks of a member; they are good until the
// next call.
func (t *tarHeader) format(name string, size int) ([]byte, error) {
	if t.template == nil {
		var b bytes.Buffer
		if err := tar.NewWriter(&b).WriteHeader(tarHeaderOf("x", 0)); err != nil {
			panic(err) // a fixed header that always formats
		}
		t.template = b.Bytes()[:tarBlock]
	}
	// USTAR holds a name of up to 100 bytes of ASCII without NUL in its
	// name field, and a size below 8⁸ in eleven octal digits.
	fits := len(name) <= 100 && size < 1<<33
	for i := 0; fits && i < len(name); i++ {
		fits = name[i] != 0 && name[i] < 0x80
	}
	if !fits {
		hdr := tarHeaderOf(name, size)
		if len(name) > 100 {
			hdr.Format = tar.FormatPAX
		}
		t.long.Reset()
		if err := tar.NewWriter(&t.long).WriteHeader(hdr); err != nil {
			return nil, err
		}
		return t.long.Bytes(), nil
	}
	b := t.block[:]
	copy(b, t.template)
	clear(b[:100])
	copy(b, name)
	formatOctal(b[124:136], uint64(size))
	// The checksum is the sum of the block's bytes with its own field
	// taken as spaces, in six octal digits, a NUL and a space.
	copy(b[148:156], "        ")
	sum := uint64(0)
	for _, c := range b {
		sum += uint64(c)
	}
	formatOctal(b[148:155], sum)
	return b, nil
}

// formatOctal writes v into field as archive/tar does: zero-padded octal
// digits and a NUL.
func formatOctal(field []byte, v uint64) {
	n := len(field) - 1
	field[n] = 0
	for i := n - 1; i >= 0; i-- {
		field[i] = byte('0' + v&7)
		v >>= 3
	}
}

func (t *tarWriter) openShard(k int) error {
	t.cur = k
	t.path = filepath.Join(t.dir, TarShardName(k))
	f, err := os.Create(t.path)
	if err != nil {
		return fmt.Errorf("generators: %w", err)
	}
	t.f = f
	t.h.Reset()
	if t.bw == nil {
		t.bw = bufio.NewWriterSize(io.MultiWriter(f, t.h), 1<<20)
	} else {
		t.bw.Reset(io.MultiWriter(f, t.h))
	}
	return nil
}

// closeShard ends the open tar file, if any, and lists it in SHA256SUMS.
func (t *tarWriter) closeShard() error {
	if t.f == nil {
		return nil
	}
	_, err := t.bw.Write(t.zeros[:]) // the end of the archive
	if err == nil {
		err = t.bw.Flush()
	}
	if cerr := t.f.Close(); err == nil {
		err = cerr
	}
	t.f = nil
	if err != nil {
		return fmt.Errorf("generators: %s: %w", t.path, err)
	}
	_, err = fmt.Fprintf(t.sums, "%s  %s\n", hex.EncodeToString(t.h.Sum(nil)), TarShardName(t.cur))
	return err
}

// finish closes the last tar file.
func (t *tarWriter) finish() error { return t.closeShard() }

// abort closes an open tar file without finishing it.
func (t *tarWriter) abort() {
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
}

// tarShards returns the tar files that hold a split's samples
// [first, first+count), by name, in order.
func tarShards(first, count, perShard int) []string {
	if count <= 0 || perShard <= 0 {
		return nil
	}
	var out []string
	for k := first / perShard; k <= (first+count-1)/perShard; k++ {
		out = append(out, TarShardName(k))
	}
	return out
}

// tarSample is one sample read from a tar shard: its key and members.
type tarSample struct {
	key     string
	file    string // the tar file it was read from
	members []tarMember
}

// member returns the data of the named member.
func (s *tarSample) member(name string) ([]byte, bool) {
	for _, m := range s.members {
		if m.name == name {
			return m.data, true
		}
	}
	return nil, false
}

// maxTarMember bounds one member's size, so that a corrupt header cannot
// make a reader allocate without limit.
const maxTarMember = 1 << 30

// tarSamples reads samples from a list of tar files in order. A sample's
// members must be consecutive and in one file.
type tarSamples struct {
	dir   string
	files []string
	fi    int // index in files of the open file
	f     *os.File
	tr    *tar.Reader
	ahead *tarMember // a member read past the end of the previous sample
}

func newTarSamples(dir string, files []string) *tarSamples {
	return &tarSamples{dir: dir, files: files, fi: -1}
}

// next reads the next sample; io.EOF means no sample is left.
func (t *tarSamples) next() (tarSample, error) {
	var s tarSample
	for {
		if t.ahead == nil {
			if t.tr == nil {
				if s.key != "" {
					return s, nil // a sample ends with its file
				}
				if err := t.open(); err != nil {
					return s, err
				}
			}
			m, err := t.read()
			if err == io.EOF {
				t.f.Close()
				t.f, t.tr = nil, nil
				continue
			}
			if err != nil {
				return s, err
			}
			t.ahead = &m
		}
		key, _, _ := strings.Cut(t.ahead.name, ".")
		if s.key != "" && key != s.key {
			return s, nil
		}
		s.key, s.file = key, t.files[t.fi]
		s.members = append(s.members, *t.ahead)
		t.ahead = nil
	}
}

// open opens the next file, or returns io.EOF after the last.
func (t *tarSamples) open() error {
	if t.fi+1 >= len(t.files) {
		return io.EOF
	}
	t.fi++
	f, err := os.Open(filepath.Join(t.dir, t.files[t.fi]))
	if err != nil {
		return fmt.Errorf("generators: %w", err)
	}
	t.f, t.tr = f, tar.NewReader(bufio.NewReaderSize(f, 1<<16))
	return nil
}

// read reads the open file's next member, checking that it is a file with
// a key.
func (t *tarSamples) read() (tarMember, error) {
	name := t.files[t.fi]
	h, err := t.tr.Next()
	if err == io.EOF {
		return tarMember{}, io.EOF
	}
	if err != nil {
		return tarMember{}, fmt.Errorf("generators: %s: not a whole tar file (%v); regenerate it, or check it with hiddendim verify", name, err)
	}
	if h.Typeflag != tar.TypeReg {
		return tarMember{}, fmt.Errorf("generators: %s: %s is not a regular file (tar type %q); a shard holds only sample files", name, h.Name, h.Typeflag)
	}
	key, _, ok := strings.Cut(h.Name, ".")
	if !ok || key == "" || strings.ContainsAny(h.Name, "/\\") {
		return tarMember{}, fmt.Errorf("generators: %s: member %q: want KEY.EXT with no folder, such as 000123.png", name, h.Name)
	}
	if h.Size > maxTarMember {
		return tarMember{}, fmt.Errorf("generators: %s: member %s: %d bytes, more than the %d a sample file may have", name, h.Name, h.Size, maxTarMember)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(t.tr); err != nil {
		return tarMember{}, fmt.Errorf("generators: %s: not a whole tar file (member %s: %v); regenerate it, or check it with hiddendim verify", name, h.Name, err)
	}
	return tarMember{h.Name, b.Bytes()}, nil
}

func (t *tarSamples) close() error {
	if t.f == nil {
		return nil
	}
	err := t.f.Close()
	t.f, t.tr = nil, nil
	return err
}

// errTarKey is wrapped when a sample's key is not the id its place implies.
var errTarKey = errors.New("sample out of place")

// nextAt reads the next sample and checks that it is the sample with the
// given id and has a record.
func (t *tarSamples) nextAt(id string) (tarSample, []byte, error) {
	s, err := t.next()
	if err == io.EOF {
		return s, nil, fmt.Errorf("generators: %s ends before sample %s", strings.Join(t.files, ", "), id)
	}
	if err != nil {
		return s, nil, err
	}
	if s.key != id {
		return s, nil, fmt.Errorf("generators: %s: sample %q where sample %s belongs: %w", s.file, s.key, id, errTarKey)
	}
	rec, ok := s.member(id + ".json")
	if !ok {
		return s, nil, fmt.Errorf("generators: %s: sample %s has no %s.json member (its record)", s.file, id, id)
	}
	return s, rec, nil
}

// shardSamples checks WriteOptions.ShardSamples and applies its default.
func shardSamples(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultShardSamples, nil
	case n < 0:
		return 0, fmt.Errorf("generators: %d samples per tar file: want 1 or more, or 0 for %d", n, DefaultShardSamples)
	}
	return n, nil
}

package generators

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"

	"github.com/klauspost/compress/flate"
)

// pngEncoder writes the images generators make — opaque RGBA, Gray and
// Gray16 — as PNG faster than image/png: one cheap filter rule instead of
// trying all five filters on every row, and a reused deflate compressor
// from klauspost/compress, which is several times faster than
// compress/flate at its fastest level. Other images go through image/png.
// One encoder serves one goroutine.
//
// The filter rule suits drawn images: a row equal to the one above is
// filtered Up (all zeros); any other row Sub, which turns runs of one
// color into zeros.
//
// The zlib stream is klauspost/compress/zlib's at BestSpeed, byte for
// byte (TestPNGEncoderBytes holds them equal), framed here: the whole
// filtered image goes to the compressor in one write, and its Adler-32
// checksum is this package's, which is faster than hash/adler32 and takes
// a row filtered Up (drawn images and masks have many) in one step.
type pngEncoder struct {
	fw       *flate.Writer
	idat     bytes.Buffer
	filtered []byte
	fallback png.Encoder
}

func newPNGEncoder() *pngEncoder {
	fw, _ := flate.NewWriter(nil, flate.BestSpeed) // the level is valid
	return &pngEncoder{fw: fw, fallback: png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &encoderPool{}}}
}

// encoderPool keeps one worker's image/png compressor between images.
type encoderPool struct{ b *png.EncoderBuffer }

func (p *encoderPool) Get() *png.EncoderBuffer  { return p.b }
func (p *encoderPool) Put(b *png.EncoderBuffer) { p.b = b }

// PNG color types and bit depths.
const (
	pngGray      = 0
	pngTruecolor = 2
)

// zlibHeader begins a zlib stream of deflate with a 32 KiB window at the
// fastest level (RFC 1950: CMF 0x78; FLEVEL 0 and the check bits make
// 0x01), as klauspost/compress/zlib writes it at BestSpeed.
const zlibHeader = "\x78\x01"

// Encode appends img, as PNG, to out.
func (e *pngEncoder) Encode(out *bytes.Buffer, img image.Image) error {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var depth, colorType, bpp, srcBpp int // bytes per pixel in the PNG and in Pix
	var pix []byte
	var stride, offset int
	switch m := img.(type) {
	case *image.RGBA:
		depth, colorType, bpp, srcBpp = 8, pngTruecolor, 3, 4
		pix, stride, offset = m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y)
	case *image.Gray:
		depth, colorType, bpp, srcBpp = 8, pngGray, 1, 1
		pix, stride, offset = m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y)
	case *image.Gray16:
		depth, colorType, bpp, srcBpp = 16, pngGray, 2, 2
		pix, stride, offset = m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y)
	default:
		return e.fallback.Encode(out, img)
	}
	if w <= 0 || h <= 0 || int64(w)*int64(h) >= 1<<31 {
		return e.fallback.Encode(out, img) // image/png reports the error
	}
	n := w * bpp
	// The whole filtered image, for one write to the compressor (a
	// 256×256 RGB image takes 197 KB), and four spare bytes: filterRGBA
	// stores four bytes for each three, and its last store reaches one
	// byte past the row.
	e.filtered = grow(e.filtered, h*(n+1)+4)
	var prev []byte
	sum := uint32(1) // the Adler-32 of the rows so far
	for y := 0; y < h; y++ {
		row := pix[offset+y*stride : offset+y*stride+w*srcBpp]
		f := e.filtered[y*(n+1):]
		switch {
		case y > 0 && bytes.Equal(row, prev):
			f[0] = 2 // Up: all zeros
			clear(f[1 : n+1])
			sum = adler32UpRow(sum, n)
			prev = row
			continue
		case srcBpp == 4: // RGBA to RGB, Sub
			if !filterRGBA(f, row) {
				return e.fallback.Encode(out, img) // not opaque
			}
		default: // Sub
			filterSub(f[:n+1], row[:n], bpp)
		}
		sum = adler32Update(sum, f[:n+1])
		prev = row
	}
	filtered := e.filtered[:h*(n+1)]
	e.idat.Reset()
	e.idat.WriteString(zlibHeader)
	e.fw.Reset(&e.idat)
	if _, err := e.fw.Write(filtered); err != nil {
		return err
	}
	if err := e.fw.Close(); err != nil {
		return err
	}
	var trailer [4]byte
	binary.BigEndian.PutUint32(trailer[:], sum)
	e.idat.Write(trailer[:])
	out.WriteString("\x89PNG\r\n\x1a\n")
	var hdr [13]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(w))
	binary.BigEndian.PutUint32(hdr[4:], uint32(h))
	hdr[8], hdr[9] = byte(depth), byte(colorType) // compression, filter and interlace methods 0
	writeChunk(out, "IHDR", hdr[:])
	writeChunk(out, "IDAT", e.idat.Bytes())
	writeChunk(out, "IEND", nil)
	return nil
}

// filterRGBA writes row, RGBA pixels, into f as a PNG row of RGB pixels
// filtered Sub: the filter byte, then each byte less the one a pixel
// before. f needs four bytes past the row's 1+3w. It reports false, and
// leaves f unfinished, if a pixel is not opaque.
func filterRGBA(f, row []byte) bool {
	f[0] = 1
	f[1], f[2], f[3] = row[0], row[1], row[2]
	opaque := row[3] == 0xff
	alpha := ^uint64(0) // the AND of the pixels after the first
	// Two pixels a step: eight bytes of cur less the eight before them
	// (prv, one pixel behind), whose two RGB triples go to out and out[3:].
	// The lengths in the loop's condition let the compiler drop its bounds
	// checks.
	cur, prv, out := row[4:], row, f[4:]
	for len(cur) >= 8 && len(prv) >= 8 && len(out) >= 8 {
		c := binary.LittleEndian.Uint64(cur)
		d := subBytes64(c, binary.LittleEndian.Uint64(prv))
		alpha &= c
		binary.LittleEndian.PutUint32(out, uint32(d))
		binary.LittleEndian.PutUint32(out[3:], uint32(d>>32))
		cur, prv, out = cur[8:], prv[8:], out[6:]
	}
	if len(cur) >= 4 { // an odd pixel left
		c := binary.LittleEndian.Uint32(cur)
		alpha &= uint64(c) | 0xffffffff_00000000
		binary.LittleEndian.PutUint32(out, subBytes32(c, binary.LittleEndian.Uint32(prv)))
	}
	const alphas = 0xff000000_ff000000
	return opaque && alpha&alphas == alphas
}

// filterSub writes row into f as a PNG row filtered Sub, for bpp bytes a
// pixel: the filter byte, then each byte less the one bpp before.
func filterSub(f, row []byte, bpp int) {
	f[0] = 1
	f = f[1:]
	copy(f[:bpp], row[:bpp])
	cur, prv, out := row[bpp:], row, f[bpp:]
	for len(cur) >= 8 && len(prv) >= 8 && len(out) >= 8 {
		binary.LittleEndian.PutUint64(out, subBytes64(binary.LittleEndian.Uint64(cur), binary.LittleEndian.Uint64(prv)))
		cur, prv, out = cur[8:], prv[8:], out[8:]
	}
	for i, c := range cur {
		out[i] = c - prv[i]
	}
}

// subBytes32 and subBytes64 subtract b from a byte by byte, modulo 256,
// with no borrow from one byte to the next: each byte's low seven bits are
// subtracted with its high bit set, so that they cannot borrow from the
// next byte, and the high bit is then set right.
func subBytes32(a, b uint32) uint32 {
	const hi = 0x80808080
	return ((a | hi) - (b &^ hi)) ^ ((a ^ ^b) & hi)
}

func subBytes64(a, b uint64) uint64 {
	const hi = 0x8080808080808080
	return ((a | hi) - (b &^ hi)) ^ ((a ^ ^b) & hi)
}

// writeChunk appends one PNG chunk: length, type, data, CRC of type and data.
func writeChunk(out *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	out.Write(n[:])
	out.WriteString(typ)
	out.Write(data)
	crc := crc32.Update(crc32.ChecksumIEEE([]byte(typ)), crc32.IEEETable, data)
	binary.BigEndian.PutUint32(n[:], crc)
	out.Write(n[:])
}

// grow returns b resized to n bytes, reusing its storage when it can.
func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

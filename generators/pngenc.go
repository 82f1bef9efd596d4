package generators

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/png"

	"github.com/klauspost/compress/zlib"
)

// pngEncoder writes the images generators make — opaque RGBA, Gray and
// Gray16 — as PNG faster than image/png: one cheap filter rule instead of
// trying all five filters on every row, and a reused zlib compressor from
// klauspost/compress, which is several times faster than compress/flate at
// its fastest level. Other images go through image/png. One encoder
// serves one goroutine.
//
// The filter rule suits drawn images: a row equal to the one above is
// filtered Up (all zeros); any other row Sub, which turns runs of one
// color into zeros.
type pngEncoder struct {
	zw       *zlib.Writer
	idat     bytes.Buffer
	filtered []byte
	fallback png.Encoder
}

func newPNGEncoder() *pngEncoder {
	zw, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed) // the level is valid
	return &pngEncoder{zw: zw, fallback: png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &encoderPool{}}}
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

// Encode appends img, as PNG, to out.
func (e *pngEncoder) Encode(out *bytes.Buffer, img image.Image) error {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var depth, colorType, bpp, srcBpp int // bytes per pixel in the PNG and in Pix
	var pix []byte
	var stride, offset int
	switch m := img.(type) {
	case *image.RGBA:
		if !m.Opaque() {
			return e.fallback.Encode(out, img)
		}
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
	e.filtered = grow(e.filtered, n+1)
	e.idat.Reset()
	e.zw.Reset(&e.idat)
	var prev []byte
	for y := 0; y < h; y++ {
		row := pix[offset+y*stride : offset+y*stride+w*srcBpp]
		f := e.filtered
		switch {
		case y > 0 && bytes.Equal(row, prev):
			f[0] = 2 // Up: all zeros
			clear(f[1:])
		case srcBpp == 4: // RGBA to RGB, Sub
			f[0] = 1
			f[1], f[2], f[3] = row[0], row[1], row[2]
			for x, o := 1, 4; x < w; x, o = x+1, o+3 {
				s := row[4*x : 4*x+3 : 4*x+3]
				p := row[4*x-4 : 4*x-1 : 4*x-1]
				f[o], f[o+1], f[o+2] = s[0]-p[0], s[1]-p[1], s[2]-p[2]
			}
		default: // Sub
			f[0] = 1
			copy(f[1:1+bpp], row[:bpp])
			for i := bpp; i < n; i++ {
				f[1+i] = row[i] - row[i-bpp]
			}
		}
		if _, err := e.zw.Write(f); err != nil {
			return err
		}
		prev = row
	}
	if err := e.zw.Close(); err != nil {
		return err
	}
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

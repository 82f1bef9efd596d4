package generators

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zlib"
)

// refPNG is the encoder as it was before it framed zlib itself and
// filtered eight bytes at a time: row by row through
// klauspost/compress/zlib, one byte at a time. The datasets' bytes were
// made by it, so the encoder must write the same.
func refPNG(img image.Image) []byte {
	zw, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	return refPNGWith(zw, img)
}

// refPNGWith is refPNG reusing zw, as the encoder reused its compressor.
func refPNGWith(zw *zlib.Writer, img image.Image) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	var depth, colorType, bpp, srcBpp int
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
	}
	n := w * bpp
	f := make([]byte, n+1)
	var idat bytes.Buffer
	zw.Reset(&idat)
	var prev []byte
	for y := 0; y < h; y++ {
		row := pix[offset+y*stride : offset+y*stride+w*srcBpp]
		switch {
		case y > 0 && bytes.Equal(row, prev):
			f[0] = 2
			clear(f[1:])
		case srcBpp == 4:
			f[0] = 1
			f[1], f[2], f[3] = row[0], row[1], row[2]
			for x, o := 1, 4; x < w; x, o = x+1, o+3 {
				f[o], f[o+1], f[o+2] = row[4*x]-row[4*x-4], row[4*x+1]-row[4*x-3], row[4*x+2]-row[4*x-2]
			}
		default:
			f[0] = 1
			copy(f[1:1+bpp], row[:bpp])
			for i := bpp; i < n; i++ {
				f[1+i] = row[i] - row[i-bpp]
			}
		}
		zw.Write(f)
		prev = row
	}
	zw.Close()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	var hdr [13]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(w))
	binary.BigEndian.PutUint32(hdr[4:], uint32(h))
	hdr[8], hdr[9] = byte(depth), byte(colorType)
	writeChunk(&out, "IHDR", hdr[:])
	writeChunk(&out, "IDAT", idat.Bytes())
	writeChunk(&out, "IEND", nil)
	return out.Bytes()
}

// TestPNGEncoderBytes holds the encoder's bytes equal to refPNG's for each
// kind it encodes itself: drawn-looking images (runs, repeated rows), noise,
// images large enough for several deflate blocks, odd widths that leave a
// tail after the eight-byte steps, and sub-images.
func TestPNGEncoderBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	drawn := func(w, h int) (*image.RGBA, *image.Gray, *image.Gray16) {
		rgba, gray, gray16 := image.NewRGBA(image.Rect(0, 0, w, h)), image.NewGray(image.Rect(0, 0, w, h)), image.NewGray16(image.Rect(0, 0, w, h))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				v := uint8((x/7 + y/5) * 40)
				if y%11 == 3 {
					v = uint8(rng.IntN(256))
				}
				if y%13 > 8 { // rows equal to the one above
					v = uint8(x * 3)
				}
				rgba.SetRGBA(x, y, color.RGBA{v, 255 - v, v ^ 0x5a, 255})
				gray.SetGray(x, y, color.Gray{v})
				gray16.SetGray16(x, y, color.Gray16{uint16(v)<<8 | uint16(255-v)})
			}
		}
		return rgba, gray, gray16
	}
	noise := image.NewRGBA(image.Rect(0, 0, 300, 300))
	for i := range noise.Pix {
		noise.Pix[i] = byte(rng.Uint32())
		if i%4 == 3 {
			noise.Pix[i] = 255
		}
	}
	var imgs []image.Image
	for _, sz := range [][2]int{{1, 1}, {2, 3}, {9, 4}, {75, 75}, {256, 256}, {257, 301}} {
		r, g, g16 := drawn(sz[0], sz[1])
		imgs = append(imgs, r, g, g16)
	}
	r, g, g16 := drawn(120, 90)
	imgs = append(imgs, noise, r.SubImage(image.Rect(3, 5, 100, 77)), g.SubImage(image.Rect(1, 2, 118, 9)), g16.SubImage(image.Rect(7, 1, 8, 80)))
	enc := newPNGEncoder()
	var buf bytes.Buffer
	for i, img := range imgs {
		for pass := range 2 { // the second reuses the buffers
			buf.Reset()
			if err := enc.Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			if want := refPNG(img); !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("image %d (%T %v), pass %d: %d bytes differ from the reference's %d", i, img, img.Bounds(), pass, buf.Len(), len(want))
			}
		}
	}
}

func TestSubBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for range 10000 {
		a, b := rng.Uint64(), rng.Uint64()
		if rng.IntN(4) == 0 {
			b = a & rng.Uint64() // equal bytes
		}
		got, got32 := subBytes64(a, b), subBytes32(uint32(a), uint32(b))
		for k := range 8 {
			want := byte(a>>(8*k)) - byte(b>>(8*k))
			if byte(got>>(8*k)) != want || k < 4 && byte(got32>>(8*k)) != want {
				t.Fatalf("subBytes(%016x, %016x) byte %d = %02x (32 bits: %08x), want %02x", a, b, k, byte(got>>(8*k)), got32, want)
			}
		}
	}
}

// BenchmarkPNGEncode encodes a drawn 256×256 RGBA image (a webpages
// screenshot's size) and a 75×75 one (clevrlite's) with the encoder and
// with refPNG, the encoder it replaced, in images/s.
func BenchmarkPNGEncode(b *testing.B) {
	for _, size := range []int{256, 75} {
		img := image.NewRGBA(image.Rect(0, 0, size, size))
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				v := uint8((x/9 + y/13) * 50)
				if y%17 == 5 && x%5 < 3 { // glyph-like specks
					v ^= 0x6c
				}
				img.SetRGBA(x, y, color.RGBA{v, v / 2, 255 - v, 255})
			}
		}
		enc := newPNGEncoder()
		var buf bytes.Buffer
		b.Run(fmt.Sprintf("%d/encoder", size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf.Reset()
				if err := enc.Encode(&buf, img); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
		b.Run(fmt.Sprintf("%d/before", size), func(b *testing.B) {
			b.ReportAllocs()
			zw, _ := zlib.NewWriterLevel(nil, zlib.BestSpeed)
			for b.Loop() {
				refPNGWith(zw, img)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}

// BenchmarkFilterRGBA filters one 256-pixel row.
func BenchmarkFilterRGBA(b *testing.B) {
	row := make([]byte, 4*256)
	for i := range row {
		row[i] = byte(i * 7)
		if i%4 == 3 {
			row[i] = 255
		}
	}
	f := make([]byte, 3*256+1+4)
	b.SetBytes(int64(len(row)))
	for b.Loop() {
		filterRGBA(f, row)
	}
}

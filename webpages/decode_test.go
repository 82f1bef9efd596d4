package webpages

import (
	"image"
	"strings"
	"testing"
)

// gray16 makes a w×h instance mask with the given ids, row by row.
func gray16(w, h int, ids ...int) *image.Gray16 {
	m := image.NewGray16(image.Rect(0, 0, w, h))
	for i, id := range ids {
		m.Pix[2*i], m.Pix[2*i+1] = uint8(id>>8), uint8(id)
	}
	return m
}

// gray makes a w×h class mask with the given classes, row by row.
func gray(w, h int, cs ...Class) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i, c := range cs {
		m.Pix[i] = uint8(c)
	}
	return m
}

func TestRegionsFromMasks(t *testing.T) {
	// A 4×3 page: element 1 (a header) on the top row, element 2 (a
	// button) at (1, 1)–(3, 3) with one pixel mislabelled a text, and
	// element 300 (id past a byte) at (0, 2).
	instance := gray16(4, 3,
		1, 1, 1, 1,
		0, 2, 2, 0,
		300, 2, 2, 0)
	class := gray(4, 3,
		Header, Header, Header, Header,
		Background, Button, Text, Background,
		Image, Button, Button, Background)
	got, err := RegionsFromMasks(instance, class)
	if err != nil {
		t.Fatal(err)
	}
	want := []Region{{Header, [4]int{0, 0, 4, 1}}, {Button, [4]int{1, 1, 3, 3}}, {Image, [4]int{0, 2, 1, 3}}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("region %d: %v, want %v", i, got[i], want[i])
		}
	}
}

func TestRegionsFromMasksErrors(t *testing.T) {
	short := image.NewGray16(image.Rect(0, 0, 4, 4))
	short.Pix = short.Pix[:20]
	narrow := image.NewGray(image.Rect(0, 0, 4, 4))
	narrow.Stride = 3
	tests := []struct {
		name     string
		instance *image.Gray16
		class    *image.Gray
		msg      string
	}{
		{"class smaller", image.NewGray16(image.Rect(0, 0, 8, 8)), image.NewGray(image.Rect(0, 0, 4, 8)),
			"the instance mask is (0,0)-(8,8) (8x8) and the class mask (0,0)-(4,8) (4x8): want the same bounds"},
		{"class larger", image.NewGray16(image.Rect(0, 0, 4, 4)), image.NewGray(image.Rect(0, 0, 5, 5)), "(4x4) and the class mask (0,0)-(5,5) (5x5)"},
		{"class offset", image.NewGray16(image.Rect(0, 0, 4, 4)), image.NewGray(image.Rect(1, 1, 5, 5)), "want the same bounds"},
		{"nil instance", nil, image.NewGray(image.Rect(0, 0, 4, 4)), "needs both masks"},
		{"nil class", image.NewGray16(image.Rect(0, 0, 4, 4)), nil, "needs both masks"},
		{"short pixels", short, image.NewGray(image.Rect(0, 0, 4, 4)), "the instance mask holds 20 bytes, 4x4 pixels at stride 8 need 32"},
		{"short stride", image.NewGray16(image.Rect(0, 0, 4, 4)), narrow, "the class mask's stride is 3 bytes, shorter than a row of 4 pixels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			regions, err := RegionsFromMasks(tt.instance, tt.class)
			if err == nil || !strings.HasPrefix(err.Error(), "webpages: ") || !strings.Contains(err.Error(), tt.msg) || regions != nil {
				t.Errorf("got %v, %v; want no regions and an error with %q", regions, err, tt.msg)
			}
		})
	}
}

// FuzzRegionsFromMasks makes masks of any sizes and strides over any bytes:
// RegionsFromMasks must return an error or regions, one per id in the
// instance mask, each box inside the bounds and holding its id.
func FuzzRegionsFromMasks(f *testing.F) {
	f.Add(uint8(4), uint8(3), uint8(4), uint8(3), int8(0), int8(0), uint8(0), []byte("\x00\x01\x00\x01\x00\x02\x01\x01\x00\x00\x05\x06\x07\x08"))
	f.Add(uint8(8), uint8(8), uint8(4), uint8(8), int8(0), int8(0), uint8(0), []byte{1, 2, 3})
	f.Add(uint8(3), uint8(3), uint8(3), uint8(3), int8(-1), int8(2), uint8(1), []byte("abcdefghijklmnopqrstuvwxyz"))
	f.Fuzz(func(t *testing.T, iw, ih, cw, ch uint8, idelta, cdelta int8, cut uint8, pix []byte) {
		iw, ih, cw, ch = iw%40, ih%40, cw%40, ch%40
		// The instance mask's bytes repeat pix, cut short by cut bytes.
		ip := make([]byte, max(0, 2*int(iw)*int(ih)-int(cut)))
		for i := range ip {
			if len(pix) > 0 {
				ip[i] = pix[i%len(pix)]
			}
		}
		cp := make([]byte, int(cw)*int(ch))
		for i := range cp {
			if len(pix) > 0 {
				cp[i] = pix[(i*7)%len(pix)] % 16
			}
		}
		instance := &image.Gray16{Pix: ip, Stride: 2*int(iw) + int(idelta), Rect: image.Rect(0, 0, int(iw), int(ih))}
		class := &image.Gray{Pix: cp, Stride: int(cw) + int(cdelta), Rect: image.Rect(0, 0, int(cw), int(ch))}
		regions, err := RegionsFromMasks(instance, class)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "webpages: ") || regions != nil {
				t.Fatalf("error %v with regions %v", err, regions)
			}
			return
		}
		ids := map[int]bool{}
		for y := range int(ih) {
			for x := range int(iw) {
				o := instance.PixOffset(x, y)
				if id := int(ip[o])<<8 | int(ip[o+1]); id != 0 {
					ids[id] = true
				}
			}
		}
		if len(regions) != len(ids) {
			t.Fatalf("%d regions for %d ids", len(regions), len(ids))
		}
		for _, r := range regions {
			b := r.Box
			if b[0] < 0 || b[1] < 0 || b[2] > int(iw) || b[3] > int(ih) || b[2] <= b[0] || b[3] <= b[1] || r.Class >= numClasses {
				t.Fatalf("region %v in a %dx%d mask", r, iw, ih)
			}
		}
	})
}

// FuzzDecodeTree reads regions from bytes (a class and four coordinates
// each): DecodeTree must give a tree of one element per region with area,
// numbered depth first, each inside its parent within the tolerance.
func FuzzDecodeTree(f *testing.F) {
	f.Add([]byte{1, 0, 0, 100, 20, 6, 10, 30, 90, 60, 7, 10, 30, 50, 60, 10, 12, 32, 48, 50}, uint8(0))
	f.Add([]byte{3, 5, 5, 5, 9, 200, 250, 0, 255, 1, 12, 40, 40, 30, 30}, uint8(3))
	f.Fuzz(func(t *testing.T, data []byte, tol uint8) {
		var regions []Region
		valid := 0
		for i := 0; i+5 <= len(data); i += 5 {
			r := Region{Class: Class(data[i]), Box: [4]int{int(data[i+1]) - 8, int(data[i+2]) - 8, int(data[i+3]) - 8, int(data[i+4]) - 8}}
			if r.Box[2] > r.Box[0] && r.Box[3] > r.Box[1] {
				valid++
			}
			regions = append(regions, r)
		}
		page := DecodeTree(regions, 240, 240, int(tol%8))
		if n := page.Count() - 1; n != valid {
			t.Fatalf("%d regions with area became %d elements", valid, n)
		}
		id := 0
		var check func(e *Element)
		check = func(e *Element) {
			if e.ID != id {
				t.Fatalf("element %v numbered %d, want %d", e.Box, e.ID, id)
			}
			id++
			for _, c := range e.Children {
				if e != page && !contains(e.Box, c.Box, int(tol%8)) {
					t.Fatalf("child %v outside parent %v", c.Box, e.Box)
				}
				check(c)
			}
		}
		check(page)
	})
}

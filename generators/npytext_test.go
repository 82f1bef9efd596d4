package generators

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestTextArrays encodes text features, scalar and shaped, to npy elements
// and back: each string padded with NULs to MaxLen code points, row-major.
func TestTextArrays(t *testing.T) {
	utf32 := func(s string, width int) []byte {
		var b []byte
		for _, r := range s {
			b = binary.LittleEndian.AppendUint32(b, uint32(r))
		}
		return append(b, make([]byte, 4*width-len(b))...)
	}
	tests := []struct {
		name string
		feat Feature
		json string
		want []byte
	}{
		{"scalar", Feature{Kind: TextFeature, MaxLen: 4}, `"ab"`, utf32("ab", 4)},
		{"full width", Feature{Kind: TextFeature, MaxLen: 2}, `"é€"`, utf32("é€", 2)},
		{"empty", Feature{Kind: TextFeature, MaxLen: 1}, `""`, utf32("", 1)},
		{"vector", Feature{Kind: TextFeature, MaxLen: 3, Shape: []int{2}}, `["x","yz"]`, append(utf32("x", 3), utf32("yz", 3)...)},
		{"matrix", Feature{Kind: TextFeature, MaxLen: 1, Shape: []int{2, 2}}, `[["a","b"],["c",""]]`,
			bytes.Join([][]byte{utf32("a", 1), utf32("b", 1), utf32("c", 1), utf32("", 1)}, nil)},
		{"inner NUL kept", Feature{Kind: TextFeature, MaxLen: 3}, `"a\u0000b"`, utf32("a\x00b", 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encodeValue(tt.feat, json.RawMessage(tt.json))
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("encodeValue = % x (%v), want % x", got, err, tt.want)
			}
			back, err := decodeValue(tt.feat, got)
			if err != nil {
				t.Fatal(err)
			}
			var want any
			json.Unmarshal([]byte(tt.json), &want)
			if js, _ := json.Marshal(back); string(js) != mustJSON(t, want) {
				t.Fatalf("decodeValue = %s, want %s", js, tt.json)
			}
		})
	}
	for _, tt := range []struct {
		name string
		feat Feature
		json string
		want string
	}{
		{"too long", Feature{Kind: TextFeature, MaxLen: 2}, `"abc"`, "longer than 2"},
		{"too few", Feature{Kind: TextFeature, MaxLen: 2, Shape: []int{3}}, `["a","b"]`, "want 3 strings, got 2"},
		{"not a string", Feature{Kind: TextFeature, MaxLen: 2, Shape: []int{2}}, `["a",1]`, "want strings"},
	} {
		if _, err := encodeValue(tt.feat, json.RawMessage(tt.json)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: encodeValue = %v, want an error saying %q", tt.name, err, tt.want)
		}
	}
	bad := binary.LittleEndian.AppendUint32(nil, 0xD800) // a surrogate: no Go string holds it
	if _, err := decodeValue(Feature{Kind: TextFeature, MaxLen: 1}, bad); err == nil || !strings.Contains(err.Error(), "0xd800") {
		t.Errorf("surrogate decoded: %v", err)
	}
	if _, err := decodeValue(Feature{Kind: TextFeature, MaxLen: 2, Shape: []int{2}}, make([]byte, 12)); err == nil {
		t.Error("12 bytes decoded as two 2-character strings")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FuzzDecodeText feeds npy '<U' element bytes to decodeValue, as the npz
// reader does: it must not panic, and what it decodes must encode back to
// the same bytes.
func FuzzDecodeText(f *testing.F) {
	f.Add([]byte("a\x00\x00\x00b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), uint8(2), uint8(2))
	f.Add([]byte("\x00\xd8\x00\x00"), uint8(1), uint8(1))
	f.Add([]byte{}, uint8(0), uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, maxLen, count uint8) {
		feat := Feature{Kind: TextFeature, MaxLen: int(maxLen%8) + 1, Shape: []int{int(count % 4)}}
		v, err := decodeValue(feat, b)
		if err != nil {
			return
		}
		js, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		again, err := encodeValue(feat, js)
		if err != nil {
			t.Fatalf("decoded %s does not encode: %v", js, err)
		}
		if !reflect.DeepEqual(again, b) && !(len(again) == 0 && len(b) == 0) {
			t.Fatalf("% x decoded to %s, encoded back to % x", b, js, again)
		}
	})
}

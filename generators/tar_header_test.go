package generators

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTarHeader holds the tar writer's own headers, and a whole shard,
// equal byte for byte to what archive/tar writes for the same members.
func TestTarHeader(t *testing.T) {
	names := []string{"0.json", "000123.png", "000123.mask.png", "000123.parts.0.png", strings.Repeat("a", 99),
		strings.Repeat("b", 100), strings.Repeat("c", 101) /* PAX */, strings.Repeat("d", 300) + ".png"}
	sizes := []int{0, 1, 511, 512, 513, 8613, 1<<33 - 1}
	var members []tarMember
	var th tarHeader
	for _, name := range names {
		for _, size := range sizes {
			hdr := tarHeaderOf(name, size)
			if len(name) > 100 {
				hdr.Format = tar.FormatPAX
			}
			var want bytes.Buffer
			if err := tar.NewWriter(&want).WriteHeader(hdr); err != nil {
				t.Fatal(err)
			}
			got, err := th.format(name, size)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want.Bytes()) {
				t.Fatalf("header of %q, %d bytes:\n got %q\nwant %q", name, size, got, want.Bytes())
			}
		}
		members = append(members, tarMember{name, bytes.Repeat([]byte{byte(len(name))}, len(name)*7)})
	}
	// Names USTAR cannot hold fail as they do in archive/tar.
	for _, name := range []string{"caf\u00e9.png", "a\x00b.png"} {
		if _, err := th.format(name, 1); err == nil {
			t.Errorf("header of %q: no error", name)
		}
	}

	dir := t.TempDir()
	var sums bytes.Buffer
	tw := newTarWriter(dir, 10, &sums)
	if err := tw.add(0, members[:3]); err != nil {
		t.Fatal(err)
	}
	if err := tw.add(1, members[3:]); err != nil {
		t.Fatal(err)
	}
	if err := tw.finish(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, TarShardName(0)))
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	w := tar.NewWriter(&want)
	for _, m := range members {
		hdr := tarHeaderOf(m.name, len(m.data))
		if len(m.name) > 100 {
			hdr.Format = tar.FormatPAX
		}
		if err := w.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		w.Write(m.data)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("the shard (%d bytes) differs from archive/tar's (%d bytes)", len(got), want.Len())
	}
}

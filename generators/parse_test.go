package generators

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"0/4", Shard{0, 4}, true}, {"3/4", Shard{3, 4}, true}, {"0/1", Shard{0, 1}, true},
		{"4/4", Shard{}, false}, {"-1/4", Shard{}, false}, {"1/0", Shard{}, false}, {"1", Shard{}, false}, {"a/b", Shard{}, false},
	}
	for _, tt := range tests {
		got, err := ParseShard(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseShard(%q) = %v, %v", tt.in, got, err)
		}
	}
	// Ranges tile the split.
	for _, n := range []int{0, 1, 7, 1000} {
		next := 0
		for k := 0; k < 3; k++ {
			lo, hi := Shard{k, 3}.Range(n)
			if lo != next || hi < lo {
				t.Fatalf("n=%d shard %d: [%d, %d) after %d", n, k, lo, hi, next)
			}
			next = hi
		}
		if next != n {
			t.Fatalf("n=%d: shards cover %d", n, next)
		}
	}
}

func TestParseSplits(t *testing.T) {
	got, err := ParseSplits("train=10, test=2")
	if err != nil || !reflect.DeepEqual(got, []SplitSize{{"train", 10}, {"test", 2}}) {
		t.Fatalf("got %v, %v", got, err)
	}
	for _, bad := range []string{"train", "train=-1", "Train=1", "train=1,train=2", "=3", "a b=1"} {
		if _, err := ParseSplits(bad); err == nil {
			t.Errorf("ParseSplits(%q) accepted", bad)
		}
	}
}

func TestSetConfig(t *testing.T) {
	cfg := Shapes{}.DefaultConfig().(*ShapesConfig)
	for _, s := range []string{"image_size=64", "rotation=false", "size_max=30.5", "colors=red, yellow", "holdout="} {
		k, v, _ := ParseSetting(s)
		if err := SetConfig(cfg, k, v); err != nil {
			t.Fatal(err)
		}
	}
	if cfg.ImageSize != 64 || cfg.Rotation || cfg.SizeMax != 30.5 || !reflect.DeepEqual(cfg.Colors, []string{"red", "yellow"}) || len(cfg.Holdout) != 0 {
		t.Fatalf("config %+v", cfg)
	}
	for _, tt := range []struct{ key, val, want string }{
		{"imagesize", "3", "unknown config key \"imagesize\"; known: image_size, size_min"},
		{"image_size", "big", "want an integer"},
		{"rotation", "maybe", "want true or false"},
		{"jitter", "x", "want a number"},
	} {
		err := SetConfig(cfg, tt.key, tt.val)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("SetConfig(%s=%s) = %v, want %q", tt.key, tt.val, err, tt.want)
		}
	}
	keys := ConfigKeys(Shapes{}.DefaultConfig())
	if keys[0].Name != "image_size" || keys[0].Default != "28" || keys[6].Default != "square,circle,triangle" {
		t.Fatalf("keys %+v", keys[:7])
	}
}

func FuzzParseNPYHeader(f *testing.F) {
	f.Add(npyHeader("<f8", []int{3, 4}))
	f.Add(npyHeader("|u1", []int{10}))
	f.Add(npyHeader("<U32", []int{0, 28, 28, 3}))
	f.Add([]byte("\x93NUMPY\x02\x00\x10\x00\x00\x00{'descr': '<i4'}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseNPYHeader(b)
		if err != nil {
			return
		}
		if h.DataOffset > len(b) {
			t.Fatalf("data offset %d past %d bytes", h.DataOffset, len(b))
		}
		// What parses prints back to a header that parses the same.
		again, err := ParseNPYHeader(npyHeader(h.Descr, h.Shape))
		if err != nil {
			if strings.ContainsAny(h.Descr, "'") {
				return
			}
			t.Fatalf("reprinted header does not parse: %v", err)
		}
		if again.Descr != h.Descr || !reflect.DeepEqual(again.Shape, h.Shape) {
			t.Fatalf("round trip %+v -> %+v", h, again)
		}
	})
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/4", "3/4", "9/10", "1/1", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sh, err := ParseShard(s)
		if err != nil {
			return
		}
		if sh.Index < 0 || sh.Index >= sh.Count {
			t.Fatalf("accepted %q as %+v", s, sh)
		}
		lo, hi := sh.Range(1000)
		if lo < 0 || hi > 1000 || lo > hi {
			t.Fatalf("%+v: range [%d, %d)", sh, lo, hi)
		}
	})
}

func FuzzSetConfig(f *testing.F) {
	for _, s := range []string{"image_size=64", "colors=red,blue", "holdout=red square", "rotation=true", "jitter=0.3", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, v, err := ParseSetting(s)
		if err != nil {
			return
		}
		cfg := Shapes{}.DefaultConfig()
		if SetConfig(cfg, k, v) != nil {
			return
		}
		// Whatever was accepted either validates or says why; it never panics.
		if cfg.Validate() == nil {
			if _, err := (Shapes{}).New(cfg); err != nil {
				t.Fatalf("validated config rejected by New: %v", err)
			}
		}
	})
}

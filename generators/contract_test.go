package generators

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestNPZStorageRoundTrips(t *testing.T) {
	for _, s := range []NPZStorage{InBoth, NPZOnly, NotInNPZ} {
		b, err := json.Marshal(Feature{Name: "x", NPZ: s})
		if err != nil {
			t.Fatal(err)
		}
		var back Feature
		if err := json.Unmarshal(b, &back); err != nil || back.NPZ != s {
			t.Errorf("%v: %s reads back as %v, %v", s, b, back.NPZ, err)
		}
		if s == InBoth && strings.Contains(string(b), "npz") {
			t.Errorf("a feature in both formats names npz in its manifest: %s", b)
		}
	}
	var f Feature
	if err := json.Unmarshal([]byte(`{"name":"x","npz":"sometimes"}`), &f); err == nil {
		t.Error("an unknown npz storage was accepted")
	}
}

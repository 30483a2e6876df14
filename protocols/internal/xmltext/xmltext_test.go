package xmltext

import "testing"

func TestClean(t *testing.T) {
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"  door open  ", 100, "door open"},
		{"a\x00b\xffc", 100, "a\uFFFDb\uFFFDc"},
		{"Källare", 2, "K"}, // not half an ä
		{"line\none", 100, "line\none"},
		{"ab cd", 3, "ab"},
	} {
		if got := Clean(tc.in, tc.limit); got != tc.want {
			t.Errorf("Clean(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
}

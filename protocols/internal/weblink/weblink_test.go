package weblink

import "testing"

func TestClean(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{" https://v.example/clip/1 ", "https://v.example/clip/1"},
		{"HTTP://v.example/a b", "http://v.example/a%20b"},
		{"https://v.example/käse", "https://v.example/k%C3%A4se"},
		{"ftp://v.example/1", ""},
		{"https://", ""},
		{"https://v.example/" + string(make([]byte, 40)), ""},
	} {
		if got := Clean(tc.in, 64); got != tc.want {
			t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

package receiver

import "testing"

func TestSameAddress(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"tcp 127.0.0.1:7000", "tcp 127.0.0.1:7000", true},
		{"tcp :7000", "tcp [::]:7000", true},
		{"tcp 0.0.0.0:7000", "tcp 10.0.0.5:7000", true},
		{"tcp 127.0.0.1:7000", "tcp 127.0.0.1:7001", false},
		{"tcp 127.0.0.1:7000", "udp 127.0.0.1:7000", false},
		{"tcp 127.0.0.1:7000", "tcp 10.0.0.5:7000", false},
		{"tcp nonsense", "tcp nonsense", false},
	}
	for _, c := range cases {
		if got := sameAddress(c.a, c.b); got != c.want {
			t.Errorf("sameAddress(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

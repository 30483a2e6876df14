package xmlsignal

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

func seeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(exampleDir, "*"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, tc := range badCases {
		f.Add([]byte(tc.body))
	}
}

// FuzzDecode: Decode never panics; a refused message is an xmlsignal
// FrameError with a message to answer; every answer is well-formed XML or
// JSON with a known code.
func FuzzDecode(f *testing.F) {
	seeds(f)
	c := New(4096)
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := c.Decode(body, time.Time{})
		if err != nil {
			var fe *protocols.FrameError
			if !errors.As(err, &fe) || fe.Protocol != Name {
				t.Fatalf("%v is not an xmlsignal FrameError", err)
			}
		}
		if m == nil {
			t.Fatal("no message")
		}
		reply := c.Reply(m, err, time.Time{})
		var r Response
		if IsJSON(reply) {
			if jerr := json.Unmarshal(reply, &r); jerr != nil {
				t.Fatalf("reply %q: %v", reply, jerr)
			}
		} else if xerr := xml.Unmarshal(reply, &r); xerr != nil {
			t.Fatalf("reply %q: %v", reply, xerr)
		}
		if _, ok := codeText[r.Status.Code]; !ok {
			t.Fatalf("unknown code %d", r.Status.Code)
		}
		if err == nil && len(m.Events) != len(m.Detail.(*Message).Signals) {
			t.Fatalf("%d events for %d signals", len(m.Events), len(m.Detail.(*Message).Signals))
		}
	})
}

// FuzzSplit: framing a stream never breaks the SplitFunc contract.
func FuzzSplit(f *testing.F) {
	seeds(f)
	c := New(512)
	f.Fuzz(func(t *testing.T, data []byte) {
		for len(data) > 0 {
			adv, frame, err := c.Split(data, false)
			if err != nil {
				if !errors.Is(err, protocols.ErrFrameTooLong) {
					t.Fatalf("split: %v", err)
				}
				return
			}
			if adv < 0 || adv > len(data) || len(frame) > adv {
				t.Fatalf("advance %d frame %d of %d", adv, len(frame), len(data))
			}
			if adv == 0 {
				return
			}
			data = data[adv:]
		}
	})
}

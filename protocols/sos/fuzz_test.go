package sos

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// seeds adds every case's message and every split stream.
func seeds(f *testing.F, cut bool) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.xml"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if cut {
			f.Add(b, uint16(len(b)/2))
		} else {
			f.Add(b)
		}
	}
	for _, tc := range decodeCases {
		if cut {
			f.Add([]byte(tc.raw+"\r\n"+tc.raw), uint16(len(tc.raw)))
		} else {
			f.Add([]byte(tc.raw))
		}
	}
	if cut {
		for _, sc := range splitCases {
			f.Add([]byte(sc.stream), uint16(7))
		}
	}
}

// FuzzSplit: Split keeps the SplitFunc contract, frames at most the cap,
// never fails but with ErrFrameTooLong, and gives the same frames for the
// stream fed whole and in pieces of any size.
func FuzzSplit(f *testing.F) {
	seeds(f, true)
	const limit = 512
	c := New(Options{MaxFrameBytes: limit})
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		for rest, atEOF := data, false; len(rest) > 0; {
			adv, frame, err := c.Split(rest, atEOF)
			if err != nil {
				if !errors.Is(err, protocols.ErrFrameTooLong) || protocols.ReasonOf(err) != protocols.ReasonTooLong {
					t.Fatalf("split error %v", err)
				}
				break
			}
			if adv < 0 || adv > len(rest) || len(frame) > limit || len(frame) > adv {
				t.Fatalf("advance %d, frame %d bytes, of %d", adv, len(frame), len(rest))
			}
			if frame != nil && (&frame[0] != &rest[adv-len(frame)] || frame[0] != '<') {
				t.Fatalf("frame %q is not the end of the advanced bytes or does not start at '<'", frame)
			}
			if adv == 0 {
				if atEOF {
					t.Fatal("no progress at EOF")
				}
				atEOF = true
				continue
			}
			rest = rest[adv:]
		}
		whole, werr := splitAll(c, data, 0)
		pieces, perr := splitAll(c, data, int(cut)%(len(data)+1))
		if (werr == nil) != (perr == nil) || !reflect.DeepEqual(whole, pieces) {
			t.Fatalf("whole %q (%v), in pieces of %d %q (%v)", whole, werr, cut, pieces, perr)
		}
	})
}

// vocabulary is text that Detail and errors hold whatever the input.
const vocabulary = "alarmrequest pingrequest requestnewauthentication authentication_sent transmittertype transmittercode " +
	"transmitterarea transmittertime additionalinfo sectiontext detectortext reference receiver alarmtype eventcode section " +
	"detector position extra name value type not authorized transmitter syntax token too_long declaration refused " +
	"well-formed missing repeated markup characters limit element header version encoding"

// passwords returns the contents of the input's authentication elements
// that occur nowhere else in it: no output may show them.
func passwords(data []byte) [][]byte {
	var out [][]byte
	lower := make([]byte, len(data)) // ASCII only: offsets must not move
	for i, b := range data {
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		lower[i] = b
	}
	for i := 0; ; {
		j := bytes.Index(lower[i:], []byte("authentication>"))
		if j < 0 {
			return out
		}
		start := i + j + len("authentication>")
		if at := i + j; at == 0 || lower[at-1] != '<' && lower[at-1] != ':' {
			i = start
			continue // another element whose name ends so
		}
		end := bytes.IndexByte(data[start:], '<')
		if end < 0 {
			end = len(data) - start
		}
		pw := bytes.TrimSpace(data[start : start+end])
		if len(pw) >= 6 && bytes.Count(data, pw) == 1 && !strings.Contains(vocabulary, strings.ToLower(string(pw))) {
			out = append(out, pw, cp1252ToUTF8(pw))
		}
		i = start
	}
}

// FuzzDecode: Decode never panics and always returns a message; a refusal
// is a FrameError of this protocol with a documented reason; the reply is
// well-formed, has the status StatusFor gives and echoes the reference;
// no password shows in Detail's JSON, the error or the evidence.
func FuzzDecode(f *testing.F) {
	seeds(f, false)
	codecs := []*Codec{New(Options{MaxFrameBytes: 4096}), New(Options{MaxFrameBytes: 4096, Auth: testAuth})}
	now := time.Date(2026, 12, 1, 15, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, c := range codecs {
			m, err := c.Decode(data, now)
			if m == nil {
				t.Fatal("no message")
			}
			if err != nil {
				var fe *protocols.FrameError
				if !errors.As(err, &fe) || fe.Protocol != Name {
					t.Fatalf("%v is not a sos FrameError", err)
				}
				switch fe.Reason {
				case protocols.ReasonSyntax, protocols.ReasonToken, protocols.ReasonTooLong:
				default:
					t.Fatalf("reason %v is not documented", fe.Reason)
				}
				if m.Kind != "rejected" || len(m.Events) != 0 {
					t.Fatalf("refused message kind %s with %d events", m.Kind, len(m.Events))
				}
			} else {
				switch {
				case m.Kind == "signals" && len(m.Events) == 1 && m.Account != "" && m.Events[0].Account == m.Account:
				case m.Kind == "heartbeat" && len(m.Events) == 0 && m.Account != "":
				default:
					t.Fatalf("accepted message kind %s with %d events, account %q", m.Kind, len(m.Events), m.Account)
				}
			}
			checkReply(t, c.Reply(m, err, now), m, StatusFor(err))
			detail, jerr := json.Marshal(m.Detail)
			if jerr != nil {
				t.Fatal(jerr)
			}
			evidence := c.Redact(data)
			for _, pw := range passwords(data) {
				if bytes.Contains(detail, pw) || err != nil && strings.Contains(err.Error(), string(pw)) || bytes.Contains(evidence, pw) {
					t.Fatalf("password %q shows: detail %s, error %v, evidence %q", pw, detail, err, evidence)
				}
			}
		}
	})
}

// response is any of the three responses.
type response struct {
	XMLName     xml.Name
	Reference   string `xml:"reference"`
	Status      string `xml:"status"`
	Info        string `xml:"info"`
	ArrivalTime string `xml:"arrivaltime"`
}

func checkReply(t *testing.T, reply []byte, m *protocols.Message, status int) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(reply))
	dec.Strict = true
	dec.CharsetReader = charsetReader
	var r response
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("reply %q: %v", reply, err)
	}
	if r.Status != strconv.Itoa(status) || r.Info != StatusInfo(status) || r.Reference != m.Sequence ||
		r.ArrivalTime != "2026-12-01 15:04:05.000" || !strings.HasSuffix(r.XMLName.Local, "response") {
		t.Fatalf("reply %q for status %d, sequence %q", reply, status, m.Sequence)
	}
}

package daemon

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/store"
)

// noLineFrame is what jvanovost/dc09_spt sends when neither receiver nor
// line is configured, as in its README: no R, no L, and in clear no
// timestamp.
func noLineFrame(token, account, seq, data string, encrypted bool) *dc09.Frame {
	f := frame(token, account, seq, data, encrypted)
	f.Line, f.NoLine = "", true
	if !encrypted {
		f.HasTimestamp = false
	}
	return f
}

// TestNoLineFrames: DC-09 frames without L (and without R) are accepted as
// line 0 over TCP and UDP, plain and encrypted; the reply leaves out what
// the frame left out, the NAK keeps its fixed form, and each deviation is
// counted. The plain frames and their replies were computed by an
// independent script (CRC-16/ARC and length in Python), not by package dc09.
func TestNoLineFrames(t *testing.T) {
	dir := t.TempDir()
	r := startDaemon(t, testConfig(t, dir))
	ctx := context.Background()

	type plainCase struct {
		name, network string
		f             *dc09.Frame
		wire, reply   string
		code, zone    string // the stored signal; "" for a poll
	}
	withR := noLineFrame("SIA-DCS", "4323", "0003", "#4323|Nri1/FA001", false)
	withR.Receiver, withR.HasReceiver = "1", true
	plain := []plainCase{
		{"tcp poll", "tcp", noLineFrame("NULL", "4321", "0000", "", false),
			"\n1F5D0011\"NULL\"0000#4321[]\r", "\nDFD80010\"ACK\"0000#4321[]\r", "", ""},
		{"tcp SIA-DCS", "tcp", noLineFrame("SIA-DCS", "4321", "0001", "#4321|Nri1/BA012", false),
			"\n9AF90024\"SIA-DCS\"0001#4321[#4321|Nri1/BA012]\r", "\n13190010\"ACK\"0001#4321[]\r", "BA", "012"},
		{"udp ADM-CID", "udp", noLineFrame("ADM-CID", "4322", "0002", "#4322|1131 01 015", false),
			"\n4CC30025\"ADM-CID\"0002#4322[#4322|1131 01 015]\r", "\n06A90010\"ACK\"0002#4322[]\r", "131", "015"},
		{"udp poll", "udp", noLineFrame("NULL", "4322", "0000", "", false),
			"\n1FAD0011\"NULL\"0000#4322[]\r", "\nDF280010\"ACK\"0000#4322[]\r", "", ""},
		{"tcp R without L", "tcp", withR,
			"\nC1CF0026\"SIA-DCS\"0003R1#4323[#4323|Nri1/FA001]\r", "\n15AD0012\"ACK\"0003R1#4323[]\r", "FA", "001"},
	}
	for _, tc := range plain {
		t.Run("plain "+tc.name, func(t *testing.T) {
			p := dial(t, r, "dc09-main", tc.network, "", "")
			wire, err := p.Encode(tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if string(wire) != tc.wire {
				t.Fatalf("panel sent %q, want %q", wire, tc.wire)
			}
			rep, err := p.SendRaw(ctx, wire, tc.f)
			if err != nil {
				t.Fatalf("reply %q: %v", rep.Raw, err)
			}
			if string(rep.Raw) != tc.reply {
				t.Fatalf("reply %q, want %q", rep.Raw, tc.reply)
			}
			if tc.code == "" {
				return
			}
			got := signals(t, r, "account="+tc.f.Account)
			if len(got) != 1 {
				t.Fatalf("%d signals for %s, want 1: %v", len(got), tc.f.Account, got)
			}
			checkSignal(t, got[0], map[string]any{
				"account": tc.f.Account, "frame_account": tc.f.Account, "event_code": tc.code, "zone": tc.zone,
				"receiver": 1.0, "line": 1.0, "listener": "dc09-main", "transport": tc.network, "encrypted": false,
			})
		})
	}

	encrypted := []struct {
		name, network, account, key, format string
		f                                   *dc09.Frame
		code, zone                          string
	}{
		{"tcp AES-128 SIA-DCS", "tcp", "1234", hexKey, "hex",
			noLineFrame("SIA-DCS", "1234", "0004", "#1234|Nri1/BA005", true), "BA", "005"},
		{"udp AES-192 ADM-CID", "udp", "5678", asciiKey, "ascii",
			noLineFrame("ADM-CID", "5678", "0005", "#5678|1110 02 129", true), "110", "129"},
		{"udp AES-128 poll", "udp", "1234", hexKey, "hex",
			noLineFrame("NULL", "1234", "0000", "", true), "", ""},
	}
	for _, tc := range encrypted {
		t.Run("encrypted "+tc.name, func(t *testing.T) {
			p := dial(t, r, "dc09-main", tc.network, tc.key, tc.format)
			wire, err := p.Encode(tc.f)
			if err != nil {
				t.Fatal(err)
			}
			head := "\"*" + tc.f.Token + "\"" + tc.f.Sequence + "#" + tc.account + "["
			if string(wire[9:9+len(head)]) != head {
				t.Fatalf("panel sent %q, want the header %q", wire, head)
			}
			rep := mustSend(t, p, tc.f, "ACK")
			// The *ACK's clear header has no R and no L either; its
			// ciphertext holds the receiver's time, checked by the panel.
			ackHead := "\"*ACK\"" + tc.f.Sequence + "#" + tc.account + "["
			if len(rep.Raw) < 9+len(ackHead) || string(rep.Raw[9:9+len(ackHead)]) != ackHead {
				t.Fatalf("reply %q, want the header %q", rep.Raw, ackHead)
			}
			if !rep.Frame.Encrypted || !rep.Frame.NoLine || rep.Frame.HasReceiver || len(rep.Frame.Data) != 0 {
				t.Fatalf("reply parsed as %+v", rep.Frame)
			}
			if d := time.Since(rep.Frame.Timestamp); d < -2*time.Second || d > 2*time.Second {
				t.Fatalf("*ACK time %v is not the receiver's clock", rep.Frame.Timestamp)
			}
			if tc.code == "" {
				return
			}
			got := signals(t, r, "account="+tc.account)
			if len(got) != 1 {
				t.Fatalf("%d signals for %s, want 1: %v", len(got), tc.account, got)
			}
			checkSignal(t, got[0], map[string]any{
				"account": tc.account, "event_code": tc.code, "zone": tc.zone, "receiver": 1.0, "line": 1.0,
				"transport": tc.network, "encrypted": true,
			})
		})
	}

	t.Run("late encrypted frame gets the fixed NAK", func(t *testing.T) {
		p := dial(t, r, "dc09-main", "tcp", hexKey, "hex")
		f := noLineFrame("SIA-DCS", "1234", "0006", "#1234|Nri1/BA006", true)
		f.Timestamp = f.Timestamp.Add(-41 * time.Second)
		rep := mustSend(t, p, f, "NAK")
		const nak = "\"NAK\"0000R0L0A0[]_"
		if len(rep.Raw) != 1+8+len(nak)+19+1 || string(rep.Raw[9:9+len(nak)]) != nak {
			t.Fatalf("NAK %q, want %s<time>", rep.Raw, nak)
		}
	})

	t.Run("plain poll for a keyed account gets DUH without R and L", func(t *testing.T) {
		p := dial(t, r, "dc09-main", "tcp", "", "")
		rep := mustSend(t, p, noLineFrame("NULL", "1234", "0000", "", false), "DUH")
		if want := "\nA1230010\"DUH\"0000#1234[]\r"; string(rep.Raw) != want {
			t.Fatalf("DUH %q, want %q", rep.Raw, want)
		}
	})

	// Eight accepted frames lack L; the one with R does not lack R.
	for reason, want := range map[string]float64{"no_line": 8, "no_receiver": 7, "empty_line": 0} {
		if v := counter(t, r, "alarmrx_frame_deviations_total", "listener", "dc09-main", "reason", reason); v != want {
			t.Errorf("deviations{reason=%s} = %v, want %v", reason, v, want)
		}
	}

	// The stored frames: the header's line is 0, its receiver none, the
	// deviations named; the decoded detail records that L was absent.
	var out struct {
		Frames []struct {
			Kind, Deviations string
			Detail           struct {
				Line   string
				NoLine bool
			} `json:"detail"`
		} `json:"frames"`
	}
	apiGet(t, r, "/api/v1/frames?account=4321&status=accepted", adminToken, &out)
	found := false
	for _, fr := range out.Frames {
		found = found || fr.Kind == "SIA-DCS"
		if fr.Deviations != "no_line,no_receiver" || !fr.Detail.NoLine || fr.Detail.Line != "" {
			t.Errorf("frame of 4321 from the API = %+v", fr)
		}
	}
	if !found {
		t.Fatalf("no SIA-DCS frame of 4321 in %+v", out.Frames)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, store.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT account, kind, frame_line, frame_receiver, deviations FROM frames
		WHERE account IN ('4321', '4322', '4323', '1234', '5678') AND status = 'accepted' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := map[string]string{
		"4321": "0||no_line,no_receiver", "4322": "0||no_line,no_receiver", "4323": "0|1|no_line",
		"1234": "0||no_line,no_receiver", "5678": "0||no_line,no_receiver",
	}
	events := map[string]bool{}
	for rows.Next() {
		var account, kind, line, receiver, devs string
		if err := rows.Scan(&account, &kind, &line, &receiver, &devs); err != nil {
			t.Fatal(err)
		}
		events[account] = events[account] || kind != "NULL"
		if got := line + "|" + receiver + "|" + devs; got != want[account] {
			t.Errorf("%s frame of %s stored line|receiver|deviations %q, want %q", kind, account, got, want[account])
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for account := range want {
		if !events[account] {
			t.Errorf("no accepted event frame of %s stored", account)
		}
	}
}

func checkSignal(t *testing.T, s map[string]any, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if s[k] != v {
			t.Errorf("%s = %#v, want %#v", k, s[k], v)
		}
	}
}

// TestHexSequenceFrames: dc09_spt writes its sequence in hex; its 10th
// message (000A) is stored and ACKed with the sequence as sent, its
// retransmission stored once, the deviation counted. The bytes were
// computed by an independent script.
func TestHexSequenceFrames(t *testing.T) {
	r := startDaemon(t, testConfig(t, t.TempDir()))
	p := dial(t, r, "dc09-main", "tcp", "", "")
	wire := []byte("\n1A5E0024\"SIA-DCS\"000A#4324[#4324|Nri1/BA010]\r")
	for range 2 { // and its retransmission
		rep, err := p.SendRaw(context.Background(), wire, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := "\n360E0010\"ACK\"000A#4324[]\r"; string(rep.Raw) != want {
			t.Fatalf("reply %q, want %q", rep.Raw, want)
		}
	}
	if got := signals(t, r, "account=4324"); len(got) != 1 || got[0]["sequence"] != "000A" || got[0]["zone"] != "010" {
		t.Fatalf("stored %v", got)
	}
	if v := counter(t, r, "alarmrx_frame_deviations_total", "listener", "dc09-main", "reason", "hex_sequence"); v != 2 {
		t.Fatalf("hex_sequence deviations %v, want 2 (every frame received is counted)", v)
	}
	if v := counter(t, r, "alarmrx_duplicates_total", "listener", "dc09-main"); v != 1 {
		t.Fatalf("duplicates %v, want 1", v)
	}
}

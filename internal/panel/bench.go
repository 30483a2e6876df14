package panel

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/protocols/dc09"
)

// Bench types: what the panels of a load run send.
const (
	BenchNull = "null" // DC-09 NULL link tests (polls): no event
	BenchSIA  = "sia"  // SIA-DCS burglary alarms, #acct|Nri1/BAzzz
	BenchCID  = "cid"  // ADM-CID burglary alarms, Contact ID 130, #acct|1130 01 zzz
	BenchMix  = "mix"  // polls with an SIA-DCS alarm among them, see MixEvery
)

// MixEvery is the share of alarms in a mix run: each panel sends MixEvery-1
// polls and then one alarm (frames n with n%MixEvery == MixEvery-1), so that
// a run of any length has the same ratio and every run the same frames. A
// station's traffic is mostly polls; one alarm in ten is far more than
// real traffic has, so that the alarms' cost still shows in a short run.
const MixEvery = 10

// BenchTypes are the valid bench types, in the order usage lists them.
var BenchTypes = []string{BenchNull, BenchSIA, BenchCID, BenchMix}

// BenchTypeForToken is the bench type whose frames carry the DC-09 token
// (SIA-DCS, ADM-CID or NULL), so that `alarmrx bench --token`, which came
// before the types, sends the frames it always sent.
func BenchTypeForToken(token string) (string, bool) {
	switch token {
	case "SIA-DCS":
		return BenchSIA, true
	case "ADM-CID":
		return BenchCID, true
	case "NULL":
		return BenchNull, true
	}
	return "", false
}

// BenchOptions configure a load run: Conns panels, each stop-and-wait.
type BenchOptions struct {
	Options         // network, address, key, timeout for every panel
	Conns       int // panels (TCP connections or UDP sockets); default 1
	Count       int // frames in all; 0 → run for Duration
	Duration    time.Duration
	Type        string // one of BenchTypes; default BenchSIA
	AccountBase int    // panel i uses account AccountBase+i (decimal); default 100000
}

// BenchResult summarises a load run.
type BenchResult struct {
	Type      string  `json:"type"`
	Network   string  `json:"network"`
	Encrypted bool    `json:"encrypted"`
	Conns     int     `json:"conns"`
	Sent      int     `json:"sent"`
	Acked     int     `json:"acked"`
	Naks      int     `json:"naks"`
	Duhs      int     `json:"duhs"`
	Errors    int     `json:"errors"`
	Seconds   float64 `json:"seconds"`
	AckedPerS float64 `json:"acked_per_second"`
	P50ms     float64 `json:"p50_ms"`
	P90ms     float64 `json:"p90_ms"`
	P99ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
	FirstErr  string  `json:"first_error,omitempty"`
}

// String renders the result as the text `alarmrx bench` prints.
func (r BenchResult) String() string {
	return fmt.Sprintf("%s type=%s conns=%d encrypted=%v sent=%d acked=%d nak=%d duh=%d errors=%d in %.2fs\n"+
		"acked/s=%.0f  ack latency ms: p50=%.3f p90=%.3f p99=%.3f max=%.3f",
		r.Network, r.Type, r.Conns, r.Encrypted, r.Sent, r.Acked, r.Naks, r.Duhs, r.Errors, r.Seconds,
		r.AckedPerS, r.P50ms, r.P90ms, r.P99ms, r.MaxMs)
}

// Bench runs the load and validates every reply. Every frame carries a
// distinct (sequence, zone) pair per account so that none is taken for a
// retransmission and every ACK stands for a durable commit.
func Bench(ctx context.Context, o BenchOptions) (BenchResult, error) {
	if o.Conns <= 0 {
		o.Conns = 1
	}
	if o.Count <= 0 && o.Duration <= 0 {
		return BenchResult{}, errors.New("panel: bench needs a count or a duration")
	}
	if o.Type == "" {
		o.Type = BenchSIA
	}
	if !slices.Contains(BenchTypes, o.Type) {
		return BenchResult{}, fmt.Errorf("panel: bench type %q is none of %v", o.Type, BenchTypes)
	}
	if o.AccountBase <= 0 {
		o.AccountBase = 100000
	}
	panels := make([]*Panel, o.Conns)
	for i := range panels {
		p, err := Dial(ctx, o.Options)
		if err != nil {
			for _, q := range panels[:i] {
				_ = q.Close()
			}
			return BenchResult{}, err
		}
		panels[i] = p
	}
	defer func() {
		for _, p := range panels {
			_ = p.Close()
		}
	}()
	runCtx := ctx
	var end time.Time
	if o.Count <= 0 {
		var cancel context.CancelFunc
		end = time.Now().Add(o.Duration)
		runCtx, cancel = context.WithDeadline(ctx, end)
		defer cancel()
	}
	// cut reports whether an error is only the end of a timed run reaching
	// a frame in flight (its deadline is the run's), not a failure.
	cut := func() bool { return !end.IsZero() && (runCtx.Err() != nil || !time.Now().Before(end)) }
	type tally struct {
		sent, acked, naks, duhs, errs int
		lat                           []time.Duration
		firstErr                      error
	}
	tallies := make([]tally, o.Conns)
	var wg sync.WaitGroup
	start := time.Now()
	for i, p := range panels {
		quota := -1
		if o.Count > 0 {
			quota = o.Count / o.Conns
			if i < o.Count%o.Conns {
				quota++
			}
		}
		t := &tallies[i]
		account := strconv.Itoa(o.AccountBase + i)
		wg.Go(func() {
			for n := 0; quota < 0 || n < quota; n++ {
				if runCtx.Err() != nil {
					return
				}
				f := BenchFrame(o.Type, account, n, !o.Key.IsZero(), time.Now())
				t.sent++
				rep, err := p.Send(runCtx, f)
				switch {
				case err != nil:
					if cut() {
						t.sent--
						return
					}
					t.errs++
					if t.firstErr == nil {
						t.firstErr = err
					}
					if errors.Is(err, ErrTimeout) || rep == nil {
						return // the connection's state is unknown: stop this panel
					}
				case rep.Token == "ACK":
					t.acked++
					t.lat = append(t.lat, rep.Latency)
				case rep.Token == "NAK":
					t.naks++
				case rep.Token == "DUH":
					t.duhs++
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	res := BenchResult{Type: o.Type, Network: panels[0].opts.Network, Encrypted: !o.Key.IsZero(), Conns: o.Conns,
		Seconds: elapsed.Seconds()}
	var lat []time.Duration
	for _, t := range tallies {
		res.Sent += t.sent
		res.Acked += t.acked
		res.Naks += t.naks
		res.Duhs += t.duhs
		res.Errors += t.errs
		lat = append(lat, t.lat...)
		if t.firstErr != nil && res.FirstErr == "" {
			res.FirstErr = t.firstErr.Error()
		}
	}
	res.AckedPerS = float64(res.Acked) / elapsed.Seconds()
	slices.Sort(lat)
	res.P50ms = percentileMs(lat, 0.50)
	res.P90ms = percentileMs(lat, 0.90)
	res.P99ms = percentileMs(lat, 0.99)
	if len(lat) > 0 {
		res.MaxMs = ms(lat[len(lat)-1])
	}
	return res, nil
}

// BenchFrame is the n-th frame of a benchmark panel of type typ: sequence
// 1–9999 as panels count [DC-09 §3.11], and, in alarms, a zone that changes
// with every wrap of the sequence so that no two frames within 9,999,000
// look alike. Polls carry no event, so a receiver has nothing to take them
// for a retransmission of; they share the panel's sequence with its alarms
// in a mix, as a panel's one communicator counts all it sends.
func BenchFrame(typ, account string, n int, encrypted bool, now time.Time) *dc09.Frame {
	seq := n%9999 + 1
	zone := (n / 9999) % 1000
	if typ == BenchMix {
		typ = BenchNull
		if n%MixEvery == MixEvery-1 {
			typ = BenchSIA
		}
	}
	var token, data string
	switch typ {
	case BenchCID:
		token, data = "ADM-CID", fmt.Sprintf("#%s|1130 01 %03d", account, zone)
	case BenchNull:
		token, data = "NULL", ""
	default:
		token, data = "SIA-DCS", fmt.Sprintf("#%s|Nri1/BA%03d", account, zone)
	}
	return &dc09.Frame{
		Token: token, Encrypted: encrypted, Sequence: fmt.Sprintf("%04d", seq), Line: "0",
		Account: account, Data: []byte(data), Timestamp: now.UTC().Truncate(time.Second), HasTimestamp: true,
	}
}

func percentileMs(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return ms(sorted[max(i, 0)])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

package report

import (
	"context"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
	"github.com/emersion/go-smtp"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// mailbox is a real SMTP server on 127.0.0.1 that keeps what it receives.
type mailbox struct {
	mu   sync.Mutex
	mail []received
	down bool
	// refuse lists the recipients the server refuses for now.
	refuse map[string]bool
}

type received struct {
	from string
	to   []string
	data string
}

func (m *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{m: m}, nil }

type session struct {
	m    *mailbox
	from string
	to   []string
}

func (s *session) Reset()        { s.from, s.to = "", nil }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if s.m.down {
		return &smtp.SMTPError{Code: 451, Message: "try again later"}
	}
	s.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	if s.m.refuse[to] {
		return &smtp.SMTPError{Code: 452, Message: "mailbox full"}
	}
	s.to = append(s.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.mu.Lock()
	s.m.mail = append(s.m.mail, received{s.from, s.to, string(b)})
	s.m.mu.Unlock()
	return nil
}

func (m *mailbox) all() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.mail...)
}

func startMailbox(t *testing.T) (*mailbox, int) {
	t.Helper()
	m := &mailbox{}
	srv := smtp.NewServer(m)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return m, ln.Addr().(*net.TCPAddr).Port
}

// reportStore is a store on a real SQLite file with receiver 1, on clock.
func reportStore(t *testing.T, clock func() time.Time) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), store.FileName), store.Options{Logger: zap.NewNop(),
		Registerer: prometheus.NewRegistry(), Now: clock})
	must(t, err)
	t.Cleanup(func() { _ = st.Close() })
	must(t, st.SyncReceivers(context.Background(), []store.Receiver{{Number: 1, Name: "IP"}}))
	return st
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestMorningReport: the night's report goes to each customer with a
// notification contact, for its own sites and those below it: incidents
// with operator notes, normal events, "all quiet" for a silent site, links
// to the portal; it is sent once per night, also across a restart, and
// again after a mail server failure.
func TestMorningReport(t *testing.T) {
	box, port := startMailbox(t)
	// The station was set up the day before; the report runs at 07:05 in
	// London.
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ctx := context.Background()
	st := reportStore(t, clock)
	hq := &store.Customer{Name: "Bank HQ", ReportEmail: "security@bank.example"}
	must(t, st.Customers.Create(ctx, hq))
	region := &store.Customer{Name: "Bank North", ParentID: &hq.ID}
	must(t, st.Customers.Create(ctx, region))
	branch := &store.Customer{Name: "Branch 7", ParentID: &region.ID, ReportEmail: "manager7@bank.example, deputy7@bank.example"}
	must(t, st.Customers.Create(ctx, branch))
	busy := &store.Site{CustomerID: branch.ID, Name: "Branch 7 Main St", TimeZone: "Europe/London"}
	must(t, st.Sites.Create(ctx, busy))
	quiet := &store.Site{CustomerID: region.ID, Name: "North depot", TimeZone: "Europe/London"}
	must(t, st.Sites.Create(ctx, quiet))
	acct := &store.Account{Receiver: 1, Number: "1234", SiteID: busy.ID}
	must(t, st.Accounts.Create(ctx, acct))
	must(t, st.Accounts.Create(ctx, &store.Account{Receiver: 1, Number: "5555", SiteID: quiet.ID}))
	// A site without a system: nothing is watched there, nothing is said.
	must(t, st.Sites.Create(ctx, &store.Site{CustomerID: region.ID, Name: "Empty lot", TimeZone: "Europe/London"}))
	must(t, st.Zones.Create(ctx, &store.Zone{AccountID: acct.ID, Number: "17", Description: "Front door"}))

	signal := func(at time.Time, code string, cat protocols.Category, mode string, prio int) {
		ev := protocols.Event{Format: "SIA", Account: "1234", Code: code, Zone: "017", Qualifier: protocols.QualifierNew,
			Category: cat, Known: true, Description: code + " description"}
		if code == "BA" {
			ev.Modifiers = []protocols.Modifier{{Name: "media_clip", Value: "https://video.example/clip/77"},
				{Name: "media_live", Value: "javascript:alert(1)"}}
		}
		msg := &protocols.Message{Protocol: "dc09", Account: "1234", Sequence: code, Events: []protocols.Event{ev}}
		rec := store.Receipt{ReceivedAt: at, Receiver: 1, Status: store.StatusAccepted, Raw: []byte(code),
			Resolutions: []store.Resolution{st.Resolve(1, "1234", &ev, at)},
			Handling:    []store.Handling{{Mode: mode, Priority: prio}}}
		_, err := st.Commit(ctx, msg, rec)
		must(t, err)
	}
	now = time.Date(2026, 11, 30, 7, 5, 0, 0, time.UTC)
	signal(time.Date(2026, 11, 29, 22, 10, 0, 0, time.UTC), "CL", protocols.CategoryOpenClose, store.HandlingLog, 9)
	signal(time.Date(2026, 11, 30, 2, 30, 0, 0, time.UTC), "BA", protocols.CategoryBurglary, store.HandlingQueue, 4)
	signal(time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC), "OP", protocols.CategoryOpenClose, store.HandlingLog, 9) // before the window
	op := &store.User{Username: "ann", Role: store.RoleOperator}
	must(t, st.CreateUser(ctx, op, "a long password here", store.Actor{Name: "setup"}))
	q, _, err := st.Queue(ctx, now)
	must(t, err)
	rules := store.QueueRules{ClaimTimeout: time.Hour}
	ann := store.Actor{ID: op.ID, Name: "ann"}
	_, err = st.Act(ctx, q[0].ID, ann, store.Step{Action: "note", Note: "Keyholder Dana checked: door not closed"}, rules)
	must(t, err)
	_, err = st.Act(ctx, q[0].ID, ann, store.Step{Action: "called", Contact: "Dana (keyholder)", Result: "no_answer"}, rules)
	must(t, err)
	_, err = st.Act(ctx, q[0].ID, ann, store.Step{Action: "dispatched", Contact: "Guard patrol", CaseNumber: "G-17"}, rules)
	must(t, err)

	opts := Options{Store: st, Customers: st.Customers, SMTP: SMTP{Host: "127.0.0.1", Port: port, TLS: "none", From: "alarmrx <noc@station.example>"},
		SendAt: "07:00", WindowStart: "18:00", PortalURL: "https://portal.station.example", Logger: zaptest.NewLogger(t), Now: clock,
		ShareDays: 7}

	// Before 07:00 nothing goes out.
	early := opts
	early.Now = func() time.Time { return time.Date(2026, 11, 30, 6, 59, 0, 0, time.UTC) }
	if n, err := New(early).RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("before 07:00: %d, %v", n, err)
	}
	n, err := New(opts).RunOnce(ctx)
	must(t, err)
	if n != 2 || len(box.all()) != 3 {
		t.Fatalf("sent %d, mailbox %d, want 2 reports (HQ and Branch 7; the region has no contact) in 3 mails, one per recipient",
			n, len(box.all()))
	}
	byRcpt := map[string]received{}
	for _, m := range box.all() {
		byRcpt[strings.Join(m.to, ",")] = m
	}
	hqMail, ok := byRcpt["security@bank.example"]
	if !ok || hqMail.from != "noc@station.example" {
		t.Fatalf("HQ mail: %+v", byRcpt)
	}
	body := decode(t, hqMail.data)
	for _, want := range []string{
		"Branch 7 Main St", "North depot", "All quiet: no signals from North depot tonight",
		"ann: Keyholder Dana checked: door not closed", "https://portal.station.example/portal/#/incident/",
		"https://portal.station.example/portal/#/signal/", "Closed", "Content-Type: text/html", "Content-Type: text/plain",
		"2 signals processed, 1 incident handled", "Opening/closing: 1", "Burglary: 1",
		"07:05 ann called Dana (keyholder) (no answer)", "07:05 ann dispatched Guard patrol (case G-17)",
		`<a href="https://video.example/clip/77">clip</a>`, "clip: https://video.example/clip/77",
		"Share this incident", "until Mon 7 Dec 07:05 UTC",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("HQ report lacks %q", want)
		}
	}
	if strings.Contains(body, "javascript:") {
		t.Error("a media link that is no web address is in the report")
	}
	// The Incident Share link opens the incident, and it alone.
	_, share, ok := strings.Cut(body, "https://portal.station.example/portal/share?token=")
	token, _ := url.QueryUnescape(share[:strings.IndexAny(share, "\"\r\n ")])
	if id, until, err := st.SharedIncident(ctx, token); !ok || err != nil || id != q[0].ID || !until.Equal(now.Add(7*24*time.Hour)) {
		t.Errorf("the share link %q: incident %d until %v, %v", token, id, until, err)
	}
	if strings.Contains(body, "OP description") {
		t.Error("a signal from before the window is in the report")
	}
	if strings.Contains(body, "Empty lot") {
		t.Error("a site with no account is in the report")
	}
	branchMail, ok := byRcpt["manager7@bank.example"]
	if _, deputy := byRcpt["deputy7@bank.example"]; !ok || !deputy {
		t.Fatalf("no branch mail to each of its addresses: %v", byRcpt)
	}
	if b := decode(t, branchMail.data); strings.Contains(b, "North depot") || !strings.Contains(b, "Branch 7 Main St") {
		t.Error("the branch report shows a site outside its scope")
	}

	// Once per night, also after a restart.
	if n, _ := New(opts).RunOnce(ctx); n != 0 || len(box.all()) != 3 {
		t.Fatalf("sent again: %d", n)
	}
	reps, err := st.Reports(ctx, hq.ID, 10)
	must(t, err)
	if len(reps) != 1 || reps[0].SentAt == nil || reps[0].Night != "2026-11-30" {
		t.Fatalf("stored reports %+v", reps)
	}

	// The next night the mail server is down: the report waits and goes
	// out on the next pass.
	now = now.AddDate(0, 0, 1)
	box.mu.Lock()
	box.down = true
	box.mu.Unlock()
	if n, err := New(opts).RunOnce(ctx); n != 0 || err == nil {
		t.Fatalf("with the server down: %d, %v", n, err)
	}
	box.mu.Lock()
	box.down = false
	box.mu.Unlock()
	if n, err := New(opts).RunOnce(ctx); n != 2 || err != nil {
		t.Fatalf("after the server came back: %d, %v", n, err)
	}
	all := box.all()
	if last := decode(t, all[len(all)-1].data); !strings.Contains(last, "All quiet: no signals from Branch 7 Main St tonight") ||
		!strings.Contains(last, "all_quiet") {
		t.Errorf("a night without signals should say all quiet in body and subject")
	}

	// A customer's own time zone decides its morning, not its sites': at
	// 07:05 UTC it is 16:05 in Tokyo (due) and 02:05 in New York (not).
	if err := st.Customers.Create(ctx, &store.Customer{Name: "Nowhere", TimeZone: "Mars/Olympus"}); err == nil ||
		!strings.Contains(err.Error(), "time_zone") {
		t.Fatalf("a bad time zone: %v", err)
	}
	later := now
	now = now.AddDate(0, 0, -2) // set up two days before
	tokyo := &store.Customer{Name: "Tokyo office", ReportEmail: "tokyo@bank.example", TimeZone: "Asia/Tokyo"}
	must(t, st.Customers.Create(ctx, tokyo))
	annex := &store.Site{CustomerID: tokyo.ID, Name: "NY annex", TimeZone: "America/New_York"}
	must(t, st.Sites.Create(ctx, annex))
	must(t, st.Accounts.Create(ctx, &store.Account{Receiver: 1, Number: "7777", SiteID: annex.ID}))
	now = later
	if n, err := New(opts).RunOnce(ctx); n != 1 || err != nil {
		t.Fatalf("Tokyo customer's report: %d, %v", n, err)
	}
	reps, err = st.Reports(ctx, tokyo.ID, 10)
	must(t, err)
	if len(reps) != 1 || reps[0].Night != "2026-12-01" {
		t.Fatalf("Tokyo reports %+v, want the night of 2026-12-01", reps)
	}
}

// decode undoes quoted-printable soft breaks for assertions.
func decode(t *testing.T, s string) string {
	t.Helper()
	s = strings.ReplaceAll(s, "=\r\n", "")
	s = strings.ReplaceAll(s, "=3D", "=")
	return s
}

// TestMorningReportTellsTheTruth: no "all quiet" for a night nobody was
// watched; a site added during the night is in the report from then on if
// something happened; on-test signals are marked as tests; openings and
// closings say by whom; zone descriptions are shown.
func TestMorningReportTellsTheTruth(t *testing.T) {
	box, port := startMailbox(t)
	now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ctx := context.Background()
	st := reportStore(t, clock)
	newSite := func(customer, site, account string, email string) int64 {
		c := &store.Customer{Name: customer, ReportEmail: email}
		must(t, st.Customers.Create(ctx, c))
		s := &store.Site{CustomerID: c.ID, Name: site, TimeZone: "Europe/London"}
		must(t, st.Sites.Create(ctx, s))
		a := &store.Account{Receiver: 1, Number: account, SiteID: s.ID}
		must(t, st.Accounts.Create(ctx, a))
		return a.ID
	}
	signal := func(at time.Time, account string, ev protocols.Event, mode string) {
		ev.Account, ev.Known = account, true
		msg := &protocols.Message{Protocol: "dc09", Account: account, Sequence: at.Format("150405"), Events: []protocols.Event{ev}}
		rec := store.Receipt{ReceivedAt: at, Receiver: 1, Status: store.StatusAccepted, Raw: []byte("x"),
			Resolutions: []store.Resolution{st.Resolve(1, account, &ev, at)}, Handling: []store.Handling{{Mode: mode, Priority: 9}}}
		_, err := st.Commit(ctx, msg, rec)
		must(t, err)
	}
	// Watched all night: openings, closings, a test, a zone event.
	shop := newSite("Shop", "Shop High St", "1001", "shop@example.com")
	must(t, st.Zones.Create(ctx, &store.Zone{AccountID: shop, Number: "17", Description: "Front door"}))
	// Added at 23:00, with a burglary at 02:00: in the report since 23:00.
	now = time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC)
	newSite("Depot", "Depot Mill Lane", "1002", "depot@example.com")
	// Added at 06:02, nothing since: not "all quiet" for a night it was not watched.
	now = time.Date(2026, 11, 30, 6, 2, 0, 0, time.UTC)
	newSite("Newcomer", "Newcomer Ltd", "1003", "new@example.com")

	now = time.Date(2026, 11, 30, 7, 5, 0, 0, time.UTC)
	night := func(h, m int) time.Time {
		d := 30
		if h >= 12 {
			d = 29
		}
		return time.Date(2026, 11, d, h, m, 0, 0, time.UTC)
	}
	signal(night(19, 30), "1001", protocols.Event{Format: protocols.FormatSIA, Code: "CL", User: "3", Qualifier: protocols.QualifierNew,
		Category: protocols.CategoryOpenClose, Description: "Closing Report"}, store.HandlingLog)
	signal(night(6, 40), "1001", protocols.Event{Format: protocols.FormatContactID, Code: "401", User: "003", Qualifier: protocols.QualifierNew,
		Category: protocols.CategoryOpenClose, Description: "Open/Close by user"}, store.HandlingLog)
	signal(night(2, 0), "1001", protocols.Event{Format: protocols.FormatSIA, Code: "RP", Qualifier: protocols.QualifierNew,
		Category: protocols.CategoryTest, Description: "Automatic Test"}, store.HandlingTest)
	signal(night(3, 0), "1001", protocols.Event{Format: protocols.FormatSIA, Code: "UX", Zone: "017", Qualifier: protocols.QualifierNew,
		Category: protocols.CategoryInfo, Description: "Zone bypass info"}, store.HandlingLog)
	signal(night(2, 0), "1002", protocols.Event{Format: protocols.FormatSIA, Code: "BA", Zone: "005", Qualifier: protocols.QualifierNew,
		Category: protocols.CategoryBurglary, Description: "Burglary Alarm"}, store.HandlingQueue)

	opts := Options{Store: st, Customers: st.Customers, SMTP: SMTP{Host: "127.0.0.1", Port: port, TLS: "none", From: "noc@station.example"},
		SendAt: "07:00", WindowStart: "18:00", PortalURL: "https://portal.example", Logger: zaptest.NewLogger(t), Now: clock}
	n, err := New(opts).RunOnce(ctx)
	must(t, err)
	mail := map[string]string{}
	for _, m := range box.all() {
		mail[strings.Join(m.to, ",")] = decode(t, m.data)
	}
	if n != 2 || len(mail) != 2 {
		t.Fatalf("sent %d: %v; want the shop's and the depot's, none for the newcomer", n, mail)
	}
	if _, ok := mail["new@example.com"]; ok {
		t.Error("a customer watched since 06:02 with nothing to report got a report")
	}
	shopMail := mail["shop@example.com"]
	for _, want := range []string{
		"Closed by user 3", "Opened by user 3", "Automatic Test [test: the system was on test]",
		"(zone 017 Front door)", "4 signals processed, 0 incidents handled", "Opening/closing: 2", "Test: 1", "Information: 1",
	} {
		if !strings.Contains(shopMail, want) {
			t.Errorf("the shop's report lacks %q", want)
		}
	}
	if strings.Contains(shopMail, "openclose") || strings.Contains(shopMail, "Monitored since") {
		t.Error("the shop's report shows a category key or a monitoring start")
	}
	if depot := mail["depot@example.com"]; !strings.Contains(depot, "Monitored since 23:00") ||
		!strings.Contains(depot, "1 signal processed, 1 incident handled") {
		t.Errorf("the depot's report: %s", depot)
	}
}

package main

import (
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
)

// TestScheduledReportMailedByDaemon: a daemon with report.scheduled mails
// the accounts-not-heard-from report as a PDF through a real SMTP server
// once its period is due, and records the period as sent.
func TestScheduledReportMailedByDaemon(t *testing.T) {
	box, port := startMailbox(t)
	d := startWebDaemon(t, func(cfg *configs.Config) {
		cfg.Report.Enabled = true
		cfg.Report.SMTP = configs.SMTP{Host: "127.0.0.1", Port: port, TLS: "none", From: "alarmrx <noc@station.example>"}
		cfg.Report.Scheduled = []configs.ScheduledReport{{Name: "daily-silent", Report: "silent-accounts", Every: "day",
			At: "00:00", TimeZone: "UTC", Format: "pdf", To: []string{"ops@station.example"}}}
	})
	deadline := time.Now().Add(15 * time.Second)
	for len(box.recipients()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	box.mu.Lock()
	data := box.mail["ops@station.example"]
	box.mu.Unlock()
	msg, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Fatalf("no scheduled mail: %v %q", err, data)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	must(t, err)
	mr := multipart.NewReader(msg.Body, params["boundary"])
	_, err = mr.NextPart()
	must(t, err)
	file, err := mr.NextPart()
	must(t, err)
	raw, _ := io.ReadAll(file)
	pdf, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw), "\r\n", ""))
	must(t, err)
	day := time.Now().UTC().Format("2006-01-02")
	if file.FileName() != "silent-accounts-"+day+".pdf" || file.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("attachment %q %q %.10q", file.FileName(), file.Header.Get("Content-Type"), pdf)
	}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		path := filepath.Join(t.TempDir(), "r.pdf")
		must(t, os.WriteFile(path, pdf, 0o600))
		out, err := exec.Command("pdftotext", path, "-").CombinedOutput()
		must(t, err)
		if !strings.Contains(string(out), "Accounts not heard from") || !strings.Contains(string(out), "0 accounts sent no signal since") {
			t.Errorf("the PDF reads:\n%s", out)
		}
	} else if os.Getenv("ALARMRX_PDF_TESTS") == "required" {
		t.Fatal("pdftotext (poppler-utils) is required")
	}
	var runs int
	for time.Now().Before(deadline) {
		list, err := d.Store().ScheduledRuns(context.Background(), 10)
		must(t, err)
		if len(list) == 1 && list[0].SentAt != nil && list[0].Period == day {
			runs = len(list)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if runs != 1 {
		t.Fatal("the period was not recorded as sent")
	}
}

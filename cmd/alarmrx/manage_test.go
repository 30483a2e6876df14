package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/store"
)

// TestAccountsAndTestCommands imports accounts into a running daemon,
// lists them, and puts one on test and off again, all through the CLI.
func TestAccountsAndTestCommands(t *testing.T) {
	d := startDaemon(t, func(cfg *configs.Config) {
		cfg.HTTP.Listen = "127.0.0.1:0"
		cfg.HTTP.AdminToken = "cli-token"
		cfg.Receivers[0].AccountPrefix = "ABC"
	})
	ctx := context.Background()
	cust := &store.Customer{Name: "Acme"}
	if err := d.Store().Customers.Create(ctx, cust); err != nil {
		t.Fatal(err)
	}
	if err := d.Store().Sites.Create(ctx, &store.Site{CustomerID: cust.ID, Name: "Acme yard", Identifier: "5551234"}); err != nil {
		t.Fatal(err)
	}
	conn := []string{"--server", "http://" + d.HTTPAddr(), "--token", "cli-token"}
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	bad := write("bad.csv", "receiver,number,site\n1,1234,5551234\n1,12,5551234\n")
	code, out, _ := runCmd(t, append([]string{"accounts", "import", bad}, conn...)...)
	if code != 1 || !strings.Contains(out, "bad.csv:3: number:") || !strings.Contains(out, "nothing imported") {
		t.Fatalf("bad import: exit %d\n%s", code, out)
	}
	good := write("good.csv", "receiver,number,site,system_type\n1,1234,5551234,intrusion\n1,ABC9,5551234,fire\n")
	code, out, errs := runCmd(t, append([]string{"accounts", "import", good}, conn...)...)
	if code != 0 || !strings.Contains(out, "2 rows imported: 2 created") {
		t.Fatalf("import: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = runCmd(t, append([]string{"accounts", "import", good}, conn...)...)
	if code != 0 || !strings.Contains(out, "0 created, 0 updated, 2 unchanged") {
		t.Fatalf("import again: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, append([]string{"accounts", "list"}, conn...)...)
	if code != 0 || !strings.Contains(out, "ABC1234") || !strings.Contains(out, "ABC9") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}

	code, out, errs = runCmd(t, append([]string{"test", "on", "1234", "--for", "2h", "--zones", "017,18",
		"--reason", "detector swap", "--by", "tech Tom"}, conn...)...)
	if code != 0 || !strings.Contains(out, "account ABC1234 on receiver 1 is on test (zones 17, 18)") {
		t.Fatalf("test on: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = runCmd(t, append([]string{"test", "status", "1234"}, conn...)...)
	if code != 0 || !strings.Contains(out, "ON TEST (zones 17, 18)") || !strings.Contains(out, `reason "detector swap"`) {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	code, _, errs = runCmd(t, append([]string{"test", "off", "1234"}, conn...)...)
	if code != 1 || !strings.Contains(errs, "field by") {
		t.Fatalf("off without --by: exit %d %s", code, errs)
	}
	code, out, _ = runCmd(t, append([]string{"test", "off", "1234", "--by", "operator Ann"}, conn...)...)
	if code != 0 || !strings.Contains(out, "is off test (1 period(s) ended)") {
		t.Fatalf("off: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, append([]string{"test", "status", "1234"}, conn...)...)
	if code != 0 || !strings.Contains(out, "in service") {
		t.Fatalf("status after off: exit %d\n%s", code, out)
	}
	code, _, errs = runCmd(t, append([]string{"test", "status", "9999"}, conn...)...)
	if code != 1 || !strings.Contains(errs, "HTTP 404") {
		t.Fatalf("unknown account: exit %d %s", code, errs)
	}

	code, out, errs = runCmd(t, append([]string{"users", "add", "ann", "--role", "supervisor"}, conn...)...)
	if code != 0 || !strings.Contains(out, "user ann (supervisor) added") {
		t.Fatalf("users add: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = runCmd(t, append([]string{"users", "list"}, conn...)...)
	if code != 0 || !strings.Contains(out, "ann") || !strings.Contains(out, "supervisor") {
		t.Fatalf("users list: exit %d\n%s", code, out)
	}
	if _, _, err := d.Store().Login(ctx, "ann", "a long enough password", "127.0.0.1", time.Hour); err != nil {
		t.Fatalf("the added user cannot log in: %v", err)
	}
}

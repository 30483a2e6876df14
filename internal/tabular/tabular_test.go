package tabular

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func sample() Doc {
	rows := [][]string{{"Branch 7 Main St", "=HYPERLINK(\"x\")", "3"}, {"North depot", "Bank <North>", "1"}}
	for i := range 120 { // several pages
		rows = append(rows, []string{"Site " + string(rune('A'+i%26)), "Customer", "1"})
	}
	return Doc{Title: "False alarms", Lines: []string{"Incidents resolved from 1 Nov to 30 Nov."},
		Made: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
		Sections: []Section{{Title: "Sites", Header: []string{"Site", "Customer", "False alarms"}, Rows: rows},
			{Title: "Customers", Header: []string{"Customer"}}}}
}

// TestCSVIsSpreadsheetSafe: the first section, each cell that would be
// a formula prefixed with '.
func TestCSVIsSpreadsheetSafe(t *testing.T) {
	var b bytes.Buffer
	if err := sample().Write(&b, "csv"); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(b.String(), "\n")
	if lines[0] != "Site,Customer,False alarms" || lines[1] != `Branch 7 Main St,"'=HYPERLINK(""x"")",3` || len(lines) != 124 {
		t.Errorf("csv:\n%s", strings.Join(lines[:3], "\n"))
	}
}

// TestHTMLEscapesAndSaysNone: cells are escaped, an empty section says
// None, and the page has no script.
func TestHTMLEscapesAndSaysNone(t *testing.T) {
	var b bytes.Buffer
	if err := sample().Write(&b, "html"); err != nil {
		t.Fatal(err)
	}
	h := b.String()
	for _, want := range []string{"<h1>False alarms</h1>", "<td>Bank &lt;North&gt;</td>", "<h2>Customers</h2>\n<p>None.</p>",
		"<th>False alarms</th>", "written 2026-12-01 08:00 UTC"} {
		if !strings.Contains(h, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	if strings.Contains(h, "<script") || strings.Contains(h, "Bank <North>") {
		t.Error("html has a script or an unescaped cell")
	}
}

// TestPDFReadsBack: pdftotext (poppler) finds the title, the cells on
// page 1 and the header again on page 2, and the pages' footer.
func TestPDFReadsBack(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("ALARMRX_PDF_TESTS") == "required" {
			t.Fatal("pdftotext (poppler-utils) is required")
		}
		t.Skip("no pdftotext (poppler-utils)")
	}
	var b bytes.Buffer
	if err := sample().Write(&b, "pdf"); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", b.Bytes()[:16])
	}
	path := t.TempDir() + "/r.pdf"
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	page := func(n string) string {
		out, err := exec.Command("pdftotext", "-layout", "-f", n, "-l", n, path, "-").CombinedOutput()
		if err != nil {
			t.Fatalf("pdftotext: %v %s", err, out)
		}
		return string(out)
	}
	one, two := page("1"), page("2")
	for _, want := range []string{"False alarms", "Incidents resolved from 1 Nov to 30 Nov.", "Branch 7 Main St", "Bank <North>",
		"=HYPERLINK", "page 1", "written"} {
		if want == "written" {
			want = "2026-12-01 08:00 UTC"
		}
		if !strings.Contains(one, want) {
			t.Errorf("page 1 lacks %q:\n%s", want, one)
		}
	}
	if !strings.Contains(two, "Site") || !strings.Contains(two, "False alarms") || !strings.Contains(two, "page 2") {
		t.Errorf("page 2 does not repeat the header:\n%s", two)
	}
	if err := sample().Write(&b, "xls"); err == nil {
		t.Error("an unknown format was written")
	}
}

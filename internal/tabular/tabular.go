// Package tabular writes a report made of tables as CSV, as a standalone
// HTML page, or as PDF: the station's reports are built once as a Doc and
// written in the format asked for, on screen, downloaded or mailed.
package tabular

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
)

// Doc is a report: a title, lines that sum it up, and its tables.
type Doc struct {
	Title    string
	Lines    []string
	Sections []Section
	// CSV is the table a spreadsheet is made from, when it is not the
	// first section: machine-readable columns (ids, RFC 3339 times in
	// UTC, seconds) rather than the words the pages show.
	CSV *Section
	// Made is when the report was written, in the time zone it is
	// written in; shown under the title and in the PDF's footer.
	Made time.Time
}

// Section is one table of a report; a section with no rows says None.
type Section struct {
	Title  string
	Header []string
	Rows   [][]string
}

// Formats are the formats a Doc is written in, and their content types.
var Formats = map[string]string{
	"csv":  "text/csv; charset=utf-8",
	"html": "text/html; charset=utf-8",
	"pdf":  "application/pdf",
}

// Write writes d in format (a key of Formats); CSV holds one table only,
// d.CSV or else the first section.
func (d Doc) Write(w io.Writer, format string) error {
	switch format {
	case "csv":
		switch {
		case d.CSV != nil:
			return WriteCSV(w, d.CSV.Header, d.CSV.Rows)
		case len(d.Sections) > 0:
			return WriteCSV(w, d.Sections[0].Header, d.Sections[0].Rows)
		}
		return WriteCSV(w, nil, nil)
	case "html":
		return d.WriteHTML(w)
	case "pdf":
		return d.WritePDF(w)
	}
	return fmt.Errorf("tabular: unknown format %q", format)
}

// SpreadsheetSafe keeps a cell from being read as a formula: text a panel
// or a caller sent that starts with = + - @ (or a tab or return) is
// prefixed with ' (OWASP "CSV injection").
func SpreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCSV writes a header and rows [RFC 4180], every cell made
// spreadsheet-safe.
func WriteCSV(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if header != nil {
		_ = cw.Write(header)
	}
	cell := make([]string, 0, len(header))
	for _, r := range rows {
		cell = cell[:0]
		for _, c := range r {
			cell = append(cell, SpreadsheetSafe(c))
		}
		_ = cw.Write(cell)
	}
	cw.Flush()
	return cw.Error()
}

//go:embed report.html
var pageText string

var page = template.Must(template.New("report.html").Parse(pageText))

// WriteHTML writes d as one page that carries its own style and no
// script, to open from a mail or a disk.
func (d Doc) WriteHTML(w io.Writer) error {
	return page.Execute(w, struct {
		Doc
		Made string
	}{d, d.madeText()})
}

func (d Doc) madeText() string {
	if d.Made.IsZero() {
		return ""
	}
	return d.Made.Format("2006-01-02 15:04 MST")
}

// PDF layout, in millimetres on landscape A4.
const (
	pdfMargin   = 12.0
	pdfRow      = 5.5
	pdfFontSize = 8.5
	pdfMinCol   = 12.0
	pdfMaxCol   = 90.0
)

// WritePDF writes d as a PDF on landscape A4: each table's header
// repeats on every page it spans, and the footer gives the report and the
// page. Text outside Windows-1252 (the core fonts' set) is replaced.
func (d Doc) WritePDF(w io.Writer) error {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetMargins(pdfMargin, pdfMargin, pdfMargin)
	pdf.SetAutoPageBreak(false, pdfMargin)
	pdf.SetCreator("alarmrx", true)
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	text := func(s string) string { return tr(s) }
	pdf.SetTitle(d.Title, true)
	pageW, pageH := pdf.GetPageSize()
	footer := text(d.Title)
	if m := d.madeText(); m != "" {
		footer += text(" · " + m)
	}
	pdf.SetFooterFunc(func() {
		pdf.SetY(-pdfMargin + 2)
		pdf.SetFont("Helvetica", "", 7)
		pdf.SetTextColor(110, 118, 133)
		pdf.CellFormat(0, 4, footer, "", 0, "L", false, 0, "")
		pdf.CellFormat(0, 4, fmt.Sprintf("page %d", pdf.PageNo()), "", 0, "R", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 15)
	pdf.SetTextColor(28, 36, 48)
	pdf.MultiCell(0, 8, text(d.Title), "", "L", false)
	pdf.SetFont("Helvetica", "", 9)
	pdf.SetTextColor(80, 88, 100)
	for _, l := range d.Lines {
		pdf.MultiCell(0, 4.5, text(l), "", "L", false)
	}
	bottom := pageH - pdfMargin - 4
	for _, s := range d.Sections {
		if pdf.GetY()+3*pdfRow > bottom {
			pdf.AddPage()
		}
		pdf.Ln(3)
		pdf.SetFont("Helvetica", "B", 11)
		pdf.SetTextColor(28, 36, 48)
		pdf.CellFormat(0, 7, text(s.Title), "", 1, "L", false, 0, "")
		if len(s.Rows) == 0 {
			pdf.SetFont("Helvetica", "", 9)
			pdf.CellFormat(0, pdfRow, "None.", "", 1, "L", false, 0, "")
			continue
		}
		widths := columnWidths(pdf, s, text, pageW-2*pdfMargin)
		head := func() {
			pdf.SetFont("Helvetica", "B", pdfFontSize)
			pdf.SetFillColor(228, 232, 238)
			for i, h := range s.Header {
				pdf.CellFormat(widths[i], pdfRow, fit(pdf, text(h), widths[i]), "B", 0, "L", true, 0, "")
			}
			pdf.Ln(-1)
			pdf.SetFont("Helvetica", "", pdfFontSize)
		}
		head()
		for n, r := range s.Rows {
			if pdf.GetY()+pdfRow > bottom {
				pdf.AddPage()
				head()
			}
			pdf.SetFillColor(245, 247, 250)
			for i := range s.Header {
				c := ""
				if i < len(r) {
					c = r[i]
				}
				pdf.CellFormat(widths[i], pdfRow, fit(pdf, text(c), widths[i]), "", 0, "L", n%2 == 1, 0, "")
			}
			pdf.Ln(-1)
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return fmt.Errorf("tabular: pdf: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// columnWidths shares the page's width among the columns by their widest
// text, each between pdfMinCol and pdfMaxCol.
func columnWidths(pdf *fpdf.Fpdf, s Section, text func(string) string, width float64) []float64 {
	want := make([]float64, len(s.Header))
	pdf.SetFont("Helvetica", "B", pdfFontSize)
	for i, h := range s.Header {
		want[i] = pdf.GetStringWidth(text(h)) + 3
	}
	pdf.SetFont("Helvetica", "", pdfFontSize)
	for _, r := range s.Rows {
		for i := 0; i < len(r) && i < len(want); i++ {
			want[i] = max(want[i], pdf.GetStringWidth(text(r[i]))+3)
		}
	}
	total := 0.0
	for i := range want {
		want[i] = min(max(want[i], pdfMinCol), pdfMaxCol)
		total += want[i]
	}
	scale := width / total
	if scale > 1 && total > width*0.6 {
		scale = 1 + (scale-1)/2 // spread a wide table, leave a narrow one narrow
	} else if scale > 1 {
		scale = 1
	}
	for i := range want {
		want[i] *= scale
	}
	return want
}

// fit cuts s to fit width, ending it with an ellipsis when cut.
func fit(pdf *fpdf.Fpdf, s string, width float64) string {
	if pdf.GetStringWidth(s) <= width-2 {
		return s
	}
	const ellipsis = "\x85" // … in Windows-1252
	b := []byte(s)
	for len(b) > 0 && pdf.GetStringWidth(string(b)+ellipsis) > width-2 {
		b = b[:len(b)-1]
	}
	return string(b) + ellipsis
}

package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/store"
)

// TestSitesAndCustomersImportAPI: customers and then sites come in by CSV,
// keyed by identifier, all rows or none; a second import changes nothing.
func TestSitesAndCustomersImportAPI(t *testing.T) {
	s := newStationServer(t)
	customers := "identifier,name,parent,report_email\n" +
		"+49 30 100,Bank HQ,,cso@bank.example\n" +
		"+49 30 200,Bank North,+49 30 100,\n"
	var rep store.ImportReport
	if code := s.call("POST", "/api/v1/customers/import?dry_run=true", "text/csv", customers, &rep); code != http.StatusOK || rep.Created != 2 || rep.Applied {
		t.Fatalf("customers dry run: %d %+v", code, rep)
	}
	rep = store.ImportReport{}
	if code := s.call("POST", "/api/v1/customers/import", "text/csv", customers, &rep); code != http.StatusOK || rep.Created != 2 || !rep.Applied {
		t.Fatalf("customers: %d %+v", code, rep)
	}
	sites := "identifier,name,customer,address,time_zone\n" +
		"+49 30 111,Branch 1,4930200,Main St 1,Europe/Berlin\n" +
		"+49 30 112,Branch 2,+49 30 200,Main St 2,Europe/Berlin\n"
	rep = store.ImportReport{}
	if code := s.call("POST", "/api/v1/sites/import", "text/csv", sites, &rep); code != http.StatusOK || rep.Created != 2 {
		t.Fatalf("sites: %d %+v", code, rep)
	}
	for path, body := range map[string]string{"/api/v1/customers/import": customers, "/api/v1/sites/import": sites} {
		rep = store.ImportReport{}
		if code := s.call("POST", path, "text/csv", body, &rep); code != http.StatusOK || rep.Unchanged != 2 || rep.Created+rep.Updated != 0 {
			t.Fatalf("%s again: %d %+v", path, code, rep)
		}
	}
	var list struct {
		Items []store.Site `json:"items"`
	}
	s.call("GET", "/api/v1/sites?identifier=4930112", "", "", &list)
	if len(list.Items) != 1 || list.Items[0].Name != "Branch 2" || list.Items[0].Identifier != "+49 30 112" {
		t.Fatalf("imported site %+v", list.Items)
	}
	// A bad file: every bad row, nothing written.
	bad := "identifier,name,customer,time_zone\n" +
		"+49 30 113,Branch 3,4930200,Mars/Olympus\n" +
		"+49 30 100,Branch 4,4930200,\n" + // a customer's identifier
		"+49 30 114,,4930200,\n" +
		"+49 30 115,Branch 5,4930999,\n"
	rep = store.ImportReport{}
	if code := s.call("POST", "/api/v1/sites/import", "text/csv", bad, &rep); code != http.StatusUnprocessableEntity || len(rep.Errors) != 4 || rep.Applied {
		t.Fatalf("bad sites: %d %+v", code, rep)
	}
	var fields []string
	for _, e := range rep.Errors {
		fields = append(fields, e.Field)
	}
	if got := strings.Join(fields, ","); got != "time_zone,identifier,name,customer" {
		t.Fatalf("bad site fields %s (%+v)", got, rep.Errors)
	}
	s.call("GET", "/api/v1/sites", "", "", &list)
	if len(list.Items) != 2 {
		t.Fatalf("%d sites after a refused import", len(list.Items))
	}
}

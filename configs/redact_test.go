package configs_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/configs"
	"go.yaml.in/yaml/v3"
)

// urlCases are the printed forms RedactURL must give, byte for byte.
var urlCases = []struct{ name, in, want string }{
	{"empty", "", ""},
	{"no credentials", "https://automation.example:8443/alarms?format=json#top", "https://automation.example:8443/alarms?format=json#top"},
	{"password", "https://alarmrx:s3cr3t@automation.example/in", "https://alarmrx:[redacted]@automation.example/in"},
	{"password with escapes and ':'", "https://us%40er:p%3Ass:w@h/", "https://us%40er:[redacted]@h/"},
	{"user alone, as tokens come", "https://ghp_t0ken@h/", "https://[redacted]@h/"},
	{"empty password", "https://user:@h/", "https://user:@h/"},
	{"no scheme", "//u:s3cr3t@h/p", "//u:[redacted]@h/p"},
	{"secret parameters", "https://h/in?token=t1&API_KEY=t2&x=1;passwd=t3&Access_Token=t4&apikey=t5&auth=t6&client_secret=t7&sig=plain",
		"https://h/in?token=[redacted]&API_KEY=[redacted]&x=1;passwd=[redacted]&Access_Token=[redacted]&apikey=[redacted]&auth=[redacted]&client_secret=[redacted]&sig=plain"},
	{"escaped parameter name", "https://h/?%74oken=t1&pass%6Bey=t2&%zz=t3", "https://h/?%74oken=[redacted]&pass%6Bey=[redacted]&%zz=[redacted]"},
	{"empty and bare parameters", "https://h/?token=&password&a=b", "https://h/?token=&password&a=b"},
	{"fragment parameters", "https://h/cb#access_token=t1&state=s", "https://h/cb#access_token=[redacted]&state=s"},
	{"both", "http://a:b@h:1/p?key=k#x", "http://a:[redacted]@h:1/p?key=[redacted]#x"},
	{"unparseable with @", "http://us er:s3cr3t@h/", "[redacted]"},
	{"unparseable with a query", "http://h/%zz?token=t1", "[redacted]"},
	{"unparseable, nothing to hide", "http://h/%zz", "http://h/%zz"},
	{"no authority, opaque @", "user:s3cr3t@h", "[redacted]"},
	{"not a URL at all", "alarmrx <alarmrx@localhost>", "alarmrx <alarmrx@localhost>"},
}

func TestRedactURL(t *testing.T) {
	for _, tc := range urlCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := configs.RedactURL(tc.in); got != tc.want {
				t.Fatalf("RedactURL(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestRedactedURLs: check-config prints webhook and portal URLs without
// their credentials, and the original keeps them.
func TestRedactedURLs(t *testing.T) {
	clearEnv(t)
	cfg := mustLoad(t, "testdata/good.yaml")
	cfg.Report.PortalURL = "https://portal:pw-portal@portal.example/?token=tk-portal"
	cfg.Outputs.Webhooks = []configs.Webhook{{Name: "a", URL: "https://hook:pw-hook@automation.example/in?api_key=tk-hook", Format: "json"}}
	before := fmt.Sprintf("%+v", cfg)
	printed, err := yaml.Marshal(cfg.Redacted())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"url: https://hook:[redacted]@automation.example/in?api_key=[redacted]",
		"portal_url: https://portal:[redacted]@portal.example/?token=[redacted]"} {
		if !strings.Contains(string(printed), want) {
			t.Errorf("printed configuration lacks %q:\n%s", want, printed)
		}
	}
	if after := fmt.Sprintf("%+v", cfg); after != before {
		t.Error("Redacted modified the original")
	}
}

// TestRedactedCoversEveryURLKey: every string the configuration holds, set
// to a URL with credentials, is printed without them: a key added later is
// covered, and the original is not touched.
func TestRedactedCoversEveryURLKey(t *testing.T) {
	const secret = "pw-0f1e2d"
	cfg := configs.Default()
	n := fill(reflect.ValueOf(cfg).Elem(), "https://u:"+secret+"@h.example/p?token="+secret)
	if n < 20 {
		t.Fatalf("only %d strings filled", n)
	}
	before := fmt.Sprintf("%+v", cfg)
	printed, err := yaml.Marshal(cfg.Redacted())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(printed), secret) {
		t.Errorf("printed configuration holds the secret:\n%s", printed)
	}
	if after := fmt.Sprintf("%+v", cfg); after != before {
		t.Error("Redacted modified the original")
	}
}

// fill sets every settable string in v to s, giving each slice one element,
// and returns how many it set.
func fill(v reflect.Value, s string) int {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
		return 1
	case reflect.Struct:
		n := 0
		for i := 0; i < v.NumField(); i++ {
			if v.Field(i).CanSet() {
				n += fill(v.Field(i), s)
			}
		}
		return n
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		return fill(v.Index(0), s)
	}
	return 0
}

func TestRedactDSN(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"postgres://alarmrx:s3cret@db1:5432/alarmrx?sslmode=verify-full", "postgres://alarmrx:[redacted]@db1:5432/alarmrx?sslmode=verify-full"},
		{"postgres://db1/alarmrx?password=s3cret&sslmode=disable", "postgres://db1/alarmrx?password=[redacted]&sslmode=disable"},
		{"host=db1 user=alarmrx password=s3cret dbname=alarmrx", "host=db1 user=alarmrx password=[redacted] dbname=alarmrx"},
		{"host=db1 password = 's3 c\\'ret' dbname=alarmrx", "host=db1 password = [redacted] dbname=alarmrx"},
		{"password=s3cret", "password=[redacted]"},
		{"host=db1 passwordfile=x dbname=a", "host=db1 passwordfile=x dbname=a"},
		{"host=db1 dbname=mypassword", "host=db1 dbname=mypassword"},
	} {
		if got := configs.RedactDSN(c.in); got != c.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

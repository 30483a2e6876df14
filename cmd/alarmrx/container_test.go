package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/configs"
	"go.yaml.in/yaml/v3"
)

// TestContainerFiles checks what no container builder here can: every
// file the Dockerfile copies from the tree exists, it runs as a non-root
// user with the data dir a volume and a health check on /-/ready, its
// configuration checks, and docker-compose.yml's two nodes set only
// configuration keys alarmrx reads from the environment (each arrives in
// the loaded configuration), with node ids of their own.
func TestContainerFiles(t *testing.T) {
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	docker := string(b)
	for _, m := range regexp.MustCompile(`(?m)^COPY (?:--from=\S+ )?(.+) \S+$`).FindAllStringSubmatch(docker, -1) {
		if strings.Contains(m[0], "--from=") {
			continue
		}
		for _, src := range strings.Fields(m[1]) {
			if _, err := os.Stat(filepath.Join("../..", src)); err != nil {
				t.Errorf("the Dockerfile copies %s: %v", src, err)
			}
		}
	}
	for _, want := range []string{"USER alarmrx", `VOLUME ["/var/lib/alarmrx"]`, "http://127.0.0.1:8080/-/ready", "CGO_ENABLED=1",
		"FROM debian:bookworm-slim", `CMD ["serve", "--config", "/etc/alarmrx/alarmrx.yaml"]`} {
		if !strings.Contains(docker, want) {
			t.Errorf("the Dockerfile lacks %q", want)
		}
	}
	cfg, err := configs.Load("../../configs/docker/alarmrx.yaml")
	if err != nil {
		t.Fatalf("configs/docker/alarmrx.yaml: %v", err)
	}
	if cfg.HTTP.Listen != "0.0.0.0:8080" || cfg.DataDir != "/var/lib/alarmrx/data" {
		t.Errorf("the container's configuration listens on %q with data in %q", cfg.HTTP.Listen, cfg.DataDir)
	}

	b, err = os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &compose); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	ids := map[string]bool{}
	for _, name := range []string{"node-a", "node-b"} {
		env := compose.Services[name].Environment
		if env["ALARMRX_STORE_DRIVER"] != "postgres" || env["ALARMRX_STORE_NODE_ID"] == "" {
			t.Errorf("%s: environment %v", name, env)
		}
		ids[env["ALARMRX_STORE_NODE_ID"]] = true
		// Each key must be one alarmrx reads: it is set, with a value of
		// its kind (compose substitutes the real ones), and must arrive.
		known := map[string]string{"ALARMRX_STORE_DRIVER": "postgres", "ALARMRX_STORE_DSN": "postgres://u:p@db:5432/alarmrx",
			"ALARMRX_STORE_NODE_ID": env["ALARMRX_STORE_NODE_ID"], "ALARMRX_HTTP_ADMIN_TOKEN": "a-token-long-enough-for-the-check-0123456789"}
		for k := range env {
			v, ok := known[k]
			if !ok {
				t.Errorf("%s sets %s, which this test does not know alarmrx to read", name, k)
				continue
			}
			t.Setenv(k, v)
		}
		c, err := configs.Load("../../configs/docker/alarmrx.yaml")
		if err != nil {
			t.Fatalf("%s: the configuration with its environment: %v", name, err)
		}
		if c.Store.Driver != "postgres" || c.Store.NodeID != env["ALARMRX_STORE_NODE_ID"] || c.Store.DSN == "" || c.HTTP.AdminToken == "" {
			t.Errorf("%s: the environment did not reach the configuration: %+v", name, c.Store)
		}
	}
	if len(ids) != 2 {
		t.Errorf("the two nodes share a node id: %v", ids)
	}
}

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
export CGO_ENABLED = 1

.PHONY: build run test test-pg test-short fuzz vet fmt bench ci

build:
	go build -ldflags "-X main.version=$(VERSION)" -o bin/alarmrx ./cmd/alarmrx

run:
	go run ./cmd/alarmrx serve

test:
	go test -race -count=1 ./...

PG_PORT ?= 54329

# The tests with the PostgreSQL ones required, on a throwaway server
# (scripts/pg-test-server) stopped even when they fail.
test-pg:
	@pgdir=$$(mktemp -d /tmp/alarmrx-pg.XXXXXX) || exit 1; \
	trap 'bash scripts/pg-test-server stop "$$pgdir"' EXIT; trap 'exit 130' INT TERM; \
	dsn=$$(bash scripts/pg-test-server start "$$pgdir" $(PG_PORT)) || exit 1; \
	ALARMRX_TEST_PG_DSN="$$dsn" ALARMRX_PG_TESTS=required go test -race -count=1 ./...

test-short:
	go test -short ./...

vet:
	go vet ./...

fmt:
	gofmt -l -w .

FUZZTIME ?= 200000x

# The fuzz targets are listed once, in .ci/run.
fuzz:
	FUZZTIME=$(FUZZTIME) bash .ci/run fuzz

bench:
	go test -run '^$$' -bench . -benchmem ./protocols/... ./receiver/... ./daemon/...

ci:
	bash .ci/run

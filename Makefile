VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
export CGO_ENABLED = 1

.PHONY: build run test test-short fuzz vet fmt bench ci

build:
	go build -ldflags "-X main.version=$(VERSION)" -o bin/alarmrx ./cmd/alarmrx

run:
	go run ./cmd/alarmrx serve

test:
	go test -race -count=1 ./...

test-short:
	go test -short ./...

vet:
	go vet ./...

fmt:
	gofmt -l -w .

FUZZ_TARGETS = ./protocols/dc09:FuzzSplit ./protocols/dc09:FuzzDecode ./protocols/dc09:FuzzRoundTrip \
	./protocols/contactid:FuzzParse ./protocols/contactid:FuzzParsePayload ./protocols/sia:FuzzParsePayload ./protocols/sia:FuzzParse
FUZZTIME ?= 10s

# go test -fuzz takes one target in one package per call.
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name"; \
		go test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

bench:
	go test -run '^$$' -bench . -benchmem ./protocols/... ./receiver/...

ci:
	bash .ci/run

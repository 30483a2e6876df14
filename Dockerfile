# syntax=docker/dockerfile:1
# alarmrx in a container: built with cgo (SQLite) on Debian's Go image, run
# on Debian slim as a non-root user, the data dir a volume.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t alarmrx .
#   docker run -d --name alarmrx -p 8080:8080 -p 12128:12128 -p 12128:12128/udp \
#     -p 12125:12125 -v alarmrx-data:/var/lib/alarmrx alarmrx
#
# Two nodes on PostgreSQL: docker-compose.yml.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/alarmrx ./cmd/alarmrx

FROM debian:bookworm-slim
# ca-certificates for TLS to PostgreSQL, SMTP and webhooks; curl for the
# health check; tzdata for the sites' time zones.
RUN apt-get update \
	&& apt-get install -y --no-install-recommends ca-certificates curl tzdata \
	&& rm -rf /var/lib/apt/lists/* \
	&& useradd --system --uid 10001 --user-group --home-dir /var/lib/alarmrx --shell /usr/sbin/nologin alarmrx \
	&& install -d -o alarmrx -g alarmrx -m 0700 /var/lib/alarmrx
COPY --from=build /out/alarmrx /usr/bin/alarmrx
COPY configs/docker/alarmrx.yaml /etc/alarmrx/alarmrx.yaml
COPY LICENSE /usr/share/doc/alarmrx/LICENSE
USER alarmrx
WORKDIR /var/lib/alarmrx
VOLUME ["/var/lib/alarmrx"]
# HTTP (API, console, XML signals, /metrics); DC-09 over TCP and UDP;
# Sur-Gard over TCP.
EXPOSE 8080 12128/tcp 12128/udp 12125/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
	CMD curl -fsS -o /dev/null http://127.0.0.1:8080/-/ready || exit 1
# SIGTERM stops it gracefully (the receiver's grace, then the store's close).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/alarmrx"]
CMD ["serve", "--config", "/etc/alarmrx/alarmrx.yaml"]

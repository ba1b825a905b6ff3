# syntax=docker/dockerfile:1
# Build: a static binary (no cgo: the SQLite driver is pure Go).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# The same build command as .ci/run.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/digestbot ./cmd/digestbot \
 && mkdir -p /out/data

# Run: distroless static, non-root (uid 65532), data in /data.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/digestbot /usr/local/bin/digestbot
COPY --from=build --chown=65532:65532 /out/data /data
COPY testdata/sample-feed.xml /usr/share/digestbot/sample-feed.xml
WORKDIR /data
ENV DIGESTBOT_DB=/data/digestbot.db \
    DIGESTBOT_HTTP_ADDR=:8080
USER nonroot:nonroot
EXPOSE 8080
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/digestbot"]
CMD ["run"]

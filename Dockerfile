# syntax=docker/dockerfile:1
# Build: a static, CGO-free binary (modernc.org/sqlite is pure Go).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/platbot ./cmd/platbot
# The state volume must exist and belong to the non-root user (65532 in
# distroless), or a fresh named volume would be root-owned and unwritable.
RUN mkdir -p /out/data/state

# Run: distroless static, non-root. git is not in this image, so point
# PLATBOT_GITOPS_REPO at a GitHub repository (owner/name) in production.
FROM gcr.io/distroless/static-debian12:nonroot
# The examples (catalog, templates, checks) are the defaults relative to the
# working folder; state lives on the /data volume.
WORKDIR /opt/platbot
COPY --from=build /out/platbot /usr/local/bin/platbot
COPY --from=build /src/examples /opt/platbot/examples
COPY --from=build --chown=65532:65532 /out/data /data
ENV PLATBOT_DB=/data/platbot.db \
    PLATBOT_DATA_DIR=/data/state \
    PLATBOT_ADDR=:8080
USER nonroot:nonroot
EXPOSE 8080
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/platbot"]
CMD ["serve"]

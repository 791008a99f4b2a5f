# bbr image: a static binary on a distroless base, running as non-root.
#   docker build --build-arg VERSION=v0.1.0 -t bbr .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/igw-dev/igw/internal/version.version=${VERSION}" \
      -o /out/bbr ./cmd/bbr

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bbr /bbr
USER 65532:65532
# ext_proc gRPC, gRPC health, metrics and /readyz
EXPOSE 9004 9005 9090
ENTRYPOINT ["/bbr"]

# Multi-stage build of a static operator binary on a distroless, non-root base with no shell.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY main.go ./
COPY api/ api/
COPY controllers/ controllers/
COPY internal/ internal/
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/isms-operator .

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/isms-operator /isms-operator
USER 65532:65532
ENTRYPOINT ["/isms-operator"]

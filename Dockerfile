# Multi-stage build of a static operator binary on a distroless, non-root base with no shell.
# `make image` builds it with VERSION and REVISION from git.
#
# Both base images are pinned by digest, so a build is reproducible and a changed base is a
# reviewed change. To refresh them (e.g. for a Go or Debian security release), look up the
# current digests and replace them below:
#   crane digest golang:1.26
#   crane digest gcr.io/distroless/static-debian12:nonroot
# (or `docker buildx imagetools inspect <image>`), then rebuild and run the tests.
FROM golang:1.26@sha256:595c7847cff97c9a9e76f015083c481d26078f961c9c8dca3923132f51fe12f1 AS build
ARG VERSION=devel
ARG REVISION=
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY main.go ./
COPY api/ api/
COPY config/crd/ config/crd/
COPY controllers/ controllers/
COPY internal/ internal/
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags="-s -w -X github.com/isms-operator/isms-operator/internal/version.Version=${VERSION} -X github.com/isms-operator/isms-operator/internal/version.Revision=${REVISION}" \
    -o /out/isms-operator .

FROM gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab
ARG VERSION=devel
ARG REVISION=
LABEL org.opencontainers.image.title="isms-operator" \
      org.opencontainers.image.description="NHS Information Security Management Code of Practice as live Kubernetes controls: an information asset register, a 5x5 risk register and continuity plans." \
      org.opencontainers.image.source="https://github.com/isms-operator/isms-operator" \
      org.opencontainers.image.url="https://github.com/isms-operator/isms-operator" \
      org.opencontainers.image.documentation="https://github.com/isms-operator/isms-operator#readme" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="isms-operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /out/isms-operator /isms-operator
USER 65532:65532
ENTRYPOINT ["/isms-operator"]

#!/usr/bin/env bash
# Builds the real kopia binary (the version prepare.sh wants) from the Go module proxy when it is not on
# PATH yet. prepare.sh uses `go install module@version`, which on some machines fails: the proxy refuses
# the module's version list (403) that `go install` reads for its deprecation check, while the module
# itself downloads fine. `go mod download` + `go build` skips that check. Once kopia is on PATH,
# prepare.sh finds it and builds the kopia/kopia image from it.
set -euo pipefail
version="${KOPIA_VERSION:-v0.23.1}"
bin_dir="$(go env GOPATH)/bin"
if "$bin_dir/kopia" --version 2>/dev/null | grep -q "${version#v}"; then exit 0; fi
echo "[ci] building kopia $version from the Go module proxy (once per machine)" >&2
module_dir="$(go mod download -json "github.com/kopia/kopia@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
work="$(mktemp -d)"
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$module_dir/." "$work/"
chmod -R u+w "$work"
mkdir -p "$bin_dir"
(cd "$work" && CGO_ENABLED=0 go build -trimpath \
  -ldflags "-X github.com/kopia/kopia/repo.BuildVersion=${version#v}" -o "$bin_dir/kopia" .)
"$bin_dir/kopia" --version >&2

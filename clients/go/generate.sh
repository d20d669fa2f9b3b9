#!/usr/bin/env bash
# Generates the Go code for the protos in proto/ into clients/go/privacy/, with pinned tools.
#
#   clients/go/generate.sh           rewrite the committed generated code
#   clients/go/generate.sh --check   regenerate into a temporary folder and fail, listing the
#                                    files, when the committed code differs from it
#
# Needs Go, and Python 3 with pip. Installs protoc-gen-go and protoc-gen-go-grpc (Go module
# proxy) into ${PRIVACYD_CACHE:-$HOME/.cache/privacyd}/bin and buf (PyPI's buf-bin) beside
# them, once per version, so CI on the same machine reuses them.
set -euo pipefail

# The pins. protoc-gen-go has none of its own: it is always the google.golang.org/protobuf
# version in go.mod, because generated code needs a runtime at least as new as its generator,
# and one number cannot drift from the other.
PROTOC_GEN_GO_GRPC_VERSION=v1.6.2
BUF_VERSION=1.75.0

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${PRIVACYD_CACHE:-$HOME/.cache/privacyd}
export GOBIN="$cache/bin"

usage() { echo "usage: $0 [--check]" >&2; exit 2; }
check=false
case $# in
    0) ;;
    1) [ "$1" = --check ] && check=true || usage ;;
    *) usage ;;
esac
[ -d "$root/proto" ] || { echo "no proto/ folder at $root" >&2; exit 1; }

# Installs a Go program at an exact module version unless GOBIN already holds that build.
# `go version -m` reads the version from the binary itself, so a stale or foreign binary of
# the same name is replaced rather than trusted.
install_go_tool() {
    local package=$1 module=$2 version=$3 name
    name=$(basename "$package")
    if [ "$(go version -m "$GOBIN/$name" 2>/dev/null | awk -v m="$module" '$1 == "mod" && $2 == m { print $3 }')" != "$version" ]; then
        echo "installing $name $version into $GOBIN" >&2
        GOFLAGS= go install "$package@$version"
    fi
}

protobuf_version=$(cd "$here" && go list -m -f '{{.Version}}' google.golang.org/protobuf)
install_go_tool google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/protobuf "$protobuf_version"
install_go_tool google.golang.org/grpc/cmd/protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc "$PROTOC_GEN_GO_GRPC_VERSION"

# buf from PyPI: one folder per version, filled in a temporary folder and renamed into place,
# so an interrupted install never leaves a half-written buf behind.
buf_dir="$cache/buf-bin-$BUF_VERSION"
buf="$buf_dir/bin/buf"
if [ ! -x "$buf" ]; then
    echo "installing buf $BUF_VERSION into $buf_dir" >&2
    mkdir -p "$cache"
    staging=$(mktemp -d "$cache/.buf-bin.XXXXXX")
    PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
        --no-deps --target "$staging" "buf-bin==$BUF_VERSION"
    mv "$staging" "$buf_dir" 2>/dev/null || rm -rf "$staging" # lost a race: keep the other one
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
generated="$work/out"

# The plugins are found on PATH (buf.gen.yaml names them), so ours come first.
(cd "$root" && PATH="$GOBIN:$PATH" "$buf" generate proto --template "$here/buf.gen.yaml" --output "$generated")

# Lists the generated files of a tree, relative to it, in a stable order.
generated_files() {
    if [ -d "$1/privacy" ]; then
        (cd "$1" && find privacy -type f -name '*.pb.go' | LC_ALL=C sort)
    fi
}

if $check; then
    drift=()
    while IFS= read -r file; do
        if [ ! -f "$here/$file" ]; then
            drift+=("clients/go/$file (missing)")
        elif ! cmp -s "$generated/$file" "$here/$file"; then
            drift+=("clients/go/$file (differs)")
        fi
    done < <(generated_files "$generated")
    while IFS= read -r file; do
        [ -f "$generated/$file" ] || drift+=("clients/go/$file (no longer generated)")
    done < <(generated_files "$here")
    if [ ${#drift[@]} -gt 0 ]; then
        echo "The generated Go code does not match proto/; run clients/go/generate.sh and commit:" >&2
        printf '  %s\n' "${drift[@]}" >&2
        exit 1
    fi
    echo "generated Go code is up to date with proto/"
    exit 0
fi

# Replace only generated files: anything hand-written beside them stays.
if [ -d "$here/privacy" ]; then
    find "$here/privacy" -type f -name '*.pb.go' -delete
    find "$here/privacy" -type d -empty -delete
fi
mkdir -p "$here/privacy"
cp -R "$generated/privacy/." "$here/privacy/"
generated_files "$here" | sed 's|^|generated clients/go/|'

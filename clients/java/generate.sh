#!/usr/bin/env bash
# Regenerates the Java code in privacyd-client/src/main/java from the protos in proto/.
#
#   clients/java/generate.sh           rewrite the committed sources
#   clients/java/generate.sh --check   regenerate into a temporary folder and fail, listing
#                                      the files, if the committed sources differ
#
# protoc and the grpc-java plugin are the linux-x86_64 executables Maven Central publishes,
# pinned by version and SHA-256 and cached under ${PRIVACYD_CACHE:-$HOME/.cache/privacyd}, so
# every machine generates byte-identical code and CI can reuse the downloads. Needs curl,
# sha256sum and a JDK (for `jar`); MAVEN_CENTRAL may name a mirror.
set -euo pipefail

# protoc 36.2 writes gencode 4.36.2, which protobuf-java accepts from runtime 4.36.2 on: keep
# PROTOC_VERSION equal to protobuf.version in pom.xml. 1.83.1 is the newest grpc-java that
# ships protoc-gen-grpc-java executables on Maven Central; keep it equal to grpc.version.
PROTOC_VERSION=4.36.2
PROTOC_SHA256=f6ee22d65361338459208da8bff801c9ca689741cba9187b34990dd45198f864
GRPC_JAVA_VERSION=1.83.1
GRPC_JAVA_SHA256=db4044e78391d5a23439143c8147f07ba5877675587b4d48f3b68fbee3893589
# The Maven Central executable of protoc has no include/ folder beside it; the well-known
# types it imports (timestamp, duration) come from the protobuf-java jar of the same release.
PROTOBUF_JAVA_SHA256=0773e72eaf375e1285df330575bfec5bda5da674d544d0e142a17f89c8f754da
MAVEN_CENTRAL=${MAVEN_CENTRAL:-https://repo.maven.apache.org/maven2}

usage() { echo "usage: $0 [--check]" >&2; exit 2; }
check=false
case $# in
  0) ;;
  1) [[ $1 == --check ]] || usage; check=true ;;
  *) usage ;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
proto_root=$(cd "$here/../../proto" && pwd)
committed="$here/privacyd-client/src/main/java"
cache=${PRIVACYD_CACHE:-$HOME/.cache/privacyd}

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) classifier=linux-x86_64 ;;
  *) echo "generate.sh: only linux-x86_64 is pinned; add the SHA-256 of your platform's" \
       "executables to run it elsewhere" >&2; exit 1 ;;
esac

# fetch URL SHA256 DEST MODE: downloads once, and checks the digest every time, so a corrupt or
# tampered cache entry is replaced rather than trusted.
fetch() {
  local url=$1 sha256=$2 dest=$3 mode=$4
  if [[ -f $dest ]] && echo "$sha256  $dest" | sha256sum --check --status; then
    return
  fi
  mkdir -p "$(dirname "$dest")"
  local part
  part=$(mktemp "$dest.XXXXXX")
  curl --fail --silent --show-error --location --retry 3 --output "$part" "$url"
  if ! echo "$sha256  $part" | sha256sum --check --status; then
    rm -f "$part"
    echo "generate.sh: $url does not have the pinned SHA-256 $sha256" >&2
    exit 1
  fi
  chmod "$mode" "$part"
  mv -f "$part" "$dest"
}

protoc="$cache/bin/protoc-$PROTOC_VERSION-$classifier.exe"
plugin="$cache/bin/protoc-gen-grpc-java-$GRPC_JAVA_VERSION-$classifier.exe"
protobuf_jar="$cache/java/protobuf-java-$PROTOC_VERSION.jar"
fetch "$MAVEN_CENTRAL/com/google/protobuf/protoc/$PROTOC_VERSION/protoc-$PROTOC_VERSION-$classifier.exe" \
  "$PROTOC_SHA256" "$protoc" 755
fetch "$MAVEN_CENTRAL/io/grpc/protoc-gen-grpc-java/$GRPC_JAVA_VERSION/protoc-gen-grpc-java-$GRPC_JAVA_VERSION-$classifier.exe" \
  "$GRPC_JAVA_SHA256" "$plugin" 755
fetch "$MAVEN_CENTRAL/com/google/protobuf/protobuf-java/$PROTOC_VERSION/protobuf-java-$PROTOC_VERSION.jar" \
  "$PROTOBUF_JAVA_SHA256" "$protobuf_jar" 644

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/include" "$work/out"
(cd "$work/include" && jar xf "$protobuf_jar" google/protobuf/)

# Relative, sorted paths: the generated comments name "privacy/v1/x.proto" rather than a
# path on this machine, and the file order never depends on the file system.
mapfile -t protos < <(cd "$proto_root" && find . -name '*.proto' -printf '%P\n' | LC_ALL=C sort)
"$protoc" \
  --proto_path="$proto_root" \
  --proto_path="$work/include" \
  --plugin=protoc-gen-grpc-java="$plugin" \
  --java_out="$work/out" \
  --grpc-java_out="$work/out" \
  "${protos[@]}"

# Compare file by file: --check lists what differs, and a rewrite touches only those files,
# so unchanged sources keep their timestamps and Maven does not recompile them all.
list() { if [[ -d $1 ]]; then (cd "$1" && find . -type f -printf '%P\n' | LC_ALL=C sort); fi; }
stale=()
while IFS= read -r file; do
  if [[ ! -f "$committed/$file" ]]; then
    stale+=("$file (missing)")
  elif [[ ! -f "$work/out/$file" ]]; then
    stale+=("$file (not generated from any proto)")
  elif ! cmp --silent "$work/out/$file" "$committed/$file"; then
    stale+=("$file (differs)")
  fi
done < <({ list "$work/out"; list "$committed"; } | LC_ALL=C sort -u)

if $check; then
  if ((${#stale[@]})); then
    echo "generated Java code is out of date with proto/; run clients/java/generate.sh:" >&2
    printf '  privacyd-client/src/main/java/%s\n' "${stale[@]}" >&2
    exit 1
  fi
  echo "generated Java code is up to date"
  exit 0
fi

# The folder holds generated code only, so files no proto produces any more are deleted.
for entry in "${stale[@]}"; do
  file=${entry% (*}
  if [[ -f "$work/out/$file" ]]; then
    mkdir -p "$(dirname "$committed/$file")"
    cp "$work/out/$file" "$committed/$file"
  else
    rm "$committed/$file"
  fi
done
if [[ -d $committed ]]; then find "$committed" -mindepth 1 -type d -empty -delete; fi
echo "generated $(list "$work/out" | wc -l) files into ${committed#"$here"/}; ${#stale[@]} changed"

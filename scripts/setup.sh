#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian 12 machine, then configures
# and builds. Idempotent and quiet when everything is already there.
#   scripts/setup.sh [--no-build]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Debian packages. libnode108's runtime dependencies are listed explicitly so that
# autoremove never takes them away (libnode itself is unpacked privately, see below).
packages=(
  build-essential cmake ninja-build pkg-config clang lld libclang-rt-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev wabt
  libsodium-dev nlohmann-json3-dev libmsgpack-cxx-dev libcli11-dev libspdlog-dev libyaml-cpp-dev
  libarchive-dev
  libhiredis-dev redis-server
  libboost-dev libnats-dev nats-server libcurl4-openssl-dev wrk
  docker-registry skopeo apache2-utils openssl curl
  libicu72 libuv1 libc-ares2 libnghttp2-14 libbrotli1 libssl3 zlib1g
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends --no-upgrade "${missing[@]}" >/dev/null
fi

# V8 comes from Debian's libnode108 + libnode-dev, unpacked into .deps/libnode because
# `apt-get install` of them conflicts with the preinstalled Node.js 20 (see docs/v8.md).
libnode_version="18.20.4+dfsg-1~deb12u3"
libnode_dir="$root/.deps/libnode"
stamp="$libnode_dir/root/.version"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$libnode_version" ]; then
  echo "setup: fetching libnode108 and libnode-dev $libnode_version"
  rm -rf "$libnode_dir"; mkdir -p "$libnode_dir/root"
  (cd "$libnode_dir" && apt-get download -qq -o APT::Sandbox::User=root "libnode108=$libnode_version" "libnode-dev=$libnode_version" >/dev/null) || {
    apt-get update -qq
    (cd "$libnode_dir" && apt-get download -qq -o APT::Sandbox::User=root "libnode108=$libnode_version" "libnode-dev=$libnode_version")
  }
  for f in "$libnode_dir"/libnode108_*.deb "$libnode_dir"/libnode-dev_*.deb; do
    got="$(dpkg-deb -f "$f" Version)"
    [ "$got" = "$libnode_version" ] || { echo "setup: $f has version $got, expected $libnode_version" >&2; exit 1; }
    dpkg -x "$f" "$libnode_dir/root"
  done
  test -f "$libnode_dir/root/usr/include/node/v8.h"
  test -f "$libnode_dir/root/usr/lib/x86_64-linux-gnu/libnode.so.108"
  echo "$libnode_version" > "$stamp"
  rm -f "$libnode_dir"/*.deb
fi

# npm packages used by tests (the nkeys cross-check), kept inside the project.
npm_dir="$root/.deps/npm"
if [ ! -d "$npm_dir/node_modules/@nats-io/nkeys" ]; then
  echo "setup: installing npm packages into .deps/npm"
  mkdir -p "$npm_dir"
  (cd "$npm_dir" && [ -f package.json ] || echo '{"name":"wasmcloud-host-test-deps","private":true}' > package.json)
  npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error @nats-io/nkeys@2.0.3 >/dev/null
fi

[ "${1:-}" = "--no-build" ] && exit 0

build_dir="${WC_BUILD_DIR:-$root/build}"
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build_dir"

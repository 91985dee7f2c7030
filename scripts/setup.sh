#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian 12 machine, then configures and
# builds. Idempotent and quiet when everything is already there.
#   scripts/setup.sh [--main] [--no-build]
#   --main      only what the main job (scripts/run.sh) needs: the build tools and
#               libraries and nats-server (not the servers, tools and npm packages the
#               tests use), and it builds only the host, the providers and the example
#               actors (the target main_job), not the test suite
#   --no-build  install, do not build
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

main_only=0; build=1
for arg in "$@"; do
  case "$arg" in
    --main) main_only=1 ;;
    --no-build) build=0 ;;
    *) echo "setup: unknown option $arg (--main, --no-build)" >&2; exit 2 ;;
  esac
done

# Debian packages. libnode108's runtime dependencies are listed explicitly so that
# autoremove never takes them away (libnode itself is unpacked privately, see below).
# The main job needs nats-server too: `wasmcloud up` starts one (a local lattice). The
# test libraries are there because configuring the tree looks for them.
packages=(
  build-essential cmake ninja-build pkg-config clang lld libclang-rt-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev wabt
  libsodium-dev libssl-dev nlohmann-json3-dev libmsgpack-cxx-dev libcli11-dev libspdlog-dev libyaml-cpp-dev
  libseccomp-dev libarchive-dev libhiredis-dev libboost-dev libnats-dev nats-server libcurl4-openssl-dev curl
  libicu72 libuv1 libc-ares2 libnghttp2-14 libbrotli1 libssl3 zlib1g
)
# What only the tests use: the servers they start, the format check, the tools they run.
test_packages=(
  clang-format redis-server wrk python3-prometheus-client
  docker-registry skopeo apache2-utils openssl
)
[ "$main_only" = 1 ] || packages+=("${test_packages[@]}")
sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends --no-upgrade "${missing[@]}" >/dev/null
fi

# V8 comes from Debian's libnode108 + libnode-dev, unpacked into .deps/libnode because
# `apt-get install` of them conflicts with the preinstalled Node.js 20 (see docs/v8.md).
# The version is the one apt offers now (bookworm-security moves on and its old versions
# disappear from the mirror; bookworm main keeps 18.20.4+dfsg-1~deb12u2); any Node 18
# with V8 10.2 is accepted. The unpacked version is recorded in .deps/libnode/root/.version,
# which the build reads (docs/v8.md).
libnode_dir="$root/.deps/libnode"
stamp="$libnode_dir/root/.version"
libnode_candidate() { apt-cache policy libnode108 2>/dev/null | awk '/Candidate:/ {print $2}'; }
libnode_fetch() {  # $1 = version; unpacks into $libnode_dir/new/root, 0 on success
  rm -rf "$libnode_dir/new"; mkdir -p "$libnode_dir/new/root"
  (cd "$libnode_dir/new" && apt-get download -qq -o APT::Sandbox::User=root \
      "libnode108=$1" "libnode-dev=$1" >/dev/null 2>&1) || return 1
  for f in "$libnode_dir"/new/libnode108_*.deb "$libnode_dir"/new/libnode-dev_*.deb; do
    [ "$(dpkg-deb -f "$f" Version)" = "$1" ] || return 1
    dpkg -x "$f" "$libnode_dir/new/root"
  done
}
libnode_check() {  # $1 = an unpacked root; Node 18 with V8 10.2, headers and library
  local inc="$1/usr/include/node"
  [ -f "$inc/v8.h" ] && [ -f "$1/usr/lib/x86_64-linux-gnu/libnode.so.108" ] &&
    grep -Eq '^#define V8_MAJOR_VERSION 10$' "$inc/v8-version.h" &&
    grep -Eq '^#define V8_MINOR_VERSION 2$' "$inc/v8-version.h" &&
    grep -Eq '^#define NODE_MAJOR_VERSION 18$' "$inc/node_version.h"
}
want="$(libnode_candidate)"
if [ -z "$want" ] || [ "$want" = "(none)" ]; then
  $sudo_cmd apt-get update -qq || true
  want="$(libnode_candidate)"
fi
have="$(cat "$stamp" 2>/dev/null || true)"
if [ -n "$want" ] && [ "$want" != "(none)" ] && [ "$have" != "$want" ]; then
  echo "setup: fetching libnode108 and libnode-dev $want"
  if ! libnode_fetch "$want"; then
    # The lists may name a version the mirror no longer has: refresh them and ask again.
    $sudo_cmd apt-get update -qq || true
    want="$(libnode_candidate)"
    libnode_fetch "$want" || want=""
  fi
  if [ -n "$want" ] && libnode_check "$libnode_dir/new/root"; then
    echo "$want" > "$libnode_dir/new/root/.version"
    rm -rf "$libnode_dir/root"; mv "$libnode_dir/new/root" "$libnode_dir/root"
  elif [ -n "$have" ] && libnode_check "$libnode_dir/root"; then
    echo "setup: could not fetch libnode108 $want; keeping $have" >&2
  else
    echo "setup: cannot get libnode108/libnode-dev (Node 18, V8 10.2) from apt (candidate: ${want:-none})" >&2
    exit 1
  fi
  rm -rf "$libnode_dir/new"
fi
libnode_check "$libnode_dir/root" || {
  echo "setup: $libnode_dir/root does not hold Node 18 / V8 10.2 (rm -rf $libnode_dir and retry)" >&2
  exit 1
}

# npm packages used by tests (the nkeys cross-check; the 0.18 control client of
# tests/cli/ctl018_client.mjs), pinned, kept inside the project. Each is checked for its
# exact version, so a fresh machine (or one that has only some of them) gets all of them.
[ "$main_only" = 1 ] && skip_npm=1 || skip_npm=0
npm_dir="$root/.deps/npm"
npm_packages=(@nats-io/nkeys@2.0.3 nats@2.29.3 @msgpack/msgpack@3.1.3)
npm_missing=()
for spec in "${npm_packages[@]}"; do
  name="${spec%@*}"; version="${spec##*@}"
  have_version="$(node -p 'require(process.argv[1]).version' \
      "$npm_dir/node_modules/$name/package.json" 2>/dev/null || true)"
  [ "$have_version" = "$version" ] || npm_missing+=("$spec")
done
if [ "$skip_npm" = 0 ] && [ ${#npm_missing[@]} -gt 0 ]; then
  echo "setup: installing npm packages into .deps/npm (${npm_missing[*]})"
  mkdir -p "$npm_dir"
  [ -f "$npm_dir/package.json" ] || echo '{"name":"wasmcloud-host-test-deps","private":true}' > "$npm_dir/package.json"
  npm install --prefix "$npm_dir" --no-audit --no-fund --loglevel=error --save-exact "${npm_packages[@]}" >/dev/null
fi

[ "$build" = 1 ] || exit 0

build_dir="${WC_BUILD_DIR:-$root/build}"
if [ ! -f "$build_dir/build.ninja" ]; then
  echo "setup: configuring $build_dir"
  cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
elif [ "$main_only" = 0 ]; then
  # Again: the tests find their servers (redis-server, nats-server) when configured, and a
  # main-job build may have been configured before they were installed.
  cmake -S "$root" -B "$build_dir" >/dev/null
fi
if [ "$main_only" = 1 ]; then
  echo "setup: building the host, its providers and the example actors into $build_dir" \
       "(a first build takes about 5 minutes on 2 cores)"
  cmake --build "$build_dir" --target main_job
else
  echo "setup: building everything into $build_dir, the test suite included" \
       "(a first build takes about 15 minutes on 2 cores)"
  cmake --build "$build_dir"
fi

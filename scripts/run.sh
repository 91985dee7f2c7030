#!/usr/bin/env bash
# The project's main job: set up, build, and run a host from the demo manifest until
# Ctrl-C, in a local lattice (`up` starts a private nats-server -js, which setup.sh
# installs; --no-lattice runs the host alone): the example kvcounter on
# http://127.0.0.1:8080 (try `curl localhost:8080/hits`). Extra arguments go to
# `wasmcloud up`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh" --main
build_dir="${WC_BUILD_DIR:-$root/build}"
export WASMCLOUD_BUILD_DIR="$build_dir"
exec "$build_dir/wasmcloud" up --manifest "$root/examples/demo.yaml" "$@"

#!/usr/bin/env bash
# The one server command: system packages, release build, then `spoor serve` on ./data.
# Extra arguments go to `spoor serve`, e.g. `bash scripts/run.sh --retention 24h`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

APT_PACKAGES=(librocksdb-dev zlib1g-dev libjemalloc-dev pkg-config protobuf-compiler libprotobuf-dev)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing: ${missing[*]}" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

swift build -c release --product spoor
exec .build/release/spoor serve --data-dir ./data "$@"

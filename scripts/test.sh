#!/usr/bin/env bash
# The one test command: system packages, one Swift build, Swift unit tests, then the
# end-to-end suite with real OpenTelemetry clients against the built `spoor` binary.
# Meant for a fresh Debian 12 machine as root; reruns skip what is already in place.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"

APT_PACKAGES=(librocksdb-dev zlib1g-dev libjemalloc-dev pkg-config protobuf-compiler libprotobuf-dev python3-venv)
LEGACY_VENV=.venv-e2e-legacy
CURRENT_VENV=.venv-e2e-current
JAEGER_CLIENT_VENV=.venv-e2e-jaeger-client
LEGACY_GRPC_VENV=.venv-e2e-legacy-grpc
E2E_DIR=tests/e2e

declare -A RESULT=([apt]=skipped [build]=skipped [swift-test]=skipped [venvs]=skipped [e2e]=skipped)
FAILED=0

step() { printf '\n==> %s\n' "$*"; }

summary() {
    local verdict=PASS
    [ "$FAILED" -ne 0 ] && verdict=FAIL
    printf '\nSUMMARY apt=%s build=%s swift-test=%s venvs=%s e2e=%s => %s\n' \
        "${RESULT[apt]}" "${RESULT[build]}" "${RESULT[swift-test]}" "${RESULT[venvs]}" "${RESULT[e2e]}" "$verdict"
    exit "$FAILED"
}

install_apt_packages() {
    local missing=() pkg sudo=""
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        echo "all system packages present"
        return 0
    fi
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "need root to install: ${missing[*]}" >&2; return 1; }
        sudo="sudo"
    fi
    echo "installing: ${missing[*]}"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# venv DIR REQUIREMENTS: create if needed; reinstall only when the requirements changed.
make_venv() {
    local dir=$1 req=$2 stamp
    stamp="$dir/.requirements.sha256"
    if [ ! -x "$dir/bin/python" ]; then
        python3 -m venv "$dir" || return 1
        rm -f "$stamp"
    fi
    if [ -f "$stamp" ] && sha256sum --status -c "$stamp" 2>/dev/null; then
        echo "$dir up to date"
        return 0
    fi
    "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$req" || return 1
    sha256sum "$req" >"$stamp"
    echo "$dir ready"
}

step "system packages"
if install_apt_packages; then RESULT[apt]=ok; else RESULT[apt]=FAILED; FAILED=1; summary; fi

step "swift build --build-tests"
if swift build --build-tests; then
    RESULT[build]=ok
else
    RESULT[build]=FAILED
    FAILED=1
    summary
fi

step "swift test --skip-build"
if swift test --skip-build; then RESULT[swift-test]=ok; else RESULT[swift-test]=FAILED; FAILED=1; fi

step "virtualenvs for the e2e clients"
if make_venv "$LEGACY_VENV" "$E2E_DIR/requirements-legacy.txt" &&
    make_venv "$CURRENT_VENV" "$E2E_DIR/requirements-current.txt" &&
    make_venv "$JAEGER_CLIENT_VENV" "$E2E_DIR/requirements-jaeger-client.txt" &&
    make_venv "$LEGACY_GRPC_VENV" "$E2E_DIR/requirements-legacy-grpc.txt"; then
    RESULT[venvs]=ok
else
    RESULT[venvs]=FAILED
    FAILED=1
    summary
fi

step "end-to-end tests (pytest $E2E_DIR)"
SPOOR_BIN="$ROOT/.build/debug/spoor" \
    SPOOR_E2E_LEGACY_PYTHON="$ROOT/$LEGACY_VENV/bin/python" \
    SPOOR_E2E_CURRENT_PYTHON="$ROOT/$CURRENT_VENV/bin/python" \
    SPOOR_E2E_JAEGER_CLIENT_PYTHON="$ROOT/$JAEGER_CLIENT_VENV/bin/python" \
    SPOOR_E2E_LEGACY_GRPC_PYTHON="$ROOT/$LEGACY_GRPC_VENV/bin/python" \
    "$CURRENT_VENV/bin/python" -m pytest "$E2E_DIR" -q
rc=$?
if [ "$rc" -eq 0 ]; then
    RESULT[e2e]=ok
else
    # 5 = no tests collected: also a failure here.
    RESULT[e2e]="FAILED(exit $rc)"
    FAILED=1
fi

summary

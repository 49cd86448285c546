#!/usr/bin/env bash
# Regenerates the committed protobuf messages and gRPC stubs from Protos/.
#
#   Protos/**/*.proto  --protoc-gen-swift-->         Sources/SpoorWire/Generated/   (messages)
#                      --protoc-gen-grpc-swift-2-->  Sources/SpoorServer/GRPC/Generated/ (service stubs)
#
# The two plugins are built once, in release mode, from clones under /tmp (override with
# SWIFT_PROTOBUF_DIR / GRPC_SWIFT_PROTOBUF_DIR). protoc is Debian's (apt: protobuf-compiler);
# google/protobuf/{timestamp,duration}.proto come from libprotobuf-dev (/usr/include).
# Never use the SwiftPM build plugin: it compiles protoc from C++ sources.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SWIFT_PROTOBUF_VERSION="1.39.0"
GRPC_SWIFT_PROTOBUF_VERSION="2.4.1"
SP_DIR="${SWIFT_PROTOBUF_DIR:-/tmp/sp}"
GSP_DIR="${GRPC_SWIFT_PROTOBUF_DIR:-/tmp/gsp}"
WKT_INCLUDE="${PROTOBUF_INCLUDE:-/usr/include}"

MESSAGES_OUT="$ROOT/Sources/SpoorWire/Generated"
STUBS_OUT="$ROOT/Sources/SpoorServer/GRPC/Generated"
MODULE_MAP="$ROOT/Protos/module-mappings.asciipb"

command -v protoc >/dev/null || { echo "protoc missing: apt-get install -y protobuf-compiler libprotobuf-dev" >&2; exit 1; }
[[ -f "$WKT_INCLUDE/google/protobuf/timestamp.proto" ]] || { echo "well-known types missing: apt-get install -y libprotobuf-dev" >&2; exit 1; }

build_plugin() { # dir url tag product
    local dir="$1" url="$2" tag="$3" product="$4"
    if [[ ! -x "$dir/.build/release/$product" ]]; then
        [[ -d "$dir/.git" ]] || git clone --quiet -b "$tag" "$url" "$dir"
        (cd "$dir" && swift build -c release --product "$product")
    fi
}
build_plugin "$SP_DIR" https://github.com/apple/swift-protobuf "$SWIFT_PROTOBUF_VERSION" protoc-gen-swift
build_plugin "$GSP_DIR" https://github.com/grpc/grpc-swift-protobuf "$GRPC_SWIFT_PROTOBUF_VERSION" protoc-gen-grpc-swift-2

MESSAGE_PROTOS=(
    opentelemetry/proto/common/v1/common.proto
    opentelemetry/proto/resource/v1/resource.proto
    opentelemetry/proto/trace/v1/trace.proto
    opentelemetry/proto/collector/trace/v1/trace_service.proto
    jaeger/api_v2/model.proto
    jaeger/api_v2/collector.proto
    jaeger/api_v2/sampling.proto
    jaeger/api_v2/query.proto
    jaeger/api_v3/query_service.proto
)
SERVICE_PROTOS=(
    opentelemetry/proto/collector/trace/v1/trace_service.proto
    jaeger/api_v2/collector.proto
    jaeger/api_v2/query.proto
    jaeger/api_v3/query_service.proto
)
# Service files that import no message file of SpoorWire: the plugin cannot infer `import SpoorWire`
# from the module mappings, so it is added explicitly.
STANDALONE_SERVICE_PROTOS=(
    jaeger/api_v2/sampling.proto
)

rm -rf "$MESSAGES_OUT" "$STUBS_OUT"
mkdir -p "$MESSAGES_OUT" "$STUBS_OUT"

cd "$ROOT/Protos"
protoc -I . -I "$WKT_INCLUDE" \
    --plugin=protoc-gen-swift="$SP_DIR/.build/release/protoc-gen-swift" \
    --swift_out="$MESSAGES_OUT" \
    --swift_opt=Visibility=Package \
    --swift_opt=FileNaming=PathToUnderscores \
    "${MESSAGE_PROTOS[@]}"

protoc -I . -I "$WKT_INCLUDE" \
    --plugin=protoc-gen-grpc-swift-2="$GSP_DIR/.build/release/protoc-gen-grpc-swift-2" \
    --grpc-swift-2_out="$STUBS_OUT" \
    --grpc-swift-2_opt=Visibility=Package \
    --grpc-swift-2_opt=Server=true,Client=true \
    --grpc-swift-2_opt=FileNaming=PathToUnderscores \
    --grpc-swift-2_opt=ProtoPathModuleMappings="$MODULE_MAP" \
    "${SERVICE_PROTOS[@]}"

protoc -I . -I "$WKT_INCLUDE" \
    --plugin=protoc-gen-grpc-swift-2="$GSP_DIR/.build/release/protoc-gen-grpc-swift-2" \
    --grpc-swift-2_out="$STUBS_OUT" \
    --grpc-swift-2_opt=Visibility=Package \
    --grpc-swift-2_opt=Server=true,Client=true \
    --grpc-swift-2_opt=FileNaming=PathToUnderscores \
    --grpc-swift-2_opt=ExtraModuleImports=SpoorWire \
    "${STANDALONE_SERVICE_PROTOS[@]}"

echo "generated:"
(cd "$ROOT" && find Sources/SpoorWire/Generated Sources/SpoorServer/GRPC/Generated -name '*.swift' | sort)

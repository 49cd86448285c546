"""OpenTelemetry Python Jaeger proto-gRPC exporter 1.21.0 (venv "legacy-grpc").

--mode grpc: one jaeger.api_v2.CollectorService/PostSpans per export, plaintext, --endpoint HOST:PORT
"""

import sys

import common
from opentelemetry.exporter.jaeger.proto.grpc import JaegerExporter


def main():
    args = common.parse_args(["grpc"])
    # TLS is the exporter's default; the server speaks plaintext HTTP/2.
    exporter = JaegerExporter(collector_endpoint=args.endpoint, insecure=True)
    return common.run(args, exporter)


if __name__ == "__main__":
    sys.exit(main())

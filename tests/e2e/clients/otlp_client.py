"""Current OpenTelemetry Python OTLP exporters (venv "current").

--mode http:      OTLP/HTTP protobuf, --endpoint http://HOST:PORT/v1/traces
--mode http-gzip: same with Content-Encoding: gzip
--mode grpc:      OTLP/gRPC plaintext, --endpoint http://HOST:PORT
"""

import sys

import common


def main():
    args = common.parse_args(["http", "http-gzip", "grpc"])
    if args.mode == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=args.endpoint, insecure=True, timeout=10)
    else:
        from opentelemetry.exporter.otlp.proto.http import Compression
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        compression = Compression.Gzip if args.mode == "http-gzip" else Compression.NoCompression
        exporter = OTLPSpanExporter(endpoint=args.endpoint, compression=compression, timeout=10)
    return common.run(args, exporter)


if __name__ == "__main__":
    sys.exit(main())

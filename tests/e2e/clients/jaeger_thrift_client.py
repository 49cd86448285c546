"""OpenTelemetry Python Jaeger Thrift exporter 1.21.0 (venv "legacy").

--mode agent:     UDP, Thrift compact emitBatch, --endpoint HOST:PORT
--mode collector: HTTP POST Thrift binary Batch, --endpoint http://HOST:PORT/api/traces
"""

import sys

import common
from opentelemetry.exporter.jaeger.thrift import JaegerExporter


def main():
    args = common.parse_args(["agent", "collector"])
    if args.mode == "agent":
        host, port = args.endpoint.rsplit(":", 1)
        exporter = JaegerExporter(agent_host_name=host, agent_port=int(port))
    else:
        exporter = JaegerExporter(collector_endpoint=args.endpoint)
    return common.run(args, exporter)


if __name__ == "__main__":
    sys.exit(main())

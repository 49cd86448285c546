"""OpenTelemetry Python Zipkin JSON exporter (venv "current").

--mode v2: Zipkin v2 JSON, --endpoint http://HOST:PORT/api/v2/spans
--mode v1: Zipkin v1 JSON (Protocol.V1), --endpoint http://HOST:PORT/api/v1/spans

The local endpoint is 127.0.0.1:4242, so its address and port show up as tags.
"""

import sys

import common


def main():
    args = common.parse_args(["v2", "v1"])
    from opentelemetry.exporter.zipkin.encoder import Protocol
    from opentelemetry.exporter.zipkin.json import ZipkinExporter

    exporter = ZipkinExporter(
        version=Protocol.V1 if args.mode == "v1" else Protocol.V2,
        endpoint=args.endpoint,
        local_node_ipv4="127.0.0.1",
        local_node_port=4242,
        # 1.45.1's v1 encoder compares this with 0 and fails on the default None.
        max_tag_value_length=4096,
        timeout=10,
    )
    return common.run(args, exporter)


if __name__ == "__main__":
    sys.exit(main())

"""Capture real Zipkin exporter bodies (v2 protobuf and v1 JSON) span by span.

Usage (in a virtualenv with opentelemetry-sdk==1.45.2, opentelemetry-exporter-zipkin-proto-http==1.45.1
and opentelemetry-exporter-zipkin-json==1.45.1):
    python capture.py OUTDIR proto   # zipkin-proto-NN.zipkin-v2.pb + zipkin-proto-sent.json
    python capture.py OUTDIR v1      # zipkin-v1-NN.zipkin-v1.json + zipkin-v1-sent.json
A local HTTP server answers 202 and records each body; the traces are the e2e suite's shape
(tests/e2e/clients/shape.py) at fixed, millisecond-aligned times. captures.json merges the two
*-sent.json files.
"""
import json, sys, threading, time
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "tests/e2e/clients"))
import shape
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

captured = []
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        captured.append((self.path, dict(self.headers), body))
        self.send_response(202); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
threading.Thread(target=srv.serve_forever, daemon=True).start()
port = srv.server_address[1]
out = sys.argv[1]
kind = sys.argv[2]
if kind == "proto":
    from opentelemetry.exporter.zipkin.proto.http import ZipkinExporter
    exp = ZipkinExporter(endpoint=f"http://127.0.0.1:{port}/api/v2/spans", local_node_ipv4="10.1.2.3", local_node_port=8080)
    service = "fixture-zipkin-proto"
else:
    from opentelemetry.exporter.zipkin.json import ZipkinExporter, Protocol
    exp = ZipkinExporter(version=Protocol.V1, endpoint=f"http://127.0.0.1:{port}/api/v1/spans", local_node_ipv4="10.1.2.3", local_node_port=8080, max_tag_value_length=4096)
    service = "fixture-zipkin-v1"
provider = TracerProvider(resource=Resource.create({"service.name": service, "deployment.environment": "acceptance"}))
provider.add_span_processor(SimpleSpanProcessor(exp))
tracer = provider.get_tracer("spoor.acceptance", "1.0")
base_ms = 1795620773000
sent = []
for i in range(2):
    tid, ids = shape.emit_trace(tracer, service, i, (base_ms + 1000 * i) * 1_000_000)
    sent.append({"trace_id": tid, "spans": ids, "base_us": (base_ms + 1000 * i) * 1000, "order_id": shape.order_id(service, i)})
provider.shutdown()
ext = "zipkin-v2.pb" if kind == "proto" else "zipkin-v1.json"
prefix = "zipkin-proto" if kind == "proto" else "zipkin-v1"
files = []
for n, (path, headers, body) in enumerate(captured):
    name = f"{prefix}-{n:02d}.{ext}"
    open(f"{out}/{name}", "wb").write(body)
    files.append({"file": name, "path": path, "content_type": headers.get("Content-Type"), "bytes": len(body)})
traces = []
for t in sent:
    spans = []
    for desc in shape.SPANS:
        attrs = dict(desc["attrs"])
        if desc["key"] == "root":
            attrs[shape.ORDER_ID_KEY] = t["order_id"]
        spans.append({
            "spanID": t["spans"][desc["key"]],
            "parentSpanID": t["spans"][desc["parent"]] if desc["parent"] else None,
            "operationName": desc["name"],
            "kind": desc["kind"].lower(),
            "startTime": t["base_us"] + desc["start_ms"] * 1000,
            "duration": desc["dur_ms"] * 1000,
            "attributes": attrs,
            "events": [{"name": e["name"], "attributes": e["attrs"]} for e in desc.get("events", [])],
            "error": "error" in desc,
        })
    traces.append({"traceID": t["trace_id"], "spans": spans})
entry = {"files": files, "sent": {"client": prefix, "service": service, "tenant": None, "traces": traces}}
json.dump({prefix: entry}, open(f"{out}/{prefix}-sent.json", "w"), indent=1)
print(json.dumps(files))

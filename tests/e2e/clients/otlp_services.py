"""Two services in one trace, sent by the real OTLP/HTTP exporter (venv "current").

frontend "GET /dispatch" (SERVER) → frontend "call backend" (CLIENT) → backend "handle" (SERVER)
→ backend "query db" (CLIENT). Times are explicit so the expected metrics are exact: every backend SERVER span
lasts 20 ms, every frontend SERVER span 50 ms, and the first --errors backend SERVER spans have an error status.

Prints one JSON line: {"ok", "traces": [trace ids], "export_results", "base_ns"}.
"""

import argparse
import json
import sys
import time

from opentelemetry import trace as otel_trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from common import RecordingExporter


def provider_for(service, endpoint, recorders):
    recorder = RecordingExporter(OTLPSpanExporter(endpoint=endpoint, timeout=10))
    recorders.append(recorder)
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(recorder))
    return provider


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--frontend", required=True)
    p.add_argument("--backend", required=True)
    p.add_argument("--traces", type=int, default=5)
    p.add_argument("--errors", type=int, default=2)
    args = p.parse_args()

    recorders = []
    front = provider_for(args.frontend, args.endpoint, recorders)
    back = provider_for(args.backend, args.endpoint, recorders)
    ft = front.get_tracer("spoor.e2e.services")
    bt = back.get_tracer("spoor.e2e.services")

    ms = 1_000_000
    base_ns = (time.time_ns() // ms - 10_000) * ms
    trace_ids = []
    for i in range(args.traces):
        t = base_ns + i * 100 * ms
        root = ft.start_span("GET /dispatch", kind=SpanKind.SERVER, start_time=t)
        ctx = otel_trace.set_span_in_context(root)
        call = ft.start_span("call backend", context=ctx, kind=SpanKind.CLIENT, start_time=t + 5 * ms)
        ctx = otel_trace.set_span_in_context(call)
        handle = bt.start_span("handle", context=ctx, kind=SpanKind.SERVER, start_time=t + 10 * ms)
        if i < args.errors:
            handle.set_status(Status(StatusCode.ERROR, "boom"))
        ctx = otel_trace.set_span_in_context(handle)
        db = bt.start_span("query db", context=ctx, kind=SpanKind.CLIENT, start_time=t + 12 * ms)
        db.end(end_time=t + 18 * ms)
        handle.end(end_time=t + 30 * ms)
        call.end(end_time=t + 35 * ms)
        root.end(end_time=t + 50 * ms)
        trace_ids.append(format(root.get_span_context().trace_id, "032x"))

    front.shutdown()
    back.shutdown()
    results = [r for rec in recorders for r in rec.results]
    ok = bool(results) and all(r == "SUCCESS" for r in results)
    print(json.dumps({"ok": ok, "traces": trace_ids, "export_results": results, "base_ns": base_ns}))
    sys.stdout.flush()
    return 0 if ok else 3


if __name__ == "__main__":
    sys.exit(main())

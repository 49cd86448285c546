"""Driver shared by the client scripts: SDK setup, trace emission, JSON report.

Runs inside a client virtualenv (needs opentelemetry-sdk). The exporter itself is the
real, unmodified exporter class; it is only wrapped to record each export's result so
the script can tell the test whether the export was acknowledged.
"""

import argparse
import json
import random
import sys
import time

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

import shape


class ScriptedIdGenerator(RandomIdGenerator):
    """Random ids, but the script chooses per trace whether the high 64 bits are zero."""

    short_next = False

    def generate_trace_id(self):
        if self.short_next:
            return random.getrandbits(64) | 1
        while True:
            tid = super().generate_trace_id()
            if tid >> 64:
                return tid


class RecordingExporter(SpanExporter):
    def __init__(self, inner):
        self.inner = inner
        self.results = []

    def export(self, spans):
        result = self.inner.export(spans)
        self.results.append(result.name if isinstance(result, SpanExportResult) else str(result))
        return result

    def shutdown(self):
        return self.inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        flush = getattr(self.inner, "force_flush", None)
        return flush(timeout_millis) if flush else True


def parse_args(modes):
    p = argparse.ArgumentParser()
    p.add_argument("--mode", required=True, choices=modes)
    p.add_argument("--endpoint", required=True)
    p.add_argument("--service", required=True)
    p.add_argument("--traces", type=int, default=2)
    return p.parse_args()


def run(args, exporter):
    ids = ScriptedIdGenerator()
    provider = TracerProvider(
        resource=Resource.create({"service.name": args.service, "deployment.environment": "e2e"}),
        id_generator=ids,
    )
    recorder = RecordingExporter(exporter)
    provider.add_span_processor(BatchSpanProcessor(recorder))
    tracer = provider.get_tracer("spoor.e2e", "1.0.0")

    # Millisecond-aligned, in the recent past, one second apart per trace.
    now_ms = time.time_ns() // 1_000_000
    base_ms = now_ms - 5_000 - 1_000 * args.traces
    traces = []
    for i in range(args.traces):
        ids.short_next = i % 2 == 1
        base_ns = (base_ms + 1_000 * i) * 1_000_000
        trace_id, span_ids = shape.emit_trace(tracer, args.service, i, base_ns)
        traces.append(
            {
                "trace_id": trace_id,
                "short": ids.short_next,
                "base_us": base_ns // 1_000,
                "order_id": shape.order_id(args.service, i),
                "spans": span_ids,
            }
        )
    provider.shutdown()  # flushes the batch processor and shuts the exporter down
    ok = bool(recorder.results) and all(r == "SUCCESS" for r in recorder.results)
    print(
        json.dumps(
            {
                "service": args.service,
                "mode": args.mode,
                "traces": traces,
                "export_results": recorder.results,
                "ok": ok,
            }
        )
    )
    sys.stdout.flush()
    return 0 if ok else 3

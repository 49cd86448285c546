"""jaeger-client 4.8.0 (venv "jaeger-client"): UDP compact spans to the agent port, remote sampler on the sampling port.

The tracer is configured as an application would configure it, with no sampler in the config so the client
uses its remote-controlled sampler (initial strategy probabilistic 0.001, polling `GET /sampling?service=`).
The script waits until that sampler has replaced its initial strategy with the one the server gave, reports
which strategy it accepted, then emits traces of three spans and reports what it sent (times as the client
converts them: int(seconds * 1e6)).
"""

import argparse
import json
import logging
import sys
import time

from jaeger_client import Config
from jaeger_client.sampler import (
    AdaptiveSampler,
    ProbabilisticSampler,
    RateLimitingSampler,
)

# Jaeger operation names, tags and log fields of the emitted trace.
ROOT_OP = "GET /order"
CHILD_OP = "SELECT orders"
LEAF_OP = "charge card"


def describe(sampler):
    """The strategy a sampler enforces, in terms the test can compare with the strategies file."""
    if isinstance(sampler, ProbabilisticSampler):
        return {"kind": "probabilistic", "rate": sampler.rate}
    if isinstance(sampler, RateLimitingSampler):
        return {"kind": "ratelimiting", "max_traces_per_second": sampler.traces_per_second}
    if isinstance(sampler, AdaptiveSampler):
        return {
            "kind": "per_operation",
            "default_probability": sampler.default_sampling_probability,
            "operations": {op: s.rate for op, s in sampler.samplers.items()},
        }
    return {"kind": type(sampler).__name__, "repr": str(sampler)}


def micros(t):
    return int(t * 1000000)


def emit_trace(tracer, index, operation):
    """Root, child, grandchild; returns what the query API must show."""
    base = time.time() - 5.0 - index
    spans = []
    root = tracer.start_span(operation, start_time=base)
    root.set_tag("http.method", "GET")
    root.set_tag("http.status_code", 200)
    root.set_tag("order.total", 12.5)
    root.set_tag("order.express", True)
    child = tracer.start_span(CHILD_OP, child_of=root, start_time=base + 0.010)
    child.set_tag("db.rows", 42)
    child.log_kv({"event": "query", "rows": 42, "cached": False}, timestamp=base + 0.020)
    leaf = tracer.start_span(LEAF_OP, child_of=child, start_time=base + 0.030)
    leaf.set_tag("error", True)
    leaf.set_tag("payment.provider", "acme")
    for span, end in ((leaf, base + 0.040), (child, base + 0.050), (root, base + 0.120)):
        span.finish(finish_time=end)
    for span in (root, child, leaf):
        ctx = span.context
        spans.append(
            {
                "operation": span.operation_name,
                "span_id": format(ctx.span_id, "016x"),
                "parent_id": format(ctx.parent_id, "016x") if ctx.parent_id else None,
                "start_us": micros(span.start_time),
                "duration_us": micros(span.end_time - span.start_time),
                "sampled": span.is_sampled(),
                "tags": {t.key: t.vStr if t.vStr is not None else t.vLong if t.vLong is not None else t.vDouble if t.vDouble is not None else t.vBool for t in span.tags},
                "logs": [
                    {"timestamp_us": log.timestamp, "fields": {f.key: f.vStr if f.vStr is not None else f.vLong if f.vLong is not None else f.vBool for f in log.fields}}
                    for log in span.logs
                ],
            }
        )
    trace_id = root.context.trace_id
    return {"trace_id": format(trace_id, "032x" if trace_id >> 64 else "016x"), "spans": spans}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--agent-host", default="127.0.0.1")
    p.add_argument("--agent-port", type=int, required=True, help="UDP compact port (6831)")
    p.add_argument("--sampling-port", type=int, required=True, help="HTTP sampling port (5778)")
    p.add_argument("--service", required=True)
    p.add_argument("--operation", default=ROOT_OP, help="root span operation")
    p.add_argument("--traces", type=int, default=2)
    p.add_argument("--wait", type=float, default=20.0, help="seconds to wait for the remote strategy")
    args = p.parse_args()

    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    config = Config(
        config={
            "local_agent": {
                "reporting_host": args.agent_host,
                "reporting_port": args.agent_port,
                "sampling_port": args.sampling_port,
            },
            "sampling_refresh_interval": 1,
            "reporter_flush_interval": 0.2,
            "logging": True,
        },
        service_name=args.service,
        validate=True,
    )
    tracer = config.new_tracer()
    remote = tracer.sampler
    initial = remote.sampler

    deadline = time.monotonic() + args.wait
    while remote.sampler is initial and time.monotonic() < deadline:
        time.sleep(0.1)
    accepted = remote.sampler is not initial
    strategy = describe(remote.sampler)

    traces = []
    if accepted:
        traces = [emit_trace(tracer, i, args.operation) for i in range(args.traces)]
    time.sleep(1.0)  # a few flush intervals: the reporter sends from its own IOLoop thread
    tracer.close()
    time.sleep(0.5)
    print(
        json.dumps(
            {
                "service": args.service,
                "sampler_updated": accepted,
                "strategy": strategy,
                "traces": traces,
                "ok": accepted,
            }
        )
    )
    sys.stdout.flush()
    return 0 if accepted else 3


if __name__ == "__main__":
    sys.exit(main())

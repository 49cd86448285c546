"""The one trace shape every e2e client emits, and what the query API must show for it.

This module is imported by the client scripts (which run inside the "legacy" or
"current" virtualenv) and by the pytest suite. It must not import OpenTelemetry at
module level: `emit_trace` imports lazily so the test runner can read the plain data.

Timing: every trace gets a millisecond-aligned base time (so nanosecond -> microsecond
conversion is exact whether a client rounds or truncates), and each span has a fixed
offset and duration relative to it.
"""

BIG_INT = 2**60  # outside +-(2^53-1): the query API must render it as a JSON string

# key -> span description. Parents refer to keys. Durations are distinct so duration
# searches can single out spans.
SPANS = [
    {
        "key": "root",
        "name": "GET /checkout",
        "kind": "SERVER",
        "parent": None,
        "start_ms": 0,
        "dur_ms": 120,
        "attrs": {
            "http.method": "GET",
            "http.route": "/checkout",
            "http.url": "http://shop.example/checkout",
            "http.status_code": 200,
        },
    },
    {
        "key": "db",
        "name": "SELECT orders",
        "kind": "CLIENT",
        "parent": "root",
        "start_ms": 10,
        "dur_ms": 50,
        "attrs": {
            "db.system": "postgresql",
            "db.rows": 42,
            "db.cost": 1.5,
            "db.cached": True,
            "db.big": BIG_INT,
        },
    },
    {
        "key": "charge",
        "name": "charge card",
        "kind": "CLIENT",
        "parent": "db",
        "start_ms": 20,
        "dur_ms": 30,
        "attrs": {"payment.provider": "acme"},
        "error": "card declined",
    },
    {
        "key": "compute",
        "name": "compute totals",
        "kind": "INTERNAL",
        "parent": "root",
        "start_ms": 70,
        "dur_ms": 20,
        "attrs": {"totals.currency": "EUR"},
        "events": [
            {
                "name": "checkpoint",
                "at_ms": 80,
                "attrs": {"step": "tax", "items": 3, "ratio": 0.25, "final": False},
            }
        ],
    },
]

SPAN_BY_KEY = {s["key"]: s for s in SPANS}

# Jaeger UI kind names.
KIND_TAG = {"SERVER": "server", "CLIENT": "client", "INTERNAL": "internal"}

ORDER_ID_KEY = "app.order_id"


def order_id(service, index):
    return f"{service}-order-{index}"


def emit_trace(tracer, service, index, base_ns):
    """Create the spans of one trace under `tracer`; return {key: span_id_hex}, trace_id_hex."""
    from opentelemetry import trace as trace_api
    from opentelemetry.trace import SpanKind, Status, StatusCode

    kinds = {
        "SERVER": SpanKind.SERVER,
        "CLIENT": SpanKind.CLIENT,
        "INTERNAL": SpanKind.INTERNAL,
    }
    live = {}
    ids = {}
    trace_id = None
    for desc in SPANS:
        if desc["parent"] is None:
            ctx = None
        else:
            ctx = trace_api.set_span_in_context(live[desc["parent"]])
        attrs = dict(desc["attrs"])
        if desc["key"] == "root":
            attrs[ORDER_ID_KEY] = order_id(service, index)
        span = tracer.start_span(
            desc["name"],
            context=ctx,
            kind=kinds[desc["kind"]],
            attributes=attrs,
            start_time=base_ns + desc["start_ms"] * 1_000_000,
        )
        live[desc["key"]] = span
        sc = span.get_span_context()
        ids[desc["key"]] = format(sc.span_id, "016x")
        trace_id = format(sc.trace_id, "032x")
        for ev in desc.get("events", []):
            span.add_event(
                ev["name"],
                attributes=dict(ev["attrs"]),
                timestamp=base_ns + ev["at_ms"] * 1_000_000,
            )
        if "error" in desc:
            span.set_status(Status(StatusCode.ERROR, desc["error"]))
    # End children before parents, as instrumented code would.
    for desc in reversed(SPANS):
        live[desc["key"]].end(end_time=base_ns + (desc["start_ms"] + desc["dur_ms"]) * 1_000_000)
    return trace_id, ids

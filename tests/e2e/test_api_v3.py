"""The api_v3 HTTP endpoints (used by Jaeger UI >= v2.15 and Grafana) on the standard shape sent over OTLP/HTTP.

The UI validates these bodies strictly, so types are checked, not only values: nanosecond times are decimal
strings, trace ids 32 hex, span ids 16 hex, and every array is present even when empty.
"""

import datetime
import json
import re

import pytest

import e2e_support as e2e
from e2e_support import shape

KIND = "otlp-http"
HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
DIGITS = re.compile(r"^[0-9]+$")
OTLP_KIND = {"SERVER": 2, "CLIENT": 3, "INTERNAL": 1}
SHAPE_OPS = {(s["name"], shape.KIND_TAG[s["kind"]]) for s in shape.SPANS}


def rfc3339(micros):
    seconds, frac = divmod(micros, 1_000_000)
    when = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:06d}Z"


def window(run, **extra):
    """Canonical search params covering every trace of the run."""
    bases = [t["base_us"] for t in run["traces"]]
    params = {
        "query.serviceName": run["service"],
        "query.startTimeMin": rfc3339(min(bases) - 1_000_000),
        "query.startTimeMax": rfc3339(max(bases) + 60_000_000),
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v is not None}


def v3_error(spoor, path, params, status):
    r = spoor.get(path, params)
    assert r.status_code == status, f"GET {r.url} -> {r.status_code}, want {status}: {r.text[:300]}"
    body = json.loads(r.text)
    err = body.get("error")
    assert isinstance(err, dict), body
    assert err.get("httpCode") == status, body
    assert isinstance(err.get("message"), str) and err["message"], body
    return err["message"]


def attrs(kvs):
    assert isinstance(kvs, list), kvs
    out = {}
    for kv in kvs:
        assert isinstance(kv["key"], str) and isinstance(kv["value"], dict), kv
        out[kv["key"]] = kv["value"]
    return out


def spans_of(result):
    """(resource attrs, scope, span) for every span of a TracesData, checking the container types."""
    assert isinstance(result, dict) and isinstance(result.get("resourceSpans"), list), result
    out = []
    for rs in result["resourceSpans"]:
        assert isinstance(rs.get("resource"), dict), rs
        resource = attrs(rs["resource"].get("attributes", []))
        assert isinstance(rs.get("scopeSpans"), list), rs
        for ss in rs["scopeSpans"]:
            assert isinstance(ss.get("scope"), dict) and isinstance(ss.get("spans"), list), ss
            for span in ss["spans"]:
                out.append((resource, ss["scope"], span))
    return out


def check_otlp_trace(result, run_trace, service):
    problems = []
    spans = spans_of(result)
    by_id = {s["spanId"]: (res, scope, s) for res, scope, s in spans}
    ids = run_trace["spans"]
    if set(by_id) != set(ids.values()):
        problems.append(f"span ids {sorted(by_id)}, want {sorted(ids.values())}")
    for desc in shape.SPANS:
        entry = by_id.get(ids[desc["key"]])
        if entry is None:
            continue
        resource, _, span = entry
        w = f"span {desc['name']!r}"
        if resource.get("service.name") != {"stringValue": service}:
            problems.append(f"{w}: resource service.name {resource.get('service.name')}")
        if span.get("traceId") != run_trace["trace_id"] or not HEX32.match(span.get("traceId", "")):
            problems.append(f"{w}: traceId {span.get('traceId')!r}, want {run_trace['trace_id']!r}")
        if not HEX16.match(span.get("spanId", "")):
            problems.append(f"{w}: spanId {span.get('spanId')!r}")
        want_parent = ids[desc["parent"]] if desc["parent"] else None
        if span.get("parentSpanId") != want_parent:
            problems.append(f"{w}: parentSpanId {span.get('parentSpanId')!r}, want {want_parent!r}")
        if span.get("name") != desc["name"]:
            problems.append(f"{w}: name {span.get('name')!r}")
        if span.get("kind") != OTLP_KIND[desc["kind"]]:
            problems.append(f"{w}: kind {span.get('kind')!r}, want {OTLP_KIND[desc['kind']]}")
        base_ns = run_trace["base_us"] * 1000
        want_start = str(base_ns + desc["start_ms"] * 1_000_000)
        want_end = str(base_ns + (desc["start_ms"] + desc["dur_ms"]) * 1_000_000)
        if span.get("startTimeUnixNano") != want_start or span.get("endTimeUnixNano") != want_end:
            problems.append(f"{w}: times {span.get('startTimeUnixNano')!r}..{span.get('endTimeUnixNano')!r}, want strings {want_start}..{want_end}")
        for field in ("attributes", "events", "links"):
            if not isinstance(span.get(field), list):
                problems.append(f"{w}: {field} is not an array: {span.get(field)!r}")
        got = attrs(span.get("attributes", []))
        expected = dict(desc["attrs"])
        if desc["key"] == "root":
            expected[shape.ORDER_ID_KEY] = run_trace["order_id"]
        for key, value in expected.items():
            want = otlp_value(value)
            if got.get(key) != want:
                problems.append(f"{w}: attribute {key!r} = {got.get(key)}, want {want}")
        for key in ("span.kind", "otel.status_code", "error", "otel.status_description"):
            if key in got:
                problems.append(f"{w}: {key!r} should be a span field, not an attribute")
        status = span.get("status")
        want_status = {"code": 2, "message": desc["error"]} if "error" in desc else {}
        if status != want_status:
            problems.append(f"{w}: status {status!r}, want {want_status!r}")
        events = span.get("events") or []
        want_events = desc.get("events", [])
        if len(events) != len(want_events):
            problems.append(f"{w}: {len(events)} events, want {len(want_events)}")
        for ev, want_ev in zip(events, want_events):
            if ev.get("name") != want_ev["name"]:
                problems.append(f"{w}: event name {ev.get('name')!r}")
            if ev.get("timeUnixNano") != str(base_ns + want_ev["at_ms"] * 1_000_000):
                problems.append(f"{w}: event time {ev.get('timeUnixNano')!r}")
            ev_attrs = attrs(ev.get("attributes", []))
            for key, value in want_ev["attrs"].items():
                if ev_attrs.get(key) != otlp_value(value):
                    problems.append(f"{w}: event attribute {key!r} = {ev_attrs.get(key)}")
    return problems


def otlp_value(value):
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": value}


def fail_on(problems):
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# --- services and operations ---------------------------------------------------------------


def test_services_lists_the_service(spoor, ingested):
    run = ingested(KIND)
    body = spoor.get_json("/api/v3/services")
    assert isinstance(body.get("services"), list), body
    assert all(isinstance(s, str) for s in body["services"]), body
    assert run["service"] in body["services"]


def test_operations_have_name_and_span_kind(spoor, ingested):
    run = ingested(KIND)
    body = spoor.get_json("/api/v3/operations", {"service": run["service"]})
    ops = body.get("operations")
    assert isinstance(ops, list), body
    assert all(isinstance(o.get("name"), str) and isinstance(o.get("spanKind"), str) for o in ops), body
    assert {(o["name"], o["spanKind"]) for o in ops} == SHAPE_OPS


@pytest.mark.parametrize("param", ["spanKind", "span_kind"])
def test_operations_filter_by_kind(spoor, ingested, param):
    run = ingested(KIND)
    body = spoor.get_json("/api/v3/operations", {"service": run["service"], param: "client"})
    assert {(o["name"], o["spanKind"]) for o in body["operations"]} == {op for op in SHAPE_OPS if op[1] == "client"}


def test_operations_of_unknown_service_is_empty_array(spoor):
    assert spoor.get_json("/api/v3/operations", {"service": "no-such-service"}) == {"operations": []}


# --- trace-summaries -----------------------------------------------------------------------


def check_summary(summary, run_trace, service):
    problems = []
    want = {
        "traceId": run_trace["trace_id"],
        "rootServiceName": service,
        "rootOperationName": shape.SPAN_BY_KEY["root"]["name"],
        "minStartTimeUnixNano": str(run_trace["base_us"] * 1000),
        "maxEndTimeUnixNano": str(run_trace["base_us"] * 1000 + max(s["start_ms"] + s["dur_ms"] for s in shape.SPANS) * 1_000_000),
        "spanCount": len(shape.SPANS),
        "errorSpanCount": sum(1 for s in shape.SPANS if "error" in s),
        "orphanSpanCount": 0,
        "services": [{"name": service, "spanCount": len(shape.SPANS), "errorSpanCount": 1}],
    }
    for key, value in want.items():
        if summary.get(key) != value:
            problems.append(f"summary {key} = {summary.get(key)!r}, want {value!r}")
    if not HEX32.match(summary.get("traceId", "")):
        problems.append(f"traceId {summary.get('traceId')!r} is not 32 hex")
    for key in ("minStartTimeUnixNano", "maxEndTimeUnixNano"):
        if not (isinstance(summary.get(key), str) and DIGITS.match(summary[key])):
            problems.append(f"{key} {summary.get(key)!r} is not a string of digits")
    return problems


def test_trace_summaries_describe_each_trace(spoor, ingested):
    run = ingested(KIND)
    body = spoor.get_json("/api/v3/trace-summaries", window(run))
    summaries = body.get("summaries")
    assert isinstance(summaries, list), body
    by_id = {s.get("traceId"): s for s in summaries}
    assert set(by_id) == {t["trace_id"] for t in run["traces"]}, body
    problems = []
    for t in run["traces"]:
        problems += [f"[{t['trace_id']}] {p}" for p in check_summary(by_id[t["trace_id"]], t, run["service"])]
    fail_on(problems)


def test_trace_summaries_accept_snake_case_and_limit(spoor, ingested):
    run = ingested(KIND)
    canonical = window(run)
    params = {
        "query.service_name": canonical["query.serviceName"],
        "query.start_time_min": canonical["query.startTimeMin"],
        "query.start_time_max": canonical["query.startTimeMax"],
        "query.num_traces": "1",
    }
    body = spoor.get_json("/api/v3/trace-summaries", params)
    assert len(body["summaries"]) == 1, body


def test_trace_summaries_filter_by_attributes_operation_and_duration(spoor, ingested):
    run = ingested(KIND)
    target = run["traces"][1]
    attributes = json.dumps({shape.ORDER_ID_KEY: target["order_id"]})
    body = spoor.get_json("/api/v3/trace-summaries", window(run, **{"query.attributes": attributes}))
    assert [s["traceId"] for s in body["summaries"]] == [target["trace_id"]], body

    charge = shape.SPAN_BY_KEY["charge"]
    params = window(run, **{"query.operationName": charge["name"], "query.durationMin": f"{charge['dur_ms']}ms", "query.durationMax": f"{charge['dur_ms']}ms"})
    assert len(spoor.get_json("/api/v3/trace-summaries", params)["summaries"]) == len(run["traces"])
    params["query.durationMin"] = f"{charge['dur_ms'] + 1}ms"
    params["query.durationMax"] = None
    params = {k: v for k, v in params.items() if v is not None}
    assert spoor.get_json("/api/v3/trace-summaries", params) == {"summaries": []}


def test_trace_summaries_without_service_name(spoor, ingested):
    run = ingested(KIND)
    attributes = json.dumps({shape.ORDER_ID_KEY: run["traces"][0]["order_id"]})
    params = window(run, **{"query.serviceName": None, "query.attributes": attributes})
    body = spoor.get_json("/api/v3/trace-summaries", params)
    assert [s["traceId"] for s in body["summaries"]] == [run["traces"][0]["trace_id"]], body


def test_trace_summaries_empty_is_200_with_array(spoor, ingested):
    run = ingested(KIND)
    body = spoor.get_json("/api/v3/trace-summaries", window(run, **{"query.serviceName": "no-such-service"}))
    assert body == {"summaries": []}


# --- traces --------------------------------------------------------------------------------


def test_traces_search_returns_otlp(spoor, ingested):
    run = ingested(KIND)
    body = spoor.get_json("/api/v3/traces", window(run))
    result = body.get("result")
    spans = spans_of(result)
    assert len(spans) == len(shape.SPANS) * len(run["traces"]), f"{len(spans)} spans"
    problems = []
    for t in run["traces"]:
        mine = {"resourceSpans": [
            {**rs, "scopeSpans": [{**ss, "spans": [s for s in ss["spans"] if s["traceId"] == t["trace_id"]]} for ss in rs["scopeSpans"]]}
            for rs in result["resourceSpans"]
        ]}
        problems += [f"[{t['trace_id']}] {p}" for p in check_otlp_trace(mine, t, run["service"])]
    fail_on(problems)


def test_traces_search_without_match_is_404(spoor, ingested):
    run = ingested(KIND)
    message = v3_error(spoor, "/api/v3/traces", window(run, **{"query.serviceName": "no-such-service"}), 404)
    assert message == "No traces found"


@pytest.mark.parametrize("form", ["full", "upper", "short"])
def test_trace_by_id_returns_otlp(spoor, ingested, form):
    run = ingested(KIND)
    problems = []
    for t in run["traces"]:
        tid = t["trace_id"]
        ident = {"full": tid, "upper": tid.upper(), "short": tid[16:] if t["short"] else tid}[form]
        body = spoor.get_json(f"/api/v3/traces/{ident}", {"startTime": rfc3339(t["base_us"] - 1_000_000), "endTime": rfc3339(t["base_us"] + 1_000_000)})
        problems += [f"[{tid}] {p}" for p in check_otlp_trace(body.get("result"), t, run["service"])]
    fail_on(problems)


def test_trace_by_id_raw_traces(spoor, ingested):
    run = ingested(KIND)
    t = run["traces"][0]
    body = spoor.get_json(f"/api/v3/traces/{t['trace_id']}", {"rawTraces": "true"})
    assert len(spans_of(body["result"])) == len(shape.SPANS)


def test_unknown_trace_is_404(spoor):
    assert v3_error(spoor, "/api/v3/traces/" + "ab" * 16, None, 404) == "No traces found"


@pytest.mark.parametrize("ident", ["not-hex", "a" * 33])
def test_malformed_trace_id_is_400(spoor, ident):
    assert v3_error(spoor, f"/api/v3/traces/{ident}", None, 400).startswith("malformed parameter trace_id: ")


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v3/trace-summaries", "/api/v3/traces"])
@pytest.mark.parametrize(
    "params,message",
    [
        ({"query.serviceName": "s"}, "query.startTimeMin and query.startTimeMax are required"),
        (
            {"query.startTimeMin": "2026-08-20T11:00:00Z", "query.startTimeMax": "2026-08-20T10:00:00Z"},
            "query.startTimeMin must be before query.startTimeMax",
        ),
        ({"query.startTimeMin": "yesterday", "query.startTimeMax": "2026-08-20T10:00:00Z"}, "malformed parameter query.startTimeMin: "),
        (
            {"query.startTimeMin": "2026-08-20T10:00:00Z", "query.startTimeMax": "2026-08-20T11:00:00Z", "query.durationMin": "abc"},
            "malformed parameter query.durationMin: ",
        ),
        (
            {"query.startTimeMin": "2026-08-20T10:00:00Z", "query.startTimeMax": "2026-08-20T11:00:00Z", "query.attributes": "{bad"},
            "malformed parameter query.attributes: ",
        ),
        (
            {"query.startTimeMin": "2026-08-20T10:00:00Z", "query.startTimeMax": "2026-08-20T11:00:00Z", "query.filter": "x"},
            "malformed parameter query.filter: ",
        ),
    ],
    ids=["no-window", "min-after-max", "bad-time", "bad-duration", "bad-attributes", "filter"],
)
def test_bad_search_params_are_400(spoor, path, params, message):
    got = v3_error(spoor, path, params, 400)
    assert got == message if not message.endswith(": ") else got.startswith(message), got

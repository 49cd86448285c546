"""Each real client sends the same traces; the query API must return them whole and find them."""

import json
import time

import pytest

import e2e_support as e2e
from e2e_support import shape

KINDS = list(e2e.CLIENT_KINDS)


def _ids(traces):
    return {t["traceID"] for t in traces}


def _assert_no_problems(problems):
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# --- the trace comes back whole ------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_trace_structure(spoor, ingested, kind):
    run = ingested(kind)
    problems = []
    for t in run["traces"]:
        trace = spoor.trace(t["trace_id"])
        problems += [f"[{t['trace_id']}] {p}" for p in e2e.check_structure(trace, t, run["service"], kind)]
    _assert_no_problems(problems)


@pytest.mark.parametrize("kind", KINDS)
def test_typed_tags_kind_and_error(spoor, ingested, kind):
    run = ingested(kind)
    problems = []
    for t in run["traces"]:
        problems += [f"[{t['trace_id']}] {p}" for p in e2e.check_tags(spoor.trace(t["trace_id"]), t)]
    _assert_no_problems(problems)


@pytest.mark.parametrize("kind", KINDS)
def test_events_as_logs(spoor, ingested, kind):
    run = ingested(kind)
    problems = []
    for t in run["traces"]:
        problems += [f"[{t['trace_id']}] {p}" for p in e2e.check_logs(spoor.trace(t["trace_id"]), t, run["log_field"])]
    _assert_no_problems(problems)


@pytest.mark.parametrize("kind", KINDS)
def test_trace_id_forms(spoor, ingested, kind):
    """One 128-bit id (32 hex) and one with a zero high half (16 hex); lookups by any form."""
    run = ingested(kind)
    shorts = [t for t in run["traces"] if t["short"]]
    longs = [t for t in run["traces"] if not t["short"]]
    assert shorts and longs
    for t in shorts:
        tid = t["trace_id"]
        assert tid.startswith("0" * 16)
        for form in (tid, tid[16:], tid[16:].upper(), tid[16:].lstrip("0")):
            got = spoor.trace(form)
            assert got is not None, f"GET /api/traces/{form} -> 404"
            assert got["traceID"] == tid[16:], f"traceID {got['traceID']!r}, want 16-hex {tid[16:]!r}"
    for t in longs:
        tid = t["trace_id"]
        for form in (tid, tid.upper()):
            got = spoor.trace(form)
            assert got is not None, f"GET /api/traces/{form} -> 404"
            assert got["traceID"] == tid


@pytest.mark.parametrize("kind", KINDS)
def test_multi_get_by_trace_id(spoor, ingested, kind):
    run = ingested(kind)
    params = [("traceID", t["trace_id"]) for t in run["traces"]]
    body = spoor.get_json("/api/traces", params)
    assert _ids(body["data"]) == e2e.all_expected_ids(run)


# --- search -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_search_by_service(spoor, ingested, kind):
    run = ingested(kind)
    traces = spoor.search(service=run["service"])
    assert _ids(traces) == e2e.all_expected_ids(run)
    for tr in traces:
        assert len(tr["spans"]) == len(shape.SPANS), "search must return whole traces"
    assert spoor.search(service=run["service"] + "-nope") == []


@pytest.mark.parametrize("kind", KINDS)
def test_search_by_operation(spoor, ingested, kind):
    run = ingested(kind)
    svc = run["service"]
    want = e2e.all_expected_ids(run)
    for op in ("GET /checkout", "SELECT orders", "charge card", "compute totals"):
        assert _ids(spoor.search(service=svc, operation=op)) == want, op
    assert spoor.search(service=svc, operation="no such op") == []
    assert spoor.search(service=svc, operation="get /checkout") == [], "operation match is exact"


@pytest.mark.parametrize("kind", KINDS)
def test_search_by_tags(spoor, ingested, kind):
    run = ingested(kind)
    svc = run["service"]
    want = e2e.all_expected_ids(run)
    first = run["traces"][0]
    only_first = {e2e.fmt_trace_id(first["trace_id"])}
    key = shape.ORDER_ID_KEY

    # JSON form
    assert _ids(spoor.search(service=svc, tags=json.dumps({key: first["order_id"]}))) == only_first
    assert _ids(spoor.search(service=svc, tags=json.dumps({"db.system": "postgresql"}))) == want
    assert _ids(spoor.search(service=svc, tags=json.dumps({"error": "true"}))) == want
    assert _ids(spoor.search(service=svc, tags=json.dumps({"http.status_code": "200", "http.method": "GET"}))) == want
    # key:value form, typed values compared as their string form
    assert _ids(spoor.search(service=svc, tag=f"{key}:{first['order_id']}")) == only_first
    assert _ids(spoor.search(service=svc, tag="db.rows:42")) == want
    assert _ids(spoor.search(service=svc, tag="db.cost:1.5")) == want
    assert _ids(spoor.search(service=svc, tag="db.cached:true")) == want
    assert _ids(spoor.search(service=svc, tag="http.url:http://shop.example/checkout")) == want
    # resource attribute (process tag for OTLP, span tag for the Jaeger exporter)
    assert _ids(spoor.search(service=svc, tag="deployment.environment:e2e")) == want
    # tag + operation on the same span
    assert _ids(spoor.search(service=svc, operation="SELECT orders", tag="db.rows:42")) == want
    # negatives
    assert spoor.search(service=svc, tags=json.dumps({key: "nope"})) == []
    assert spoor.search(service=svc, tag="db.rows:43") == []
    assert spoor.search(service=svc, tag="db.cached:false") == []
    assert spoor.search(service=svc, tags=json.dumps({"db.system": "postgresql", "db.rows": "43"})) == []
    assert spoor.search(service=svc, tags=json.dumps({"no.such.key": "x"})) == []


@pytest.mark.parametrize("kind", KINDS)
def test_search_by_duration(spoor, ingested, kind):
    """Span durations: root 120ms, SELECT 50ms, charge 30ms, compute 20ms."""
    run = ingested(kind)
    svc = run["service"]
    want = e2e.all_expected_ids(run)
    assert _ids(spoor.search(service=svc, minDuration="100ms")) == want
    assert _ids(spoor.search(service=svc, minDuration="120ms")) == want, "bounds are inclusive"
    assert _ids(spoor.search(service=svc, maxDuration="20ms")) == want, "bounds are inclusive"
    assert _ids(spoor.search(service=svc, minDuration="45ms", maxDuration="55ms")) == want
    assert _ids(spoor.search(service=svc, operation="SELECT orders", minDuration="0.04s", maxDuration="50000us")) == want
    assert spoor.search(service=svc, minDuration="121ms") == []
    assert spoor.search(service=svc, maxDuration="19ms") == []
    assert spoor.search(service=svc, minDuration="61ms", maxDuration="119ms") == []
    assert spoor.search(service=svc, operation="charge card", minDuration="40ms") == []


@pytest.mark.parametrize("kind", KINDS)
def test_search_by_time_window(spoor, ingested, kind):
    run = ingested(kind)
    svc = run["service"]
    want = e2e.all_expected_ids(run)
    first_us = min(t["base_us"] for t in run["traces"])
    now_us = int(time.time() * 1_000_000)
    assert _ids(spoor.search(service=svc, start=first_us - 60_000_000, end=now_us + 60_000_000)) == want
    # only the first trace's spans start within [first, first + 500ms]
    only_first = {e2e.fmt_trace_id(t["trace_id"]) for t in run["traces"] if t["base_us"] == first_us}
    assert _ids(spoor.search(service=svc, start=first_us, end=first_us + 500_000)) == only_first
    assert spoor.search(service=svc, start=first_us - 7_200_000_000, end=first_us - 3_600_000_000) == []
    assert spoor.search(service=svc, start=now_us + 3_600_000_000, end=now_us + 7_200_000_000) == []


@pytest.mark.parametrize("kind", KINDS)
def test_search_limit(spoor, ingested, kind):
    run = ingested(kind)
    got = spoor.search(service=run["service"], limit=1)
    assert len(got) == 1
    assert _ids(got) <= e2e.all_expected_ids(run)
    assert len(got[0]["spans"]) == len(shape.SPANS)


# --- services and operations ----------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_services_and_operations(spoor, ingested, kind):
    run = ingested(kind)
    svc = run["service"]
    body = spoor.get_json("/api/services")
    assert svc in body["data"]
    assert body["total"] == len(body["data"])

    body = spoor.get_json(f"/api/services/{svc}/operations")
    assert sorted(body["data"]) == sorted(s["name"] for s in shape.SPANS)
    assert body["total"] == len(shape.SPANS)

    want = {(s["name"], shape.KIND_TAG[s["kind"]]) for s in shape.SPANS}
    body = spoor.get_json("/api/operations", {"service": svc})
    got = {(o["name"], o["spanKind"]) for o in body["data"]}
    assert got == want
    assert body["total"] == len(body["data"])

    for k in ("server", "client", "internal", "producer"):
        body = spoor.get_json("/api/operations", {"service": svc, "spanKind": k})
        got = {(o["name"], o["spanKind"]) for o in body["data"]}
        assert got == {w for w in want if w[1] == k}, k

    body = spoor.get_json("/api/operations", {"service": svc + "-nope"})
    assert body["data"] == []

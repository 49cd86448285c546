"""Query-side adjusters (spec/query-api.md §6.5) on the v1 API: applied by default, skipped with raw=true."""

import json
import time
import uuid

import requests


def _post(url, body, timeout=10):
    r = requests.post(url, data=json.dumps(body), headers={"Content-Type": "application/json"}, timeout=timeout)
    assert r.status_code < 300, f"POST {url} -> {r.status_code}: {r.text[:300]}"


def _only_trace(body):
    data = body["data"]
    assert isinstance(data, list) and len(data) == 1, f"want one trace: {body!r:.500}"
    return data[0]


def _keys(kvs, wanted):
    return [kv["key"] for kv in kvs if kv["key"] in wanted]


def test_otlp_tags_are_sorted_and_library_tags_moved_unless_raw(spoor):
    service = f"e2e-adjust-{uuid.uuid4().hex[:8]}"
    trace_id, span_id = uuid.uuid4().hex, uuid.uuid4().hex[:16]
    now = time.time_ns()
    attrs = [("zeta", "1"), ("alpha", "2"), ("mid", "3"), ("telemetry.sdk.language", "python")]
    body = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": trace_id,
                                "spanId": span_id,
                                "name": "op",
                                "kind": 1,
                                "startTimeUnixNano": str(now - 2_000_000),
                                "endTimeUnixNano": str(now - 1_000_000),
                                "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs],
                            }
                        ]
                    }
                ],
            }
        ]
    }
    _post(f"http://127.0.0.1:{spoor.ports['otlp_http']}/v1/traces", body)
    spoor.wait_trace(trace_id, 1)

    mine = {"zeta", "alpha", "mid"}
    sdk = {"telemetry.sdk.language"}
    for path, params in [
        (f"/api/traces/{trace_id}", {}),
        ("/api/traces", {"traceID": trace_id}),
        ("/api/traces", {"service": service}),
    ]:
        trace = _only_trace(spoor.get_json(path, params))
        span = trace["spans"][0]
        assert _keys(span["tags"], mine) == ["alpha", "mid", "zeta"], (path, params, span["tags"])
        assert _keys(span["tags"], sdk) == [], span["tags"]
        assert _keys(trace["processes"][span["processID"]]["tags"], sdk) == ["telemetry.sdk.language"], trace["processes"]

        raw = _only_trace(spoor.get_json(path, {**params, "raw": "true"}))
        span = raw["spans"][0]
        assert _keys(span["tags"], mine) == ["zeta", "alpha", "mid"], (path, params, span["tags"])
        assert _keys(span["tags"], sdk) == ["telemetry.sdk.language"], span["tags"]


def test_bad_raw_on_trace_by_id_is_400(spoor):
    r = spoor.get(f"/api/traces/{uuid.uuid4().hex}", {"raw": "maybe"})
    assert r.status_code == 400, r.text
    assert "unable to parse param 'raw'" in r.json()["errors"][0]["msg"], r.text


def test_zipkin_shared_server_span_gets_its_own_id_unless_raw(spoor):
    trace_id = uuid.uuid4().hex
    shared = "00000000000000aa"
    start_us = time.time_ns() // 1000 - 5_000
    spans = [
        {
            "traceId": trace_id,
            "id": shared,
            "kind": "CLIENT",
            "name": "call",
            "timestamp": start_us,
            "duration": 4_000,
            "localEndpoint": {"serviceName": f"e2e-zfront-{trace_id[:6]}"},
        },
        {
            "traceId": trace_id,
            "id": shared,
            "kind": "SERVER",
            "shared": True,
            "name": "call",
            "timestamp": start_us + 500,
            "duration": 2_000,
            "localEndpoint": {"serviceName": f"e2e-zback-{trace_id[:6]}"},
        },
    ]
    _post(f"http://127.0.0.1:{spoor.ports['zipkin']}/api/v2/spans", spans)
    spoor.wait_trace(trace_id, 2)

    trace = _only_trace(spoor.get_json(f"/api/traces/{trace_id}"))
    ids = [s["spanID"] for s in trace["spans"]]
    assert len(set(ids)) == 2 and shared in ids, ids
    server = next(s for s in trace["spans"] if s["spanID"] != shared)
    assert {"refType": "CHILD_OF", "traceID": trace["traceID"], "spanID": shared} in server["references"], server

    raw = _only_trace(spoor.get_json(f"/api/traces/{trace_id}", {"raw": "true"}))
    assert [s["spanID"] for s in raw["spans"]] == [shared, shared], raw["spans"]

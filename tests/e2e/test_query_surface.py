"""Dependencies, Monitor-tab metrics, archive and search without a service, on a two-service trace set sent by
the real OTLP/HTTP exporter (clients/otlp_services.py: frontend → backend, exact durations and error counts)."""

import json
import subprocess
import time
import uuid

import pytest

import e2e_support as e2e

TRACES = 5
ERRORS = 2


@pytest.fixture(scope="module")
def services_run(spoor):
    suffix = uuid.uuid4().hex[:8]
    frontend, backend = f"e2e-front-{suffix}", f"e2e-back-{suffix}"
    python = e2e.CURRENT_PYTHON
    argv = [
        str(python), str(e2e.CLIENTS / "otlp_services.py"),
        "--endpoint", f"http://127.0.0.1:{spoor.ports['otlp_http']}/v1/traces",
        "--frontend", frontend, "--backend", backend, "--traces", str(TRACES), "--errors", str(ERRORS),
    ]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=90, cwd=e2e.CLIENTS)
    lines = [line for line in p.stdout.splitlines() if line.startswith("{")]
    assert p.returncode == 0 and lines, f"client failed rc={p.returncode}\n{p.stderr[-3000:]}"
    run = json.loads(lines[-1])
    assert run["ok"], run
    for trace_id in run["traces"]:
        spoor.wait_trace(trace_id, 4, timeout=20)
    run.update(frontend=frontend, backend=backend)
    return run


def now_ms():
    return int(time.time() * 1000)


def links_of(body, run):
    ours = {run["frontend"], run["backend"]}
    return {
        (link["parent"], link["child"]): link["callCount"]
        for link in body["data"]
        if link["parent"] in ours or link["child"] in ours
    }


def test_dependencies_count_every_parent_child_pair(spoor, services_run):
    run = services_run
    body = spoor.get_json("/api/dependencies", {"endTs": now_ms() + 60_000, "lookback": 3_600_000})
    assert set(body) == {"data", "total", "limit", "offset", "errors"}
    for link in body["data"]:
        assert set(link) == {"parent", "child", "callCount"}, link
        assert isinstance(link["callCount"], int)
    assert links_of(body, run) == {
        (run["frontend"], run["frontend"]): TRACES,
        (run["frontend"], run["backend"]): TRACES,
        (run["backend"], run["backend"]): TRACES,
    }
    # The service filter keeps links touching that service.
    body = spoor.get_json(
        "/api/dependencies", {"endTs": now_ms() + 60_000, "lookback": 3_600_000, "service": run["backend"]}
    )
    assert {(l["parent"], l["child"]) for l in body["data"]} == {
        (run["frontend"], run["backend"]),
        (run["backend"], run["backend"]),
    }
    # A window before the traces has none of them.
    body = spoor.get_json("/api/dependencies", {"endTs": now_ms() - 7_200_000, "lookback": 3_600_000})
    assert links_of(body, run) == {}


def test_dependencies_bad_parameter_is_400(spoor):
    r = spoor.get("/api/dependencies", {"endTs": "abc"})
    assert r.status_code == 400, r.text
    assert json.loads(r.text)["errors"][0]["msg"].startswith("unable to parse param 'endTs'")


def metric(spoor, kind, **params):
    query = {"endTs": now_ms() + 120_000, "lookback": 3_600_000, "step": 60_000, "ratePer": 600_000, "spanKind": "server"}
    query.update(params)
    r = spoor.get(f"/api/metrics/{kind}", query)
    assert r.status_code == 200, f"{r.url} -> {r.status_code}: {r.text[:300]}"
    return json.loads(r.text)


def values(family):
    assert isinstance(family["metrics"], list)
    assert len(family["metrics"]) == 1, family
    points = family["metrics"][0]["metricPoints"]
    for point in points:
        assert set(point) == {"gaugeValue", "timestamp"}, point
        assert point["timestamp"].endswith("Z")
    return [p["gaugeValue"]["doubleValue"] for p in points]


def test_metrics_from_stored_spans(spoor, services_run):
    backend = services_run["backend"]
    latencies = metric(spoor, "latencies", service=backend, quantile=0.95)
    assert latencies["name"] == "service_latencies" and latencies["type"] == "GAUGE"
    assert latencies["metrics"][0]["labels"] == [{"name": "service_name", "value": backend}]
    assert max(values(latencies)) == pytest.approx(20.0)  # every backend SERVER span lasts 20 ms

    calls = metric(spoor, "calls", service=backend)
    assert calls["name"] == "service_call_rate"
    assert max(values(calls)) == pytest.approx(TRACES / 600.0)  # per second over the 10-minute rate window

    errors = metric(spoor, "errors", service=backend)
    assert errors["name"] == "service_error_rate"
    assert max(values(errors)) == pytest.approx(ERRORS / TRACES)

    grouped = metric(spoor, "calls", service=backend, groupByOperation="true")
    assert grouped["name"] == "service_operation_call_rate"
    assert grouped["metrics"][0]["labels"] == [
        {"name": "service_name", "value": backend},
        {"name": "operation", "value": "handle"},
    ]
    # CLIENT spans are another kind.
    client = metric(spoor, "calls", service=backend, spanKind="client", groupByOperation="true")
    assert [m["labels"][1]["value"] for m in client["metrics"]] == ["query db"]
    # A service with no spans has an empty (present) list.
    assert metric(spoor, "calls", service="no-such-service")["metrics"] == []


def test_metrics_parameter_errors(spoor):
    r = spoor.get("/api/metrics/calls", {})
    assert r.status_code == 400
    assert "please provide at least one service name" in r.text
    r = spoor.get("/api/metrics/latencies", {"service": "x"})
    assert r.status_code == 400
    assert "unable to parse param 'quantile'" in r.text
    r = spoor.get("/api/metrics/calls", {"service": "x", "spanKind": "sideways"})
    assert r.status_code == 400
    assert "unsupported span kind: 'sideways'" in r.text


def test_archive_copies_a_trace(spoor, services_run):
    trace_id = services_run["traces"][0]
    r = requests_post(spoor, f"/api/archive/{trace_id}")
    assert r.status_code == 200, r.text
    assert json.loads(r.text) == {"data": [], "total": 0, "limit": 0, "offset": 0, "errors": []}
    r = requests_post(spoor, "/api/archive/" + "ab" * 16)
    assert r.status_code == 404, r.text
    assert json.loads(r.text)["errors"][0]["msg"] == "trace not found"
    assert requests_post(spoor, "/api/archive/not-hex").status_code == 400


def requests_post(spoor, path):
    import requests

    return requests.post(spoor.query_url + path, timeout=10)


def test_search_without_service_by_tag(spoor, services_run):
    run = services_run
    body = spoor.get_json(
        "/api/traces", {"tags": json.dumps({"error": "true"}), "lookback": "1h", "limit": 1500,
                        "start": (run["base_ns"] // 1000) - 60_000_000, "end": now_ms() * 1000}
    )
    found = {t["traceID"] for t in body["data"]}
    ours = {e2e.fmt_trace_id(t) for t in run["traces"]}
    assert found & ours == {e2e.fmt_trace_id(t) for t in run["traces"][:ERRORS]}

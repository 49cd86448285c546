"""Error envelopes of the v1 query API, and the admin port."""

import json
import uuid

import pytest


def _envelope(r, status):
    assert r.status_code == status, f"GET {r.url} -> {r.status_code}, want {status}: {r.text[:300]}"
    try:
        body = json.loads(r.text)
    except ValueError:
        raise AssertionError(f"GET {r.url}: error body is not JSON: {r.text[:300]!r}")
    assert body.get("data") is None, body
    errors = body.get("errors")
    assert isinstance(errors, list) and errors, f"errors must be a non-empty list: {body}"
    assert errors[0].get("code") == status, body
    assert isinstance(errors[0].get("msg"), str) and errors[0]["msg"], body
    return body


def test_unknown_trace_is_404(spoor):
    body = _envelope(spoor.get(f"/api/traces/{uuid.uuid4().hex}"), 404)
    assert body["errors"][0]["msg"] == "trace not found"
    _envelope(spoor.get("/api/traces/1"), 404)


@pytest.mark.parametrize(
    "path",
    ["/api/traces/not-hex", "/api/traces/" + "a" * 33],
)
def test_bad_trace_id_is_400(spoor, path):
    _envelope(spoor.get(path), 400)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"operation": "x"},
        {"service": "s", "start": "abc"},
        {"service": "s", "end": "1.5x"},
        {"service": "s", "limit": "abc"},
        {"service": "s", "minDuration": "abc"},
        {"service": "s", "maxDuration": "10"},
        {"service": "s", "minDuration": "2s", "maxDuration": "1s"},
        {"service": "s", "tags": "not json"},
        {"service": "s", "tags": '{"k": 1}'},
        {"service": "s", "tag": "no-colon"},
        {"traceID": "xyz"},
    ],
    ids=lambda p: "&".join(f"{k}={v}" for k, v in p.items()) or "no-service",
)
def test_bad_search_params_are_400(spoor, params):
    _envelope(spoor.get("/api/traces", params), 400)


def test_operations_requires_service(spoor):
    _envelope(spoor.get("/api/operations"), 400)


def test_unknown_service_search_is_empty(spoor):
    body = spoor.get_json("/api/traces", {"service": f"never-{uuid.uuid4().hex}"})
    assert body["data"] == []
    assert body["errors"] is None
    body = spoor.get_json(f"/api/services/never-{uuid.uuid4().hex}/operations")
    assert body["data"] == []


def test_services_envelope(spoor):
    body = spoor.get_json("/api/services")
    assert isinstance(body["data"], list)
    assert body["total"] == len(body["data"])
    assert body["limit"] == 0 and body["offset"] == 0
    assert body["errors"] is None


def test_unknown_api_path_is_404(spoor):
    r = spoor.get("/api/no-such-endpoint")
    assert r.status_code == 404


def test_admin_health_and_metrics(spoor):
    import requests

    r = requests.get(spoor.admin_url + "/", timeout=5)
    assert r.status_code == 200
    r = requests.get(spoor.admin_url + "/metrics", timeout=5)
    assert r.status_code == 200
    assert r.headers.get("Content-Type", "").startswith("text/plain"), r.headers

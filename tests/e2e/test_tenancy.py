"""Multi-tenancy: two tenants with the same service name over OTLP/HTTP and OTLP/gRPC see only their own traces;
a missing or unknown tenant is rejected on ingest and on query."""

import uuid

import pytest
import requests

import e2e_support as e2e
from e2e_support import shape

N_SPANS = len(shape.SPANS)


@pytest.fixture(scope="module")
def tenant_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tenancy")
    server = e2e.SpoorServer(
        tmp / "data", tmp / "spoor.log",
        extra_args=["--multi-tenancy.enabled", "--multi-tenancy.tenants", "acme,globex"],
    ).start()
    yield server
    rc = server.stop()
    assert rc == 0, f"exit code after SIGTERM: {rc}\n{server.log_tail()}"


def _get(server, path, tenant=None, params=None):
    headers = {"x-tenant": tenant} if tenant else {}
    return requests.get(server.query_url + path, params=params, headers=headers, timeout=10)


def _send(kind, server, service, tenant, expect_ok=True):
    return e2e.run_client(
        kind, server, service, traces=2, extra_env={"OTEL_EXPORTER_OTLP_HEADERS": f"x-tenant={tenant}"} if tenant else {},
        expect_ok=expect_ok)


def test_same_service_in_two_tenants_stays_apart(tenant_server):
    service = f"e2e-tenant-{uuid.uuid4().hex[:8]}"
    runs = {}
    for tenant, kind in (("acme", "otlp-http"), ("globex", "otlp-grpc"), ("acme", "otlp-grpc"), ("globex", "otlp-http")):
        runs.setdefault(tenant, []).append(_send(kind, tenant_server, service, tenant))
    for tenant, tenant_runs in runs.items():
        other = "globex" if tenant == "acme" else "acme"
        mine = {e2e.fmt_trace_id(t["trace_id"]) for run in tenant_runs for t in run["traces"]}
        theirs = {e2e.fmt_trace_id(t["trace_id"]) for run in runs[other] for t in run["traces"]}
        for trace_id in mine:
            r = _get(tenant_server, f"/api/traces/{trace_id}", tenant)
            assert r.status_code == 200, r.text[:300]
            assert len(r.json()["data"][0]["spans"]) == N_SPANS
            assert _get(tenant_server, f"/api/traces/{trace_id}", other).status_code == 404
        body = _get(tenant_server, "/api/traces", tenant, {"service": service, "limit": 100}).json()
        found = {t["traceID"] for t in body["data"]}
        assert found == mine, f"{tenant} search found {sorted(found)}, expected {sorted(mine)}"
        assert not (found & theirs)
        services = _get(tenant_server, "/api/services", tenant).json()["data"]
        assert service in services


def test_missing_and_unknown_tenants_are_rejected_on_ingest(tenant_server):
    service = f"e2e-tenant-reject-{uuid.uuid4().hex[:8]}"
    base = f"http://127.0.0.1:{tenant_server.ports['otlp_http']}/v1/traces"
    headers = {"Content-Type": "application/json"}
    body = b'{"resourceSpans":[]}'
    r = requests.post(base, data=body, headers=headers, timeout=10)
    assert r.status_code == 401 and "missing tenant header" in r.text
    r = requests.post(base, data=body, headers={**headers, "x-tenant": "initech"}, timeout=10)
    assert r.status_code == 403 and "unknown tenant" in r.text
    thrift = f"http://127.0.0.1:{tenant_server.ports['thrift_http']}/api/traces"
    r = requests.post(thrift, data=b"\x00", headers={"Content-Type": "application/x-thrift"}, timeout=10)
    assert r.status_code == 401
    # Real gRPC client without and with a wrong tenant: the export fails, nothing is stored.
    for tenant in (None, "initech"):
        out = _send("otlp-grpc", tenant_server, service, tenant, expect_ok=False)
        assert out is not None and not out["ok"], f"export with tenant {tenant!r} should fail: {out}"
    assert service not in _get(tenant_server, "/api/services", "acme").json()["data"]


def test_missing_and_unknown_tenants_are_rejected_on_query(tenant_server):
    r = _get(tenant_server, "/api/services")
    assert r.status_code == 401
    assert r.json()["errors"][0] == {"code": 401, "msg": "missing tenant header"}
    r = _get(tenant_server, "/api/traces", "initech", {"service": "x"})
    assert r.status_code == 403
    assert r.json()["errors"][0]["msg"] == "unknown tenant"

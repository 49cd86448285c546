"""Overload is answered, never dropped after an acknowledgement: with a tiny queue, concurrent senders get 503 with
Retry-After, and every acknowledged trace is stored whole."""

import concurrent.futures
import json
import time
import uuid

import pytest
import requests

import e2e_support as e2e

SPANS_PER_REQUEST = 50


def _request_body(service, trace_hex):
    spans = []
    base = (time.time_ns() // 1000 - 10_000_000) * 1000
    for i in range(SPANS_PER_REQUEST):
        spans.append({
            "traceId": trace_hex,
            "spanId": f"{i + 1:016x}",
            "name": f"op-{i % 5}",
            "kind": 2,
            "startTimeUnixNano": str(base + i * 1000),
            "endTimeUnixNano": str(base + i * 1000 + 500_000),
            "attributes": [{"key": "payload", "value": {"stringValue": "x" * 200}}],
        })
    return json.dumps({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{"scope": {}, "spans": spans}],
    }]}).encode()


@pytest.fixture(scope="module")
def small_queue_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("overload")
    server = e2e.SpoorServer(tmp / "data", tmp / "spoor.log", extra_args=["--collector.queue-size", "60"]).start()
    yield server
    rc = server.stop()
    assert rc == 0, f"exit code after SIGTERM: {rc}\n{server.log_tail()}"


def test_fast_senders_get_503_and_every_ack_is_stored(small_queue_server):
    server = small_queue_server
    service = f"e2e-overload-{uuid.uuid4().hex[:8]}"
    url = f"http://127.0.0.1:{server.ports['otlp_http']}/v1/traces"
    traces = [uuid.uuid4().hex for _ in range(400)]

    def send(trace_hex):
        r = requests.post(url, data=_request_body(service, trace_hex),
                          headers={"Content-Type": "application/json"}, timeout=30)
        return trace_hex, r.status_code, r.headers.get("Retry-After")

    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(send, traces))
    statuses = [status for _, status, _ in results]
    acked = [t for t, status, _ in results if status == 200]
    rejected = [(t, ra) for t, status, ra in results if status == 503]
    assert set(statuses) <= {200, 503}, f"unexpected statuses: {sorted(set(statuses))}"
    assert rejected, "a 60-span queue under 32 concurrent 50-span senders must refuse some requests"
    assert all(ra for _, ra in rejected), "every 503 carries Retry-After"
    assert acked, "some requests must be accepted"
    for trace_hex in acked:
        t = server.trace(e2e.fmt_trace_id(trace_hex))
        assert t is not None and len(t["spans"]) == SPANS_PER_REQUEST, f"acknowledged trace {trace_hex} incomplete"
    for trace_hex, _ in rejected:
        assert server.trace(e2e.fmt_trace_id(trace_hex)) is None, f"refused trace {trace_hex} was stored anyway"
    metrics = requests.get(server.admin_url + "/metrics", timeout=10).text
    assert 'spoor_collector_requests_rejected_total{transport="otlp_http",code="503"}' in metrics
    # Memory stayed bounded: the queue refuses work instead of buffering it.
    with open(f"/proc/{server.proc.pid}/status") as status:
        peak_kib = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    assert peak_kib < 1024 * 1024, f"peak RSS {peak_kib} KiB under overload"

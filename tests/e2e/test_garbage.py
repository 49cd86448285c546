"""Garbage on every port: the server answers bad input with clear errors (or drops and counts UDP datagrams),
stays up, and keeps ingesting valid data."""

import os
import random
import socket
import uuid

import pytest
import requests

import e2e_support as e2e
from e2e_support import shape

N_SPANS = len(shape.SPANS)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("garbage")
    s = e2e.SpoorServer(tmp / "data", tmp / "spoor.log").start()
    yield s
    rc = s.stop()
    assert rc == 0, f"exit code after SIGTERM: {rc}\n{s.log_tail()}"


def _payloads(seed):
    rng = random.Random(seed)
    out = [b"", b"\x00", b"\xff" * 64, b"\x82\x81\x00\x09emitBatch\x1c\x19\xff\xff\xff\xff\x0f", b"{", b"[]", b"null"]
    # Thrift list/string headers claiming gigantic sizes.
    out.append(b"\x80\x01\x00\x04\x00\x00\x00\x09emitBatch\x00\x00\x00\x00\x0c\x00\x01\x0f\x00\x02\x0c\x7f\xff\xff\xff")
    out += [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 2000))) for _ in range(40)]
    return out


def test_udp_garbage_is_dropped_and_counted(server):
    payloads = _payloads(1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for port in (server.ports["compact"], server.ports["binary"]):
            for p in payloads:
                sock.sendto(p or b"\x00", ("127.0.0.1", port))
    metrics = ""
    for _ in range(40):
        metrics = requests.get(server.admin_url + "/metrics", timeout=10).text
        if 'reason="decode_error"' in metrics:
            break
    assert 'spoor_collector_spans_dropped_total{transport="udp_compact",reason="decode_error"}' in metrics
    assert 'spoor_collector_spans_dropped_total{transport="udp_binary",reason="decode_error"}' in metrics


def test_http_garbage_gets_400_with_a_message(server):
    thrift = f"http://127.0.0.1:{server.ports['thrift_http']}/api/traces"
    otlp = f"http://127.0.0.1:{server.ports['otlp_http']}/v1/traces"
    for p in _payloads(2)[1:]:
        r = requests.post(thrift, data=p, headers={"Content-Type": "application/x-thrift"}, timeout=10)
        assert r.status_code == 400 and r.text.startswith("Unable to process request body"), (r.status_code, r.text[:200])
        r = requests.post(otlp, data=p, headers={"Content-Type": "application/json"}, timeout=10)
        assert r.status_code == 400, (p[:40], r.status_code, r.text[:200])
        assert "message" in r.json()
    r = requests.post(otlp, data=b"\x1f\x8b garbage", headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}, timeout=10)
    assert r.status_code == 400
    r = requests.post(otlp, data=b"{}", headers={"Content-Type": "text/plain"}, timeout=10)
    assert r.status_code == 415
    r = requests.post(thrift, data=b"x", headers={"Content-Type": "text/plain"}, timeout=10)
    assert r.status_code == 400 and "Unsupported content type" in r.text


def test_oversized_bodies_get_413(server):
    otlp = f"http://127.0.0.1:{server.ports['otlp_http']}/v1/traces"
    r = requests.post(otlp, data=b"\x00" * (17 << 20), headers={"Content-Type": "application/x-protobuf"}, timeout=30)
    assert r.status_code == 413


def test_grpc_and_query_garbage(server):
    # Raw bytes at the gRPC port: not HTTP/2, the connection is closed; the server lives on.
    with socket.create_connection(("127.0.0.1", server.ports["otlp_grpc"]), timeout=5) as sock:
        sock.sendall(os.urandom(4096))
        try:
            sock.recv(100)
        except OSError:
            pass
    for params in ({"service": "x", "start": "abc"}, {"service": "x", "minDuration": "5parsecs"}, {"service": "x", "tags": "{"},
                   {"service": "x", "limit": "many"}, {"traceID": "zz"}):
        r = server.get("/api/traces", params)
        assert r.status_code == 400 and r.json()["errors"][0]["code"] == 400
    assert server.get("/api/traces/" + "f" * 33).status_code == 400
    assert server.get("/api/no-such-endpoint").status_code == 404


def test_valid_data_still_flows_after_garbage(server):
    for kind in ("jaeger-udp", "otlp-http", "otlp-grpc"):
        run = e2e.run_client(kind, server, f"e2e-after-garbage-{uuid.uuid4().hex[:8]}", traces=1)
        for t in run["traces"]:
            server.wait_trace(e2e.fmt_trace_id(t["trace_id"]), N_SPANS)
    assert requests.get(server.admin_url + "/", timeout=5).status_code == 200

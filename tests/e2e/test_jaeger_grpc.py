"""Jaeger api_v2 gRPC collector (14250): the OTel Python proto-gRPC exporter's traces come back whole."""

import json
import os
import re
import subprocess
import uuid

import grpc
import pytest

import e2e_support as e2e

LEGACY_GRPC_PYTHON = e2e._resolve(os.environ.get("SPOOR_E2E_LEGACY_GRPC_PYTHON", ".venv-e2e-legacy-grpc/bin/python"))
POST_SPANS = "/jaeger.api_v2.CollectorService/PostSpans"


def run_proto_client(server, service, traces=2, timeout=90):
    assert LEGACY_GRPC_PYTHON.exists(), f"legacy-grpc virtualenv python missing: {LEGACY_GRPC_PYTHON} (run scripts/test.sh)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    argv = [str(LEGACY_GRPC_PYTHON), str(e2e.CLIENTS / "jaeger_proto_grpc_client.py"), "--mode", "grpc"]
    argv += ["--endpoint", f"127.0.0.1:{server.ports['jaeger_grpc']}", "--service", service, "--traces", str(traces)]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=e2e.CLIENTS, env=env)
    out = next((json.loads(line) for line in reversed(p.stdout.splitlines()) if line.startswith("{")), None)
    assert p.returncode == 0 and out and out["ok"], (
        f"proto-gRPC client failed (rc={p.returncode}, results={out and out['export_results']})\n"
        f"stderr:\n{p.stderr[-3000:]}\nserver log:\n{server.log_tail(30)}"
    )
    return out


@pytest.fixture(scope="module")
def grpc_run(spoor):
    service = f"e2e-jaeger-grpc-{uuid.uuid4().hex[:8]}"
    run = run_proto_client(spoor, service)
    for t in run["traces"]:
        spoor.wait_trace(t["trace_id"], len(e2e.shape.SPANS), timeout=20)
    return run


def _assert_no_problems(problems):
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


_TIME_PROBLEM = re.compile(r"(startTime|duration|log timestamp) (\d+), want (\d+)$")


def _within_a_microsecond(problems):
    """The 1.21.0 proto exporter builds Timestamp/Duration through float seconds (`nsec / 1e9`), so its times are
    up to ~200 ns early and the query API (microseconds, truncated as in Jaeger) may show 1 µs less."""
    kept = []
    for p in problems:
        m = _TIME_PROBLEM.search(p)
        if m and abs(int(m.group(2)) - int(m.group(3))) <= 1:
            continue
        kept.append(p)
    return kept


def test_proto_grpc_trace_structure(spoor, grpc_run):
    problems = []
    for t in grpc_run["traces"]:
        trace = spoor.trace(t["trace_id"])
        problems += [f"[{t['trace_id']}] {p}" for p in e2e.check_structure(trace, t, grpc_run["service"], "jaeger-grpc")]
    _assert_no_problems(_within_a_microsecond(problems))


def test_proto_grpc_typed_tags_kind_and_error(spoor, grpc_run):
    problems = []
    for t in grpc_run["traces"]:
        problems += [f"[{t['trace_id']}] {p}" for p in e2e.check_tags(spoor.trace(t["trace_id"]), t)]
    _assert_no_problems(problems)


def test_proto_grpc_events_as_logs(spoor, grpc_run):
    problems = []
    for t in grpc_run["traces"]:
        problems += [f"[{t['trace_id']}] {p}" for p in e2e.check_logs(spoor.trace(t["trace_id"]), t, "message")]
    _assert_no_problems(_within_a_microsecond(problems))


def test_proto_grpc_span_process_carries_resource_attributes(spoor, grpc_run):
    """The exporter sends no batch process: each span's own process (service + resource tags) is kept."""
    for t in grpc_run["traces"]:
        trace = spoor.trace(t["trace_id"])
        for pid, proc in trace["processes"].items():
            tags = e2e.tag_map(proc["tags"])
            assert tags.get("deployment.environment") == ("string", "e2e"), f"process {pid}: {proc}"


def test_proto_grpc_traces_found_by_service(spoor, grpc_run):
    found = spoor.search(service=grpc_run["service"], limit=20, lookback="1h")
    assert {tr["traceID"] for tr in found} == e2e.all_expected_ids(grpc_run)


def _post_raw(server, payload, metadata=()):
    with grpc.insecure_channel(f"127.0.0.1:{server.ports['jaeger_grpc']}") as channel:
        call = channel.unary_unary(POST_SPANS, request_serializer=None, response_deserializer=None)
        return call(payload, timeout=10, metadata=metadata)


def _field(number, payload):
    """A length-delimited protobuf field (payload < 128 bytes)."""
    assert len(payload) < 128
    return bytes([number << 3 | 2, len(payload)]) + payload


def test_bad_trace_id_length_is_invalid_argument(spoor):
    span = _field(1, b"\x01\x02\x03") + _field(2, b"\x00" * 7 + b"\x01") + _field(3, b"op")
    request = _field(1, _field(1, span))
    with pytest.raises(grpc.RpcError) as err:
        _post_raw(spoor, request)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value
    assert "trace_id" in err.value.details()


def test_garbage_message_is_refused_and_ingest_continues(spoor):
    with pytest.raises(grpc.RpcError) as err:
        _post_raw(spoor, b"\xff\xff\xff\xff\x0f garbage")
    assert err.value.code() != grpc.StatusCode.OK
    # An empty request is a valid empty batch.
    assert _post_raw(spoor, b"") == b""
    run = run_proto_client(spoor, f"e2e-jaeger-grpc-after-{uuid.uuid4().hex[:8]}", traces=2)
    for t in run["traces"]:
        spoor.wait_trace(t["trace_id"], len(e2e.shape.SPANS), timeout=20)

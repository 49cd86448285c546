"""Zipkin on 9411 (`--collector.zipkin.host-port`).

The real opentelemetry-exporter-zipkin-json client sends the standard trace shape as v2 JSON to /api/v2/spans
(and as v1 JSON to /api/v1/spans); the query API must return every trace whole. Hand-built protobuf, Thrift,
gzip and deflate bodies, UDP emitZipkinBatch datagrams (compact and binary), shared span ids, bad input and
tenancy are checked against the same server.

Zipkin carries every tag as a string and has no INTERNAL kind, so the tag checks differ from test_clients.py:
attributes come back as STRING tags, `compute totals` has no span.kind, and the error status is rebuilt from
the `error` tag (v2: error=true, otel.status_code, otel.status_description; v1: error=true, error.message).
"""

import gzip
import json
import os
import random
import socket
import struct
import subprocess
import time
import uuid
import zlib

import pytest
import requests

import e2e_support as e2e
from e2e_support import shape

N_SPANS = len(shape.SPANS)
LOCAL_IP, LOCAL_PORT = "127.0.0.1", 4242  # the client's local endpoint (zipkin_client.py)

_runs = {}


def _url(server, version="v2"):
    return f"http://127.0.0.1:{server.ports['zipkin']}/api/{version}/spans"


def _run_client(server, mode, service, traces=2, timeout=90):
    python = e2e.CURRENT_PYTHON
    assert python.exists(), f"current virtualenv python missing: {python} (run scripts/test.sh)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    argv = [str(python), str(e2e.CLIENTS / "zipkin_client.py"), "--mode", mode, "--endpoint", _url(server, mode)]
    argv += ["--service", service, "--traces", str(traces)]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=e2e.CLIENTS, env=env)
    out = next((json.loads(line) for line in reversed(p.stdout.splitlines()) if line.startswith("{")), None)
    assert p.returncode == 0 and out and out["ok"], (
        f"zipkin {mode} client failed (rc={p.returncode}, results={out and out['export_results']})\n"
        f"stderr:\n{p.stderr[-3000:]}\nserver log:\n{server.log_tail(30)}"
    )
    return out


@pytest.fixture(scope="module")
def zipkin_run(spoor):
    """zipkin_run(mode) -> the client's report once every trace it sent is queryable (once per mode)."""

    def get(mode):
        if mode not in _runs:
            try:
                run = _run_client(spoor, mode, f"e2e-zipkin-{mode}-{uuid.uuid4().hex[:8]}")
                for t in run["traces"]:
                    spoor.wait_trace(t["trace_id"], N_SPANS)
                _runs[mode] = run
            except AssertionError as err:
                _runs[mode] = err
            except Exception as err:  # subprocess timeout etc.
                _runs[mode] = AssertionError(f"{type(err).__name__}: {err}")
        run = _runs[mode]
        if isinstance(run, AssertionError):
            pytest.fail(f"ingest via zipkin {mode} failed: {run}", pytrace=False)
        return run

    return get


def _fail_on(problems):
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def _text(value):
    """How the exporter writes an attribute value as a Zipkin tag."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _span_checks(spoor, run, check):
    problems = []
    for t in run["traces"]:
        trace = spoor.trace(t["trace_id"])
        by_id = e2e.spans_by_id(trace)
        for desc in shape.SPANS:
            span = by_id.get(t["spans"][desc["key"]])
            if span is None:
                problems.append(f"[{t['trace_id']}] span {desc['name']!r} missing")
                continue
            process = (trace.get("processes") or {}).get(span.get("processID"), {})
            check(f"[{t['trace_id']}] span {desc['name']!r}", t, desc, span, process, problems)
    return problems


def _expected_attrs(t, desc):
    expected = {k: _text(v) for k, v in desc["attrs"].items()}
    if desc["key"] == "root":
        expected[shape.ORDER_ID_KEY] = t["order_id"]
    return expected


# --- v2 JSON, the real client ---------------------------------------------------------------


def test_v2_trace_structure(spoor, zipkin_run):
    run = zipkin_run("v2")
    problems = []
    for t in run["traces"]:
        problems += [f"[{t['trace_id']}] {p}" for p in e2e.check_structure(spoor.trace(t["trace_id"]), t, run["service"], "zipkin")]
    _fail_on(problems)


def test_v2_tags_kind_error_and_endpoint(spoor, zipkin_run):
    def check(w, t, desc, span, process, problems):
        expected = _expected_attrs(t, desc)
        expected["net.host.ip"] = LOCAL_IP
        expected["net.host.port"] = LOCAL_PORT
        expected["otel.scope.name"] = "spoor.e2e"
        if desc["kind"] != "INTERNAL":
            expected["span.kind"] = shape.KIND_TAG[desc["kind"]]
        if "error" in desc:
            expected.update({"error": True, "otel.status_code": "ERROR", "otel.status_description": desc["error"]})
        e2e.check_kvs(w, span["tags"], expected, problems)
        keys = [kv["key"] for kv in span["tags"]]
        if desc["kind"] == "INTERNAL" and "span.kind" in keys:
            problems.append(f"{w}: Zipkin has no INTERNAL kind, yet span.kind is {e2e.tag_map(span['tags'])['span.kind']}")
        if "error" not in desc and "error" in keys:
            problems.append(f"{w}: error tag on a span without error status")
        for key in ("otel.scope.name", "error"):
            if keys.count(key) > 1:
                problems.append(f"{w}: {key} appears {keys.count(key)} times")
        for key in ("service.name", "deployment.environment", "otel.library.name"):
            if key in keys:
                problems.append(f"{w}: {key} should not be a span tag")
        e2e.check_kvs(f"{w} process", process.get("tags", []), {"deployment.environment": "e2e", "telemetry.sdk.language": "python"}, problems)

    _fail_on(_span_checks(spoor, zipkin_run("v2"), check))


def test_v2_events_as_logs(spoor, zipkin_run):
    """Events travel as annotations `{"checkpoint": {...}}` and come back as typed log fields."""
    run = zipkin_run("v2")
    problems = []
    for t in run["traces"]:
        problems += [f"[{t['trace_id']}] {p}" for p in e2e.check_logs(spoor.trace(t["trace_id"]), t, "event")]
    _fail_on(problems)


def test_v2_search(spoor, zipkin_run):
    run = zipkin_run("v2")
    svc = run["service"]
    want = e2e.all_expected_ids(run)
    first = run["traces"][0]

    def ids(**params):
        return {t["traceID"] for t in spoor.search(service=svc, **params)}

    assert ids() == want
    for tr in spoor.search(service=svc):
        assert len(tr["spans"]) == N_SPANS, "search must return whole traces"
    for op in ("GET /checkout", "SELECT orders", "charge card", "compute totals"):
        assert ids(operation=op) == want, op
    assert ids(tag=f"{shape.ORDER_ID_KEY}:{first['order_id']}") == {e2e.fmt_trace_id(first["trace_id"])}
    assert ids(tag="db.rows:42") == want
    assert ids(tags=json.dumps({"error": "true"})) == want
    assert ids(tag="deployment.environment:e2e") == want, "process tags are searchable"
    assert ids(minDuration="100ms") == want
    assert ids(tag="db.rows:43") == set()


# --- v1 JSON, the real client (Jaeger's legacy converter) -----------------------------------


def test_v1_trace_structure(spoor, zipkin_run):
    run = zipkin_run("v1")
    problems = []
    for t in run["traces"]:
        problems += [f"[{t['trace_id']}] {p}" for p in e2e.check_structure(spoor.trace(t["trace_id"]), t, run["service"], "zipkin")]
    _fail_on(problems)


def test_v1_tags_and_error(spoor, zipkin_run):
    """v1 spans from this client have no core annotations (so no span.kind) and keep resource tags on the span."""

    def check(w, t, desc, span, process, problems):
        expected = _expected_attrs(t, desc)
        expected["deployment.environment"] = "e2e"
        if "error" in desc:
            expected.update({"error": True, "error.message": desc["error"], "otel.status_code": "ERROR"})
        e2e.check_kvs(w, span["tags"], expected, problems)
        if "error" not in desc and "error" in [kv["key"] for kv in span["tags"]]:
            problems.append(f"{w}: error tag on a span without error status")
        e2e.check_kvs(f"{w} process", process.get("tags", []), {"ip": "127.0.0.1"}, problems)  # IP adjuster

    _fail_on(_span_checks(spoor, zipkin_run("v1"), check))


def test_v1_events_as_logs(spoor, zipkin_run):
    run = zipkin_run("v1")
    problems = []
    for t in run["traces"]:
        problems += [f"[{t['trace_id']}] {p}" for p in e2e.check_logs(spoor.trace(t["trace_id"]), t, "event")]
    _fail_on(problems)


# --- hand-built bodies ----------------------------------------------------------------------


def _ids():
    return f"{random.getrandbits(63) | 1:016x}{random.getrandbits(63) | 1:016x}", f"{random.getrandbits(63) | 1:016x}"


def _now_us():
    return (int(time.time() * 1000) - 5000) * 1000


def _v2_span(trace_id, span_id, service, **extra):
    span = {"traceId": trace_id, "id": span_id, "name": "hand-built", "timestamp": _now_us(), "duration": 1500,
            "localEndpoint": {"serviceName": service}}
    span.update(extra)
    return span


def _post(server, body, content_type="application/json", version="v2", headers=None):
    h = {"Content-Type": content_type}
    h.update(headers or {})
    return requests.post(_url(server, version), data=body, headers=h, timeout=10)


def _varint(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


def _pb(field, wire_type, payload):
    tag = _varint(field << 3 | wire_type)
    return tag + (_varint(len(payload)) + payload if wire_type == 2 else payload)


def _proto_list_of_spans(trace_id, span_id, service, kind=2):
    span = _pb(1, 2, bytes.fromhex(trace_id)) + _pb(3, 2, bytes.fromhex(span_id)) + _pb(4, 0, _varint(kind))
    span += _pb(5, 2, b"proto op") + _pb(6, 1, struct.pack("<Q", _now_us())) + _pb(7, 0, _varint(2500))
    span += _pb(8, 2, _pb(1, 2, service.encode())) + _pb(11, 2, _pb(1, 2, b"encoding") + _pb(2, 2, b"proto"))
    return _pb(1, 2, span)


def _thrift_list_of_spans(trace_id, span_id, service):
    """A binary-protocol list<zipkincore.Span> with one client span (cs/cr annotations)."""

    def field(type_id, fid):
        return struct.pack(">bh", type_id, fid)

    def string(fid, text):
        data = text.encode()
        return field(11, fid) + struct.pack(">i", len(data)) + data

    def i64(fid, value):
        return field(10, fid) + struct.pack(">q", value)

    host = field(8, 1) + struct.pack(">i", 0x7F000001) + field(6, 2) + struct.pack(">h", 80) + string(3, service) + b"\x00"
    start = _now_us()

    def annotation(ts, value):
        return i64(1, ts) + string(2, value) + field(12, 3) + host + b"\x00"

    high, low = struct.unpack(">qq", bytes.fromhex(trace_id))
    span = i64(1, low) + string(3, "thrift op") + i64(4, struct.unpack(">q", bytes.fromhex(span_id))[0])
    span += field(15, 6) + struct.pack(">bi", 12, 2) + annotation(start, "cs") + annotation(start + 3000, "cr")
    span += i64(12, high) + b"\x00"
    return struct.pack(">bi", 12, 1) + span


def test_protobuf_gzip_deflate_and_thrift_bodies_are_stored(spoor):
    service = f"e2e-zipkin-bodies-{uuid.uuid4().hex[:8]}"
    sent = {}

    trace_id, span_id = _ids()
    r = _post(spoor, gzip.compress(json.dumps([_v2_span(trace_id, span_id, service)]).encode()), headers={"Content-Encoding": "gzip"})
    assert r.status_code == 202, (r.status_code, r.text)
    sent["gzip"] = trace_id

    trace_id, span_id = _ids()
    r = _post(spoor, zlib.compress(json.dumps([_v2_span(trace_id, span_id, service)]).encode()), headers={"Content-Encoding": "deflate"})
    assert r.status_code == 202, (r.status_code, r.text)
    sent["deflate"] = trace_id

    trace_id, span_id = _ids()
    r = _post(spoor, _proto_list_of_spans(trace_id, span_id, service), "application/x-protobuf", headers={"X-B3-Flags": "1"})
    assert r.status_code == 202, (r.status_code, r.text)
    sent["proto"] = trace_id

    trace_id, span_id = _ids()
    r = _post(spoor, _thrift_list_of_spans(trace_id, span_id, service), "application/x-thrift", version="v1")
    assert r.status_code == 202, (r.status_code, r.text)
    sent["thrift"] = trace_id

    traces = {name: spoor.wait_trace(tid, 1) for name, tid in sent.items()}
    for name, trace in traces.items():
        assert trace["processes"][trace["spans"][0]["processID"]]["serviceName"] == service, name
    proto = traces["proto"]["spans"][0]
    assert proto["operationName"] == "proto op" and proto["duration"] == 2500
    assert proto["flags"] == 2, "X-B3-Flags: 1 marks the span debug"
    assert e2e.tag_map(proto["tags"])["span.kind"] == ("string", "server")
    assert e2e.tag_map(proto["tags"])["encoding"] == ("string", "proto")
    thrift = traces["thrift"]["spans"][0]
    assert thrift["operationName"] == "thrift op" and thrift["duration"] == 3000
    assert e2e.tag_map(thrift["tags"])["span.kind"] == ("string", "client")


def _compact_emit_zipkin_batch(trace_id, span_id, service):
    """An Agent.emitZipkinBatch oneway message in the Thrift compact protocol, one client span (cs/cr)."""

    def varint(n):
        return _varint(n & 0xFFFFFFFFFFFFFFFF)

    def zigzag(n):
        return varint((n << 1) ^ (n >> 63))

    def string(text):
        data = text.encode()
        return varint(len(data)) + data

    high, low = struct.unpack(">qq", bytes.fromhex(trace_id))
    start = _now_us()
    host = b"\x15" + zigzag(0x7F000001) + b"\x28" + string(service) + b"\x00"  # 1: i32 ipv4, 3: string service_name

    def annotation(ts, value):
        return b"\x16" + zigzag(ts) + b"\x18" + string(value) + b"\x1c" + host + b"\x00"  # 1: i64, 2: string, 3: struct

    span = b"\x16" + zigzag(low) + b"\x28" + string("udp op") + b"\x16" + zigzag(struct.unpack(">q", bytes.fromhex(span_id))[0])
    span += b"\x29\x2c" + annotation(start, "cs") + annotation(start + 4000, "cr")  # 6: list<Annotation> of 2
    span += b"\x46" + zigzag(start) + b"\x16" + zigzag(4000) + b"\x16" + zigzag(high) + b"\x00"  # 10, 11, 12
    return b"\x82\x81\x00" + string("emitZipkinBatch") + b"\x19\x1c" + span + b"\x00"


def _binary_emit_zipkin_batch(trace_id, span_id, service):
    """The same call in the strict binary protocol: the args struct holds the v1 Thrift body's list."""
    name = b"emitZipkinBatch"
    header = b"\x80\x01\x00\x04" + struct.pack(">i", len(name)) + name + struct.pack(">i", 0)
    return header + b"\x0f\x00\x01" + _thrift_list_of_spans(trace_id, span_id, service) + b"\x00"


def test_udp_emit_zipkin_batch_is_stored(spoor):
    service = f"e2e-zipkin-udp-{uuid.uuid4().hex[:8]}"
    sent = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        trace_id, span_id = _ids()
        sock.sendto(_compact_emit_zipkin_batch(trace_id, span_id, service), ("127.0.0.1", spoor.ports["compact"]))
        sent["compact"] = (trace_id, "udp op", 4000)
        trace_id, span_id = _ids()
        sock.sendto(_binary_emit_zipkin_batch(trace_id, span_id, service), ("127.0.0.1", spoor.ports["binary"]))
        sent["binary"] = (trace_id, "thrift op", 3000)
    for protocol, (trace_id, name, duration) in sent.items():
        span = spoor.wait_trace(trace_id, 1)["spans"][0]
        assert (span["operationName"], span["duration"]) == (name, duration), protocol
        assert e2e.tag_map(span["tags"])["span.kind"] == ("string", "client"), protocol


def test_shared_client_and_server_span_ids_stay_two_spans(spoor):
    service = f"e2e-zipkin-shared-{uuid.uuid4().hex[:8]}"
    trace_id, span_id = _ids()
    client = _v2_span(trace_id, span_id, service, kind="CLIENT", name="rpc")
    server = _v2_span(trace_id, span_id, service + "-server", kind="SERVER", name="rpc", shared=True, duration=900)
    r = _post(spoor, json.dumps([client, server]))
    assert r.status_code == 202, (r.status_code, r.text)
    spoor.wait_trace(trace_id, 2)
    # As stored (raw=true) both spans keep the shared id.
    raw = spoor.get_json(f"/api/traces/{trace_id}", {"raw": "true"})["data"][0]
    assert [s["spanID"] for s in raw["spans"]] == [span_id, span_id]
    # Adjusted, the server span gets its own id and becomes the client span's child.
    trace = spoor.trace(trace_id)
    by_kind = {e2e.tag_map(s["tags"])["span.kind"][1]: s for s in trace["spans"]}
    assert by_kind["client"]["spanID"] == span_id
    assert by_kind["server"]["spanID"] != span_id
    assert {"refType": "CHILD_OF", "traceID": trace["traceID"], "spanID": span_id} in by_kind["server"]["references"]
    kinds = sorted(e2e.tag_map(s["tags"])["span.kind"][1] for s in trace["spans"])
    assert kinds == ["client", "server"]
    services = sorted(trace["processes"][s["processID"]]["serviceName"] for s in trace["spans"])
    assert services == [service, service + "-server"]


def test_bad_bodies_get_400_with_the_decoder_error(spoor):
    cases = [
        (b"{not json", "application/json", "v2", "invalid Zipkin JSON body"),
        (b'[{"id":"1"}]', "application/json", "v2", "[0].traceId: required field is missing"),
        (b'[{"traceId":"1","id":"2","localEndpoint":{"ipv4":"999.1.1.1"}}]', "application/json", "v2", "[0].localEndpoint.ipv4"),
        (b"\x0a\x05\x01", "application/x-protobuf", "v2", "invalid Zipkin protobuf body"),
        (b"\x0c\x00\x00\x00\x01\x0a", "application/x-thrift", "v1", "invalid Zipkin Thrift body"),
        (b'{"traceId":"1"}', "application/json", "v1", "expected an array of spans"),
        (b"\x1f\x8b not really gzip", "application/json", "v2", "invalid Zipkin JSON body"),
    ]
    for body, content_type, version, message in cases:
        r = _post(spoor, body, content_type, version)
        assert r.status_code == 400 and message in r.text, (body[:40], r.status_code, r.text[:300])
    assert requests.post(f"http://127.0.0.1:{spoor.ports['zipkin']}/api/v3/spans", data=b"[]", timeout=10).status_code == 404
    assert _post(spoor, b"[]").status_code == 202, "an empty list is accepted"
    # The server is still up and ingesting.
    trace_id, span_id = _ids()
    assert _post(spoor, json.dumps([_v2_span(trace_id, span_id, "e2e-zipkin-after-garbage")])).status_code == 202
    spoor.wait_trace(trace_id, 1)


@pytest.fixture(scope="module")
def tenant_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("zipkin-tenancy")
    server = e2e.SpoorServer(tmp / "data", tmp / "spoor.log", extra_args=["--multi-tenancy.enabled", "--multi-tenancy.tenants", "acme"]).start()
    yield server
    rc = server.stop()
    assert rc == 0, f"exit code after SIGTERM: {rc}\n{server.log_tail()}"


def test_tenancy_applies_to_zipkin(tenant_server):
    trace_id, span_id = _ids()
    body = json.dumps([_v2_span(trace_id, span_id, "e2e-zipkin-tenant")])
    r = _post(tenant_server, body)
    assert r.status_code == 401 and "missing tenant header" in r.text
    r = _post(tenant_server, body, headers={"x-tenant": "initech"})
    assert r.status_code == 403 and "unknown tenant" in r.text
    assert _post(tenant_server, body, headers={"x-tenant": "acme"}).status_code == 202
    deadline = time.monotonic() + 20
    while True:
        r = requests.get(f"{tenant_server.query_url}/api/traces/{trace_id}", headers={"x-tenant": "acme"}, timeout=10)
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    assert r.status_code == 200, (r.status_code, r.text[:300])

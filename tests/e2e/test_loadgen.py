"""`spoor loadgen` against a running server, on every protocol, generated and from re-stamped templates: every
span the load generator counts is stored, and a template sent many times becomes that many distinct traces."""

import re
import socket
import subprocess
import time

import pytest

import e2e_support as e2e

PROTOCOL_PORT = {"otlp-grpc": "otlp_grpc", "otlp-http": "otlp_http", "thrift-http": "thrift_http", "udp-compact": "compact"}
BATCH = 40


@pytest.fixture
def server(tmp_path):
    s = e2e.SpoorServer(tmp_path / "data", tmp_path / "spoor.log").start()
    yield s
    rc = s.stop()
    assert rc == 0, f"exit code after SIGTERM: {rc}\n{s.log_tail()}"


def _stored(server):
    text = e2e.requests.get(server.admin_url + "/metrics", timeout=5).text
    return sum(float(m) for m in re.findall(r"^spoor_storage_spans_stored_total(?:\{[^}]*\})? (\S+)$", text, re.M))


def _run_loadgen(protocol, port, seconds, services, templates, counted="accepted|sent", extra=()):
    """Runs `spoor loadgen` at 600 spans/s in BATCH-span requests, checks that it exited cleanly with nothing rejected
    and no errors, and returns the spans it counted (`counted`: the verbs its summary may use) with its output."""
    p = subprocess.run(
        [str(e2e.SPOOR_BIN), "loadgen", "--protocol", protocol, "--target", f"127.0.0.1:{port}", "--seconds", str(seconds),
         "--rate", "600", "--batch", str(BATCH), "--concurrency", "2", "--services", str(services),
         "--templates", str(templates), *extra],
        capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    m = re.search(rf"loadgen: (\d+) spans (?:{counted}) in .* rejected spans (\d+), errors (\d+)", p.stdout)
    assert m, p.stdout
    sent, rejected, errors = map(int, m.groups())
    assert rejected == 0 and errors == 0, p.stdout
    return sent, p.stdout


SDK_RESOURCE_KEYS = {"host.name", "telemetry.sdk.language", "telemetry.sdk.name", "telemetry.sdk.version",
                     "service.instance.id", "process.pid", "os.type", "host.arch"}


@pytest.mark.parametrize("count", [0, 8])
@pytest.mark.parametrize("templates", [0, 1], ids=["generated", "templates"])
@pytest.mark.parametrize("protocol", ["otlp-grpc", "thrift-http"])
def test_loadgen_resource_attributes_reach_the_stored_process(server, protocol, templates, count):
    """`--resource-attributes 8` gives every process the eight SDK-like tags besides the service name, whether the
    requests are generated or re-stamped templates; 0 gives none of them."""
    port = server.ports[PROTOCOL_PORT[protocol]]
    sent, output = _run_loadgen(
        protocol, port, seconds=1, services=1, templates=templates, extra=("--resource-attributes", str(count)))
    deadline = time.monotonic() + 20
    while _stored(server) < sent and time.monotonic() < deadline:
        time.sleep(0.2)
    traces = server.search(service="loadgen-service-0", limit=50, lookback="1h")
    assert traces, output
    for t in traces:
        for p in t["processes"].values():
            keys = {tag["key"] for tag in p["tags"]}
            assert (keys & SDK_RESOURCE_KEYS) == (SDK_RESOURCE_KEYS if count == 8 else set()), p


@pytest.mark.parametrize("templates", [0, 1], ids=["generated", "templates"])
@pytest.mark.parametrize("protocol", list(PROTOCOL_PORT))
def test_loadgen_spans_are_stored_as_distinct_traces(server, protocol, templates):
    port = server.ports[PROTOCOL_PORT[protocol]]
    sent, output = _run_loadgen(protocol, port, seconds=2, services=1, templates=templates)
    assert sent >= 10 * BATCH, output

    deadline = time.monotonic() + 20
    while _stored(server) < sent and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _stored(server) == sent, f"stored {_stored(server)} of {sent}\n{server.log_tail(20)}"

    traces = server.search(service="loadgen-service-0", limit=5000, lookback="1h")
    ids = [t["traceID"] for t in traces]
    assert len(ids) == len(set(ids))
    # Every stored span is in a found trace, once: a template re-sent with the same ids would fold its copies into
    # the first send's traces instead.
    assert sum(len(t["spans"]) for t in traces) == sent
    for t in traces:
        span_ids = [s["spanID"] for s in t["spans"]]
        assert len(span_ids) == len(set(span_ids)), f"repeated span ids in {t['traceID']}"
    # At least one trace per request sent, however the requests were made.
    assert len(traces) >= sent // BATCH


@pytest.mark.parametrize("protocol", ["otlp-grpc", "thrift-http"])
def test_bench_ingest_reports_every_stage_and_stores_what_it_timed(tmp_path, protocol):
    data = tmp_path / "data"
    p = subprocess.run(
        [str(e2e.SPOOR_BIN), "bench-ingest", "--protocol", protocol, "--data-dir", str(data), "--requests", "6",
         "--warmup", "2", "--batch", "50", "--templates", "2", "--services", "1"],
        capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert re.search(r"bench-ingest: .*, 300 spans in 6 requests of 50", p.stdout), p.stdout
    for stage in ["decode", "prepare", "write", "index flush", "all stages", "process"]:
        assert re.search(rf"^{stage} +\d+\.\d+", p.stdout, re.M), p.stdout
    # The store it wrote opens in the server: 8 requests of 50 spans (warm-up included), in distinct traces.
    s = e2e.SpoorServer(data, tmp_path / "spoor.log").start()
    try:
        services = e2e.requests.get(s.query_url + "/api/services", timeout=5).json()["data"]
        assert services == ["loadgen-service-0"]
        found = e2e.requests.get(s.query_url + "/api/traces", params={"service": "loadgen-service-0", "limit": 1000,
                                                                    "lookback": "2d"}, timeout=10).json()["data"]
        assert sum(len(t["spans"]) for t in found) == 400
        assert len({t["traceID"] for t in found}) == len(found)
    finally:
        assert s.stop() == 0


@pytest.mark.parametrize("protocol", ["otlp-grpc", "thrift-http"])
def test_bench_ingest_floor_stores_chunk_records_and_reports_its_stages(tmp_path, protocol):
    p = subprocess.run(
        [str(e2e.SPOOR_BIN), "bench-ingest", "--floor", "--protocol", protocol, "--data-dir", str(tmp_path / "data"),
         "--requests", "6", "--warmup", "2", "--batch", "50", "--templates", "2", "--services", "1"],
        capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    m = re.search(r"bench-ingest --floor: .*, 300 spans in 6 requests of 50, (\d+) chunk records, nothing indexed", p.stdout)
    assert m, p.stdout
    # One record per trace and request: more than one per request, fewer than one per span.
    assert 6 < int(m.group(1)) < 300, p.stdout
    for stage in ["decode", "store chunks \\(WAL\\)", "RocksDB background", "process"]:
        assert re.search(rf"^{stage} +-?\d+\.\d+", p.stdout, re.M), p.stdout
    # The records went through the WAL (RocksDB's numbered *.log files; its text LOG is not one): 400 spans written,
    # warm-up included, of about a hundred bytes each before compression.
    wal = sum(f.stat().st_size for f in (tmp_path / "data").glob("*.log"))
    assert wal > 400 * 20, f"WAL bytes {wal}"


def test_bench_serve_floor_stores_every_accepted_span_over_each_listener(tmp_path):
    ports = e2e.pick_free_ports(("otlp_grpc", "otlp_http", "thrift_http"))
    data = tmp_path / "data"
    argv = [str(e2e.SPOOR_BIN), "bench-serve-floor", "--data-dir", str(data)]
    for name in ports:
        argv += [e2e.PORT_FLAGS[name], f":{ports[name]}"]
    server = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        for port in ports.values():  # the listeners start concurrently: wait for each
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert server.poll() is None and time.monotonic() < deadline, "bench-serve-floor did not start"
                    time.sleep(0.1)
        accepted = 0
        for protocol, port in [("otlp-grpc", "otlp_grpc"), ("otlp-http", "otlp_http"), ("thrift-http", "thrift_http")]:
            sent, output = _run_loadgen(protocol, ports[port], seconds=1, services=2, templates=2, counted="accepted")
            assert sent >= 5 * BATCH, output
            accepted += sent
        # A malformed request is refused as by `spoor serve`, and stores nothing.
        r = e2e.requests.post(f"http://127.0.0.1:{ports['otlp_http']}/v1/traces", data=b"\xff\xff\xff",
                              headers={"Content-Type": "application/x-protobuf"}, timeout=5)
        assert r.status_code == 400, r.text
    finally:
        server.terminate()
        try:
            out, _ = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            out, _ = server.communicate()
    assert server.returncode == 0, out
    m = re.search(r"^bench-serve-floor: (\d+) spans stored in (\d+) chunk records$", out, re.M)
    assert m, out
    stored, chunks = map(int, m.groups())
    # Every acknowledged span is stored; a request's spans of one trace share a chunk record.
    assert stored == accepted, out
    assert accepted // BATCH <= chunks < stored, out
    wal = sum(f.stat().st_size for f in data.glob("*.log"))
    assert wal > stored * 20, f"WAL bytes {wal}"

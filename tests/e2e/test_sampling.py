"""Remote sampling: strategies file, the agent's sampling port (5778), /api/sampling on 14268, reload, and the
real jaeger-client 4.8.0 polling its strategy and reporting UDP spans that come back whole."""

import json
import os
import subprocess
import time
import uuid

import pytest
import requests

import e2e_support as e2e

JAEGER_CLIENT_PYTHON = e2e._resolve(
    os.environ.get("SPOOR_E2E_JAEGER_CLIENT_PYTHON", ".venv-e2e-jaeger-client/bin/python")
)
RELOAD_INTERVAL = "1s"
SUFFIX = uuid.uuid4().hex[:8]
PROB = f"e2e-jc-prob-{SUFFIX}"
RATE = f"e2e-jc-rate-{SUFFIX}"
OPS = f"e2e-jc-ops-{SUFFIX}"


def strategies(extra_services=()):
    return {
        # A default unlike Jaeger's built-in 0.001, so serving it is visible.
        "default_strategy": {"type": "probabilistic", "param": 0.0001},
        "service_strategies": [
            {"service": PROB, "type": "probabilistic", "param": 1.0},
            {"service": RATE, "type": "ratelimiting", "param": 250},
            {
                "service": OPS,
                "type": "probabilistic",
                "param": 0.0,
                "operation_strategies": [
                    {"operation": "GET /order", "type": "probabilistic", "param": 1.0},
                    {"operation": "skipped", "type": "ratelimiting", "param": 3},
                ],
            },
            *extra_services,
        ],
    }


def write_atomically(path, text):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@pytest.fixture(scope="module")
def sampling_server(tmp_path_factory):
    base = tmp_path_factory.mktemp("spoor-sampling")
    path = base / "strategies.json"
    write_atomically(path, json.dumps(strategies()))
    server = e2e.SpoorServer(
        base / "data",
        base / "spoor.log",
        extra_args=["--sampling.strategies-file", str(path), "--sampling.strategies-reload-interval", RELOAD_INTERVAL],
    )
    server.strategies_path = path
    server.start()
    yield server
    rc = server.stop()
    assert rc == 0, f"spoor exit code after SIGTERM: {rc}, want 0\n{server.log_tail()}"


def sampling_get(server, path, params=None, port="sampling"):
    return requests.get(f"http://127.0.0.1:{server.ports[port]}{path}", params=params, timeout=10)


# --- endpoint shapes --------------------------------------------------------------------------

PROB_JSON = '{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":1}}'
RATE_JSON = '{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":250}}'
RATE_LEGACY_JSON = '{"strategyType":1,"rateLimitingSampling":{"maxTracesPerSecond":250}}'
DEFAULT_JSON = '{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.0001}}'
DEFAULT_LEGACY_JSON = '{"strategyType":0,"probabilisticSampling":{"samplingRate":0.0001}}'
OPS_JSON = (
    '{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0},"operationSampling":{'
    '"defaultSamplingProbability":0,"defaultLowerBoundTracesPerSecond":0,"perOperationStrategies":['
    '{"operation":"GET /order","probabilisticSampling":{"samplingRate":1}}],"defaultUpperBoundTracesPerSecond":0}}'
)


@pytest.mark.parametrize(
    "path,service,port,body",
    [
        ("/sampling", PROB, "sampling", PROB_JSON),
        ("/sampling", RATE, "sampling", RATE_JSON),
        ("/sampling", OPS, "sampling", OPS_JSON),
        ("/sampling", "no-such-service", "sampling", DEFAULT_JSON),
        ("/", RATE, "sampling", RATE_LEGACY_JSON),
        ("/", "no-such-service", "sampling", DEFAULT_LEGACY_JSON),
        ("/api/sampling", RATE, "thrift_http", RATE_JSON),
        ("/api/sampling", "no-such-service", "thrift_http", DEFAULT_JSON),
    ],
)
def test_strategy_json_shapes(sampling_server, path, service, port, body):
    r = sampling_get(sampling_server, path, {"service": service}, port=port)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.text == body


@pytest.mark.parametrize("path,port", [("/sampling", "sampling"), ("/", "sampling"), ("/api/sampling", "thrift_http")])
@pytest.mark.parametrize("params", [None, [("service", "a"), ("service", "b")], [("services", "a")]])
def test_service_parameter_must_be_given_once(sampling_server, path, port, params):
    r = sampling_get(sampling_server, path, params, port=port)
    assert r.status_code == 400
    assert r.text == "'service' parameter must be provided once\n"


def test_no_strategies_file_serves_jaeger_default(spoor):
    r = sampling_get(spoor, "/sampling", {"service": "anything"})
    assert r.status_code == 200
    assert r.text == '{"strategyType":"PROBABILISTIC","probabilisticSampling":{"samplingRate":0.001}}'


# --- jaeger-client 4.8.0 ----------------------------------------------------------------------


def run_jaeger_client(server, service, traces=2, timeout=90):
    assert JAEGER_CLIENT_PYTHON.exists(), (
        f"jaeger-client virtualenv python missing: {JAEGER_CLIENT_PYTHON} (run scripts/test.sh)"
    )
    argv = [str(JAEGER_CLIENT_PYTHON), str(e2e.CLIENTS / "jaeger_client_udp.py")]
    argv += ["--agent-port", str(server.ports["compact"]), "--sampling-port", str(server.ports["sampling"])]
    argv += ["--service", service, "--traces", str(traces)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAEGER_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=e2e.CLIENTS, env=env)
    out = next((json.loads(line) for line in reversed(p.stdout.splitlines()) if line.startswith("{")), None)
    assert p.returncode == 0 and out and out["ok"], (
        f"jaeger-client failed (rc={p.returncode}, report={out})\nstderr:\n{p.stderr[-3000:]}\n"
        f"server log:\n{server.log_tail(30)}"
    )
    return out


def check_jaeger_client_trace(server, run, sent):
    """The trace as the query API shows it, against what the client reported sending."""
    problems = []
    trace = server.wait_trace(sent["trace_id"], len(sent["spans"]), timeout=20)
    if trace["traceID"] != sent["trace_id"]:
        problems.append(f"traceID {trace['traceID']!r}, want {sent['trace_id']!r}")
    by_id = e2e.spans_by_id(trace)
    if set(by_id) != {s["span_id"] for s in sent["spans"]}:
        problems.append(f"span ids {sorted(by_id)}, want {sorted(s['span_id'] for s in sent['spans'])}")
    for want in sent["spans"]:
        got = by_id.get(want["span_id"])
        if got is None:
            continue
        w = f"span {want['operation']!r}"
        for field, value in (("operationName", want["operation"]), ("startTime", want["start_us"]),
                             ("duration", want["duration_us"]), ("flags", 1)):
            if got.get(field) != value:
                problems.append(f"{w}: {field} {got.get(field)!r}, want {value!r}")
        refs = got.get("references") or []
        if want["parent_id"] is None:
            if refs:
                problems.append(f"{w}: root has references {refs}")
        elif refs != [{"refType": "CHILD_OF", "traceID": sent["trace_id"], "spanID": want["parent_id"]}]:
            problems.append(f"{w}: references {refs}, want CHILD_OF {want['parent_id']}")
        e2e.check_kvs(w, got.get("tags", []), want["tags"], problems)
        logs = got.get("logs") or []
        if len(logs) != len(want["logs"]):
            problems.append(f"{w}: {len(logs)} logs, want {len(want['logs'])}")
        for log, want_log in zip(logs, want["logs"]):
            if log.get("timestamp") != want_log["timestamp_us"]:
                problems.append(f"{w}: log timestamp {log.get('timestamp')}, want {want_log['timestamp_us']}")
            e2e.check_kvs(f"{w} log", log.get("fields", []), want_log["fields"], problems)
        proc = (trace.get("processes") or {}).get(got.get("processID"))
        if proc is None or proc.get("serviceName") != run["service"]:
            problems.append(f"{w}: process {proc}, want service {run['service']!r}")
        else:
            tags = e2e.tag_map(proc.get("tags", []))
            if tags.get("jaeger.version") != ("string", "Python-4.8.0"):
                problems.append(f"{w}: process jaeger.version {tags.get('jaeger.version')}")
            for key in ("hostname", "ip"):
                if key not in tags:
                    problems.append(f"{w}: process tag {key!r} missing; have {sorted(tags)}")
    return problems


def test_jaeger_client_accepts_probabilistic_strategy_and_reports_over_udp(sampling_server):
    run = run_jaeger_client(sampling_server, PROB)
    # The client replaced its initial probabilistic 0.001 with the file's 1.0.
    assert run["strategy"] == {"kind": "probabilistic", "rate": 1}, run["strategy"]
    problems = []
    for sent in run["traces"]:
        root = sent["spans"][0]
        assert root["tags"].get("sampler.type") == "probabilistic" and root["tags"].get("sampler.param") == 1, root
        problems += [f"[{sent['trace_id']}] {p}" for p in check_jaeger_client_trace(sampling_server, run, sent)]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_jaeger_client_accepts_per_operation_strategy(sampling_server):
    run = run_jaeger_client(sampling_server, OPS, traces=1)
    assert run["strategy"] == {"kind": "per_operation", "default_probability": 0, "operations": {"GET /order": 1}}, run[
        "strategy"
    ]
    problems = []
    for sent in run["traces"]:
        problems += [f"[{sent['trace_id']}] {p}" for p in check_jaeger_client_trace(sampling_server, run, sent)]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_jaeger_client_accepts_rate_limiting_strategy(sampling_server):
    run = run_jaeger_client(sampling_server, RATE, traces=0)
    assert run["strategy"] == {"kind": "ratelimiting", "max_traces_per_second": 250}, run["strategy"]


# --- reload -------------------------------------------------------------------------------------


def wait_for_body(server, service, want, timeout=15):
    deadline = time.monotonic() + timeout
    body = None
    while time.monotonic() < deadline:
        body = sampling_get(server, "/sampling", {"service": service}).text
        if body == want:
            return body
        time.sleep(0.2)
    raise AssertionError(f"/sampling?service={service} -> {body!r}, want {want!r} within {timeout}s")


def test_changed_file_is_reloaded_and_bad_file_keeps_old_strategies(sampling_server):
    path = sampling_server.strategies_path
    added = f"e2e-reloaded-{SUFFIX}"
    write_atomically(path, json.dumps(strategies([{"service": added, "type": "ratelimiting", "param": 77}])))
    wait_for_body(
        sampling_server, added, '{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":77}}'
    )

    write_atomically(path, '{"service_strategies": [{"service": "x", "param": "not a number"}]')
    time.sleep(3)  # several reload intervals
    r = sampling_get(sampling_server, "/sampling", {"service": added})
    assert r.text == '{"strategyType":"RATE_LIMITING","rateLimitingSampling":{"maxTracesPerSecond":77}}'
    assert sampling_get(sampling_server, "/sampling", {"service": RATE}).text == RATE_JSON
    assert sampling_server.proc.poll() is None, "server exited on a bad strategies file"

    write_atomically(path, json.dumps(strategies()))
    wait_for_body(sampling_server, added, DEFAULT_JSON)

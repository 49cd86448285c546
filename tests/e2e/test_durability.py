"""Data survives a graceful restart, and acknowledged OTLP exports survive kill -9."""

import uuid

import pytest

import e2e_support as e2e
from e2e_support import shape

N_SPANS = len(shape.SPANS)


def _service(tag):
    return f"e2e-dur-{tag}-{uuid.uuid4().hex[:8]}"


def _snapshot(server, runs):
    traces = {}
    for run in runs:
        for t in run["traces"]:
            traces[t["trace_id"]] = e2e.normalized(server.trace(t["trace_id"]))
    ops = {run["service"]: server.get_json("/api/operations", {"service": run["service"]})["data"] for run in runs}
    ops = {s: sorted((o["name"], o["spanKind"]) for o in v) for s, v in ops.items()}
    return traces, ops


def _check_complete(server, runs):
    problems = []
    for run in runs:
        for t in run["traces"]:
            trace = server.trace(t["trace_id"])
            if trace is None:
                problems.append(f"{run['kind']} trace {t['trace_id']}: 404 after restart")
                continue
            problems += [f"{run['kind']} {p}" for p in e2e.check_structure(trace, t, run["service"], run["kind"])]
            problems += [f"{run['kind']} {p}" for p in e2e.check_tags(trace, t)]
            problems += [f"{run['kind']} {p}" for p in e2e.check_logs(trace, t, run["log_field"])]
        found = {tr["traceID"] for tr in server.search(service=run["service"])}
        if found != e2e.all_expected_ids(run):
            problems.append(f"{run['kind']}: search by service found {sorted(found)}, want {sorted(e2e.all_expected_ids(run))}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_sigterm_restart_keeps_everything(tmp_path):
    data = tmp_path / "data"
    first = e2e.SpoorServer(data, tmp_path / "spoor-1.log").start()
    try:
        runs = []
        for kind in ("jaeger-udp", "jaeger-http", "otlp-http", "otlp-grpc"):
            run = e2e.run_client(kind, first, _service(kind), traces=2)
            for t in run["traces"]:
                first.wait_trace(t["trace_id"], N_SPANS)
            runs.append(run)
        before = _snapshot(first, runs)
    finally:
        rc = first.stop()
    assert rc == 0, f"exit code after SIGTERM: {rc}\n{first.log_tail()}"

    # Restart on the same data dir, new ports, plain `spoor` (serve is the default) with
    # Jaeger-style --flag=:PORT arguments.
    second = e2e.SpoorServer(
        data, tmp_path / "spoor-2.log", flag_style="equals", extra_args=["--retention=72h"], subcommand=False
    ).start()
    try:
        _check_complete(second, runs)
        after = _snapshot(second, runs)
        assert after[1] == before[1], "operations differ after restart"
        for tid, trace in before[0].items():
            assert after[0][tid] == trace, f"trace {tid} differs after restart"
        services = second.get_json("/api/services")["data"]
        for run in runs:
            assert run["service"] in services
    finally:
        rc = second.stop()
    assert rc == 0, f"exit code after SIGTERM: {rc}\n{second.log_tail()}"


def test_kill9_after_acknowledged_export(tmp_path):
    """OTLP/HTTP and OTLP/gRPC acknowledge only after the WAL write: kill -9 right after
    the client's export returned success must lose nothing."""
    data = tmp_path / "data"
    acked = []
    for i, kind in enumerate(("otlp-http", "otlp-grpc", "otlp-http-gzip")):
        server = e2e.SpoorServer(data, tmp_path / f"spoor-{i}.log").start()
        try:
            run = e2e.run_client(kind, server, _service(kind), traces=3)
            assert run["export_results"] and all(r == "SUCCESS" for r in run["export_results"])
        finally:
            server.kill9()  # immediately: no wait, no flush, no graceful shutdown
        acked.append(run)

    final = e2e.SpoorServer(data, tmp_path / "spoor-final.log").start()
    try:
        _check_complete(final, acked)
    finally:
        rc = final.stop()
    assert rc == 0, f"exit code after SIGTERM: {rc}\n{final.log_tail()}"

"""Helpers for the Spoor end-to-end suite: server process, free ports, clients, checks."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
CLIENTS = HERE / "clients"
REPO_ROOT = HERE.parents[1]
sys.path.insert(0, str(CLIENTS))

import shape  # noqa: E402


def _resolve(path_str):
    """Absolute path, relative ones against the cwd, else the repo root. Symlinks are kept:
    a venv's bin/python must not be resolved to the base interpreter."""
    p = Path(path_str)
    if p.is_absolute():
        return p
    if (Path.cwd() / p).exists():
        return Path.cwd() / p
    return REPO_ROOT / p


SPOOR_BIN = _resolve(os.environ.get("SPOOR_BIN", ".build/debug/spoor"))
LEGACY_PYTHON = _resolve(os.environ.get("SPOOR_E2E_LEGACY_PYTHON", ".venv-e2e-legacy/bin/python"))
_current_default = REPO_ROOT / ".venv-e2e-current/bin/python"
CURRENT_PYTHON = _resolve(
    os.environ.get("SPOOR_E2E_CURRENT_PYTHON", str(_current_default if _current_default.exists() else sys.executable))
)

# --- ports -----------------------------------------------------------------------------

PORT_FLAGS = {
    "compact": "--processor.jaeger-compact.server-host-port",
    "binary": "--processor.jaeger-binary.server-host-port",
    "thrift_http": "--collector.http-server.host-port",
    "otlp_grpc": "--collector.otlp.grpc.host-port",
    "otlp_http": "--collector.otlp.http.host-port",
    "query": "--query.http-server.host-port",
    "query_grpc": "--query.grpc-server.host-port",
    "admin": "--admin.http.host-port",
    "sampling": "--http-server.host-port",
    "jaeger_grpc": "--collector.grpc-server.host-port",
    "zipkin": "--collector.zipkin.host-port",
}
DEFAULT_PORTS = {6831, 6832, 14268, 4317, 4318, 16686, 14269, 14250, 9411, 5778, 16685}


def pick_free_ports(names=tuple(PORT_FLAGS)):
    """One port per name, free for both TCP and UDP on all interfaces, never a Jaeger default."""
    held, ports = [], {}
    try:
        for name in names:
            for _ in range(200):
                tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                tcp.bind(("", 0))
                port = tcp.getsockname()[1]
                udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                try:
                    udp.bind(("", port))
                except OSError:
                    tcp.close()
                    udp.close()
                    continue
                if port in DEFAULT_PORTS or port in ports.values():
                    tcp.close()
                    udp.close()
                    continue
                held += [tcp, udp]
                ports[name] = port
                break
            else:
                raise RuntimeError(f"no free port for {name}")
    finally:
        for s in held:
            s.close()
    return ports


# --- server process --------------------------------------------------------------------


class SpoorServer:
    """One `spoor serve` process on a data dir, with its own free ports.

    flag_style "space": `--flag 127.0.0.1:PORT`; "equals": Jaeger-style `--flag=:PORT`.
    subcommand False starts plain `spoor ...` (serve is the default subcommand).
    """

    def __init__(self, data_dir, log_path, flag_style="space", extra_args=(), subcommand=True):
        self.data_dir = Path(data_dir)
        self.log_path = Path(log_path)
        self.flag_style = flag_style
        self.subcommand = subcommand
        self.extra_args = list(extra_args)
        self.ports = pick_free_ports()
        self.proc = None
        self._log = None

    def argv(self):
        args = [str(SPOOR_BIN)] + (["serve"] if self.subcommand else [])
        if self.flag_style == "equals":
            args.append(f"--data-dir={self.data_dir}")
            for name, flag in PORT_FLAGS.items():
                args.append(f"{flag}=:{self.ports[name]}")
        else:
            args += ["--data-dir", str(self.data_dir)]
            for name, flag in PORT_FLAGS.items():
                args += [flag, f"127.0.0.1:{self.ports[name]}"]
        return args + self.extra_args

    @property
    def query_url(self):
        return f"http://127.0.0.1:{self.ports['query']}"

    @property
    def admin_url(self):
        return f"http://127.0.0.1:{self.ports['admin']}"

    def log_tail(self, n=60):
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(lines[-n:])

    def start(self, timeout=90):
        if not SPOOR_BIN.exists():
            raise AssertionError(f"spoor binary not found at {SPOOR_BIN} (set SPOOR_BIN)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n=== start: {' '.join(self.argv())}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(
            self.argv(), stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=REPO_ROOT
        )
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"spoor exited with {self.proc.returncode} during startup\n{self.log_tail()}"
                )
            try:
                r = requests.get(self.admin_url + "/", timeout=1)
                last = r.status_code
                if r.status_code == 200:
                    return self
            except requests.RequestException as e:
                last = type(e).__name__
            time.sleep(0.2)
        self.kill9()
        raise AssertionError(f"spoor not healthy after {timeout}s (last admin answer: {last})\n{self.log_tail()}")

    def stop(self, timeout=30):
        """SIGTERM and wait; returns the exit code (None if it had to be killed)."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self._close_log()
        return rc

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self._close_log()

    def _close_log(self):
        if self._log is not None:
            self._log.close()
            self._log = None

    # --- HTTP ---

    def get(self, path, params=None, timeout=10):
        return requests.get(self.query_url + path, params=params, timeout=timeout)

    def get_json(self, path, params=None, status=200):
        r = self.get(path, params)
        assert r.status_code == status, f"GET {r.url} -> {r.status_code}, expected {status}: {r.text[:500]}"
        try:
            return json.loads(r.text)
        except ValueError:
            raise AssertionError(f"GET {r.url}: body is not JSON: {r.text[:500]!r}")

    def search(self, **params):
        body = self.get_json("/api/traces", params)
        assert isinstance(body.get("data"), list), f"search data is not a list: {body}"
        return body["data"]

    def trace(self, trace_id):
        """The trace JSON or None on 404."""
        r = self.get(f"/api/traces/{trace_id}")
        if r.status_code == 404:
            return None
        assert r.status_code == 200, f"GET /api/traces/{trace_id} -> {r.status_code}: {r.text[:500]}"
        data = json.loads(r.text)["data"]
        assert isinstance(data, list) and len(data) == 1, f"trace data should be [Trace]: {data!r:.500}"
        return data[0]

    def wait_trace(self, trace_id, n_spans, timeout=20):
        deadline = time.monotonic() + timeout
        t = None
        while True:
            t = self.trace(trace_id)
            if t is not None and len(t["spans"]) >= n_spans:
                return t
            if time.monotonic() > deadline:
                got = "404" if t is None else f"{len(t['spans'])} spans"
                raise AssertionError(f"trace {trace_id} not complete after {timeout}s ({got})\n{self.log_tail(30)}")
            time.sleep(0.25)


# --- clients -----------------------------------------------------------------------------

# kind -> (venv, script, mode, endpoint(server), event-name log field)
CLIENT_KINDS = {
    "jaeger-udp": ("legacy", "jaeger_thrift_client.py", "agent", lambda s: f"127.0.0.1:{s.ports['compact']}", "message"),
    "jaeger-http": (
        "legacy",
        "jaeger_thrift_client.py",
        "collector",
        lambda s: f"http://127.0.0.1:{s.ports['thrift_http']}/api/traces",
        "message",
    ),
    "otlp-http": ("current", "otlp_client.py", "http", lambda s: f"http://127.0.0.1:{s.ports['otlp_http']}/v1/traces", "event"),
    "otlp-http-gzip": (
        "current",
        "otlp_client.py",
        "http-gzip",
        lambda s: f"http://127.0.0.1:{s.ports['otlp_http']}/v1/traces",
        "event",
    ),
    "otlp-grpc": ("current", "otlp_client.py", "grpc", lambda s: f"http://127.0.0.1:{s.ports['otlp_grpc']}", "event"),
}


def run_client(kind, server, service, traces=2, timeout=90, extra_env=None, expect_ok=True):
    venv, script, mode, endpoint, _ = CLIENT_KINDS[kind]
    python = LEGACY_PYTHON if venv == "legacy" else CURRENT_PYTHON
    assert python.exists(), f"{venv} virtualenv python missing: {python} (run scripts/test.sh)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra_env or {})
    argv = [str(python), str(CLIENTS / script), "--mode", mode, "--endpoint", endpoint(server)]
    argv += ["--service", service, "--traces", str(traces)]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=CLIENTS, env=env)
    out = None
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("{"):
            out = json.loads(line)
            break
    if not expect_ok:
        return out
    assert p.returncode == 0 and out and out["ok"], (
        f"client {kind} failed (rc={p.returncode}, results={out and out['export_results']})\n"
        f"stderr:\n{p.stderr[-3000:]}\nserver log:\n{server.log_tail(30)}"
    )
    out["kind"] = kind
    out["log_field"] = CLIENT_KINDS[kind][4]
    return out


# --- expectations --------------------------------------------------------------------------


def fmt_trace_id(tid32):
    """Jaeger UI form: 16 hex when the high 64 bits are zero, else 32."""
    return tid32[16:] if tid32[:16] == "0" * 16 else tid32


def tag_map(kvs):
    out = {}
    for kv in kvs:
        out.setdefault(kv["key"], (kv.get("type"), kv.get("value")))
    return out


def expected_kv(value):
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int64", value if abs(value) <= 2**53 - 1 else str(value))
    if isinstance(value, float):
        return ("float64", value)
    return ("string", value)


def check_kvs(where, kvs, expected, problems):
    got = tag_map(kvs)
    for key, value in expected.items():
        want = expected_kv(value)
        if key not in got:
            problems.append(f"{where}: missing tag {key!r} (want {want}); have {sorted(got)}")
        elif got[key] != want:
            problems.append(f"{where}: tag {key!r} = {got[key]}, want {want}")


def spans_by_id(trace):
    return {s["spanID"]: s for s in trace["spans"]}


def check_structure(trace, run_trace, service, kind):
    """Span ids, parents, names, times, trace id format, processes."""
    problems = []
    fmt = fmt_trace_id(run_trace["trace_id"])
    if trace.get("traceID") != fmt:
        problems.append(f"trace traceID {trace.get('traceID')!r}, want {fmt!r}")
    ids = run_trace["spans"]
    by_id = spans_by_id(trace)
    if len(trace["spans"]) != len(shape.SPANS):
        problems.append(f"span count {len(trace['spans'])}, want {len(shape.SPANS)}")
    if set(by_id) != set(ids.values()):
        problems.append(f"span ids {sorted(by_id)}, want {sorted(ids.values())}")
    processes = trace.get("processes") or {}
    for desc in shape.SPANS:
        sid = ids[desc["key"]]
        span = by_id.get(sid)
        if span is None:
            continue
        w = f"span {desc['name']!r} ({sid})"
        if span.get("traceID") != fmt:
            problems.append(f"{w}: traceID {span.get('traceID')!r}, want {fmt!r}")
        if span.get("operationName") != desc["name"]:
            problems.append(f"{w}: operationName {span.get('operationName')!r}")
        want_start = run_trace["base_us"] + desc["start_ms"] * 1000
        if span.get("startTime") != want_start:
            problems.append(f"{w}: startTime {span.get('startTime')}, want {want_start}")
        if span.get("duration") != desc["dur_ms"] * 1000:
            problems.append(f"{w}: duration {span.get('duration')}, want {desc['dur_ms'] * 1000}")
        for field in ("references", "tags", "logs"):
            if not isinstance(span.get(field), list):
                problems.append(f"{w}: {field} is not an array: {span.get(field)!r}")
        refs = span.get("references") or []
        if desc["parent"] is None:
            if any(r.get("refType") == "CHILD_OF" for r in refs):
                problems.append(f"{w}: root has CHILD_OF references {refs}")
        else:
            want_ref = {"refType": "CHILD_OF", "traceID": fmt, "spanID": ids[desc["parent"]]}
            if not refs or refs[0] != want_ref:
                problems.append(f"{w}: references {refs}, want first {want_ref}")
        if kind.startswith("jaeger") and span.get("flags") != 1:
            problems.append(f"{w}: flags {span.get('flags')!r}, want 1 (sampled)")
        pid = span.get("processID")
        proc = processes.get(pid)
        if proc is None:
            problems.append(f"{w}: processID {pid!r} not in processes {sorted(processes)}")
        elif proc.get("serviceName") != service:
            problems.append(f"{w}: process serviceName {proc.get('serviceName')!r}, want {service!r}")
        elif not isinstance(proc.get("tags"), list):
            problems.append(f"{w}: process tags is not an array")
    return problems


def check_tags(trace, run_trace):
    """Typed attributes, span.kind, error flags."""
    problems = []
    by_id = spans_by_id(trace)
    for desc in shape.SPANS:
        span = by_id.get(run_trace["spans"][desc["key"]])
        if span is None:
            problems.append(f"span {desc['name']!r} missing")
            continue
        w = f"span {desc['name']!r}"
        expected = dict(desc["attrs"])
        if desc["key"] == "root":
            expected[shape.ORDER_ID_KEY] = run_trace["order_id"]
        expected["span.kind"] = shape.KIND_TAG[desc["kind"]]
        if "error" in desc:
            expected["error"] = True
            expected["otel.status_code"] = "ERROR"
            expected["otel.status_description"] = desc["error"]
        check_kvs(w, span.get("tags", []), expected, problems)
        if "error" not in desc:
            err = tag_map(span.get("tags", [])).get("error")
            if err is not None and err[1] in (True, "true"):
                problems.append(f"{w}: has error tag {err} but status is not ERROR")
    return problems


def check_logs(trace, run_trace, log_field):
    """Span events come back as logs: name in `log_field`, then typed attributes."""
    problems = []
    by_id = spans_by_id(trace)
    for desc in shape.SPANS:
        span = by_id.get(run_trace["spans"][desc["key"]])
        if span is None:
            problems.append(f"span {desc['name']!r} missing")
            continue
        w = f"span {desc['name']!r}"
        logs = span.get("logs") or []
        events = desc.get("events", [])
        if len(logs) != len(events):
            problems.append(f"{w}: {len(logs)} logs, want {len(events)}: {logs}")
            continue
        for log, ev in zip(sorted(logs, key=lambda l: l.get("timestamp", 0)), events):
            want_ts = run_trace["base_us"] + ev["at_ms"] * 1000
            if log.get("timestamp") != want_ts:
                problems.append(f"{w}: log timestamp {log.get('timestamp')}, want {want_ts}")
            fields = log.get("fields") or []
            check_kvs(f"{w} log", fields, {log_field: ev["name"], **ev["attrs"]}, problems)
    return problems


def all_expected_ids(run):
    return {fmt_trace_id(t["trace_id"]) for t in run["traces"]}


def normalized(trace):
    """A trace with process ids replaced by the process itself and spans in id order,
    for comparing the same trace read at two different times."""
    procs = trace.get("processes") or {}
    spans = []
    for s in sorted(trace["spans"], key=lambda s: s["spanID"]):
        s = dict(s)
        s["process"] = procs.get(s.pop("processID", None))
        spans.append(s)
    return {"traceID": trace["traceID"], "spans": spans}

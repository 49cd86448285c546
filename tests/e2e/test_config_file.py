"""`spoor serve --config-file F`: flag values from YAML, as Jaeger's `--config-file` reads them. Keys are flag names,
dotted or nested; the command line overrides the file; a bad file is a clear error before anything starts."""

import subprocess
import uuid

import pytest

import e2e_support as e2e


def _yaml(server, admin_port):
    """Every port and the data dir: some keys nested, some dotted, some both, values quoted or plain."""
    p = server.ports
    return f"""# written by test_config_file.py
data-dir: {server.data_dir}
collector:
  otlp:
    grpc:
      host-port: 127.0.0.1:{p['otlp_grpc']}
    http.host-port: "127.0.0.1:{p['otlp_http']}"
  http-server.host-port: 127.0.0.1:{p['thrift_http']}
  grpc-server:
    host-port: 127.0.0.1:{p['jaeger_grpc']}
  zipkin.host-port: 127.0.0.1:{p['zipkin']}
processor.jaeger-compact.server-host-port: 127.0.0.1:{p['compact']}
processor.jaeger-binary.server-host-port: 127.0.0.1:{p['binary']}
http-server.host-port: 127.0.0.1:{p['sampling']}
query:
  http-server.host-port: 127.0.0.1:{p['query']}
  grpc-server.host-port: 127.0.0.1:{p['query_grpc']}
admin.http.host-port: 127.0.0.1:{admin_port}
retention: 48h
storage.sync-writes: true
"""


class ConfiguredServer(e2e.SpoorServer):
    """A server whose flags come from a config file, plus `cli` on the command line after it."""

    def __init__(self, tmp_path, cli=(), file_admin_port=None):
        super().__init__(tmp_path / "data", tmp_path / "spoor.log")
        self.config = tmp_path / "spoor.yaml"
        self.config.write_text(_yaml(self, file_admin_port or self.ports["admin"]))
        self.cli = list(cli)

    def argv(self):
        return [str(e2e.SPOOR_BIN), "serve", "--config-file", str(self.config)] + self.cli


def test_a_config_file_sets_every_listener_and_the_store(tmp_path):
    server = ConfiguredServer(tmp_path).start()
    try:
        # A real OpenTelemetry SDK exports to the OTLP port the file named; the trace is read back from its query port.
        service = f"e2e-config-{uuid.uuid4().hex[:8]}"
        run = e2e.run_client("otlp-grpc", server, service, traces=1)
        trace = server.wait_trace(run["traces"][0]["trace_id"], len(e2e.shape.SPANS), timeout=20)
        assert {p["serviceName"] for p in trace["processes"].values()} >= {service}
        # The store is where the file said, and the Jaeger Thrift and Zipkin ports answer.
        assert (server.data_dir / "CURRENT").exists()
        r = e2e.requests.post(f"http://127.0.0.1:{server.ports['zipkin']}/api/v2/spans", json=[], timeout=5)
        assert r.status_code == 202, r.text
        r = e2e.requests.post(
            f"http://127.0.0.1:{server.ports['thrift_http']}/api/traces", data=b"",
            headers={"Content-Type": "application/x-thrift"}, timeout=5)
        assert r.status_code == 400, r.text  # answered by the collector: an empty body is not a Batch
    finally:
        assert server.stop() == 0, server.log_tail()


def test_the_command_line_overrides_the_file(tmp_path):
    file_admin = e2e.pick_free_ports(("admin",))["admin"]
    server = ConfiguredServer(tmp_path, file_admin_port=file_admin)
    server.cli = ["--admin.http.host-port", f"127.0.0.1:{server.ports['admin']}"]
    server.start()
    try:
        assert e2e.requests.get(server.admin_url + "/", timeout=5).status_code == 200
        with pytest.raises(e2e.requests.ConnectionError):
            e2e.requests.get(f"http://127.0.0.1:{file_admin}/", timeout=2)
    finally:
        assert server.stop() == 0, server.log_tail()


@pytest.mark.parametrize(
    "text, code, message",
    [
        ("collector:\n  otlp.grpc.hostport: ':1'\n", 64, "Unknown option '--collector.otlp.grpc.hostport'"),
        ("a: [1, {b: 2}\n", 1, "not valid YAML"),
        ("- data-dir\n- x\n", 1, "the top level must map flag names to values"),
        ("storage.sync-writes: maybe\n", 1, "storage.sync-writes: expected true or false, got 'maybe'"),
        ("retention: [1h, {a: b}]\n", 1, "retention: list items must be plain values"),
        ("config-file: other.yaml\n", 1, "a config file cannot name another"),
        ("retention: soon\n", 64, '--retention: invalid duration "soon"'),
    ],
    ids=["unknown-key", "bad-yaml", "not-a-mapping", "bad-boolean", "nested-list", "config-file-key", "bad-value"],
)
def test_a_bad_config_file_is_a_clear_error_before_anything_starts(tmp_path, text, code, message):
    config = tmp_path / "spoor.yaml"
    config.write_text(text)
    p = subprocess.run(
        [str(e2e.SPOOR_BIN), "--config-file=" + str(config), "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=30)
    assert p.returncode == code, p.stdout + p.stderr
    assert message in p.stderr, p.stderr
    assert not (tmp_path / "data" / "CURRENT").exists()


def test_a_missing_or_oversized_config_file_is_refused(tmp_path):
    p = subprocess.run([str(e2e.SPOOR_BIN), "serve", "--config-file", str(tmp_path / "absent.yaml")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and "cannot be opened" in p.stderr, p.stderr
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (1 << 20) + "\n")
    p = subprocess.run([str(e2e.SPOOR_BIN), "serve", "--config-file", str(big)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 1 and "larger than 1048576 bytes" in p.stderr, p.stderr

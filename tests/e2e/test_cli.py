"""The spoor command line, without starting a server."""

import subprocess

import pytest

import e2e_support as e2e


def _run(*args):
    assert e2e.SPOOR_BIN.exists(), f"spoor binary not found at {e2e.SPOOR_BIN} (set SPOOR_BIN)"
    return subprocess.run([str(e2e.SPOOR_BIN), *args], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("args", [("--help",), ("serve", "--help"), ("help", "serve")], ids=" ".join)
def test_help_exits_zero(args):
    p = _run(*args)
    out = p.stdout + p.stderr
    assert p.returncode == 0, f"spoor {' '.join(args)} -> exit {p.returncode}: {out[:400]}"
    assert "--query.http-server.host-port" in out or "serve" in out, out[:400]


def test_serve_help_lists_port_flags():
    p = _run("serve", "--help")
    out = p.stdout + p.stderr
    for flag in list(e2e.PORT_FLAGS.values()) + ["--data-dir", "--retention"]:
        assert flag in out, f"{flag} missing from `spoor serve --help`"


def test_unknown_flag_fails():
    p = _run("serve", "--no-such-flag")
    assert p.returncode != 0
    assert "no-such-flag" in p.stdout + p.stderr

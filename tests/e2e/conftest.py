import uuid

import pytest

import e2e_support as e2e


@pytest.fixture(scope="session")
def spoor(tmp_path_factory):
    """The shared server: temp data dir, free ports; SIGTERM at the end must exit 0."""
    base = tmp_path_factory.mktemp("spoor")
    server = e2e.SpoorServer(base / "data", base / "spoor.log")
    server.start()
    yield server
    rc = server.stop()
    assert rc == 0, f"spoor exit code after SIGTERM: {rc}, want 0\n{server.log_tail()}"


_runs = {}


@pytest.fixture(scope="session")
def ingested(spoor):
    """ingested(kind) -> the client's report, after every trace it sent is queryable.

    Each client kind runs once per session with its own unique service name.
    A failure is remembered so later tests of that kind fail fast.
    """

    def get(kind):
        if kind not in _runs:
            service = f"e2e-{kind}-{uuid.uuid4().hex[:8]}"
            try:
                run = e2e.run_client(kind, spoor, service, traces=2)
                for t in run["traces"]:
                    spoor.wait_trace(t["trace_id"], len(e2e.shape.SPANS), timeout=20)
                _runs[kind] = run
            except AssertionError as err:
                _runs[kind] = err
            except Exception as err:  # subprocess timeout etc.
                _runs[kind] = AssertionError(f"{type(err).__name__}: {err}")
        run = _runs[kind]
        if isinstance(run, AssertionError):
            pytest.fail(f"ingest via {kind} failed: {run}", pytrace=False)
        return run

    return get

def test_scaled_clock_runs_faster_from_its_virtual_start(monkeypatch):
    import time as time_module
    from datetime import UTC, datetime

    from smsflows.runtime.clock import scaled_clock

    now = [1000.0]
    monkeypatch.setattr(time_module, "time", lambda: now[0])
    start = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    clock = scaled_clock(3600, epoch_real=1000.0, epoch_virtual=start.timestamp())
    assert clock() == start
    now[0] += 2.5
    assert clock() == datetime(2026, 11, 23, 17, 30, tzinfo=UTC)


def test_the_deps_clock_is_the_local_clouds_virtual_one_in_process_or_over_http():
    import json
    import threading
    from datetime import UTC, datetime
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import pytest

    from smsflows.runtime import clock as clock_module
    from smsflows.runtime.deps import Deps
    from smsflows.runtime.settings import Settings

    at = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
    local = Deps(Settings.model_validate({"SMSFLOWS_CLOCK": "local"}))
    with pytest.raises(RuntimeError, match="no local cloud clock is installed"):
        local.clock()
    sim = clock_module.SimClock(at.timestamp())
    clock_module.install_sim_clock(sim)
    try:
        local = Deps(Settings.model_validate({"SMSFLOWS_CLOCK": "local"}))
        assert local.clock() == at and local.wall() == at.timestamp()
        local.sleep(90)  # a pacing wait moves the virtual clock, it does not block
        assert sim.time() == at.timestamp() + 90
    finally:
        clock_module.install_sim_clock(None)

    class Clock(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps({"now": at.isoformat(), "mode": "virtual"}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Clock)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/_local/clock"
        remote = Deps(Settings.model_validate({"SMSFLOWS_CLOCK_URL": url}))
        assert remote.clock() == at  # a CLI stamps what it writes with the cloud's virtual time
    finally:
        server.shutdown()


def test_waits_side_by_side_on_the_virtual_clock_end_at_the_latest_instant():
    """Two sends' waits read at the same instant: as spans they add up (the second starts where the first
    moved the clock), as instants they end at the later one, as real sleeps side by side do."""
    from datetime import UTC, datetime

    from smsflows.runtime import clock as clock_module

    t0 = datetime(2026, 11, 24, 16, 0, tzinfo=UTC).timestamp()
    spans = clock_module.SimClock(t0)
    waits = [slot - spans.time() for slot in (t0 + 1, t0 + 2)]  # both read before either sleeps
    for wait in waits:
        spans.sleep(wait)
    assert spans.time() == t0 + 3
    instants = clock_module.SimClock(t0)
    for slot in (t0 + 2, t0 + 1):
        instants.sleep_until(slot)
    assert instants.time() == t0 + 2  # never backwards either

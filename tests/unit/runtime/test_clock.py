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

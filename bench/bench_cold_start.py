"""Cold start: each handler's import (Lambda's init phase) and import + first-use wiring, in fresh
processes, as a ratio to a bare `import boto3` measured the same way in the same run. Target <= 2x.

Figures, never pass/fail. Median of RUNS fresh processes per row, after one warm-up (page cache, .pyc).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

RUNS = 7
ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "handler.py").is_file())

PROBE = r"""
import os, sys, time, importlib.util
os.environ.update(AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="x",
                  AWS_SECRET_ACCESS_KEY="x", POWERTOOLS_METRICS_NAMESPACE="smsflows", TABLE_NAME="t",
                  SHOP_EVENTS_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/1/q", SEND_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/1/s",
                  FLOW_STATE_MACHINES='{"order_followup": "arn:aws:states:us-east-1:1:stateMachine:f"}')
what = sys.argv[1]
t0 = time.perf_counter()
if what == "boto3":
    import boto3
    t1 = time.perf_counter()
    boto3.session.Session().client("dynamodb")
    t2 = time.perf_counter()
else:
    path = sys.argv[2]
    spec = importlib.util.spec_from_file_location("handler", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    t1 = time.perf_counter()
    from smsflows.runtime.deps import get_deps
    d = get_deps()
    for attr in sys.argv[3].split(",") if sys.argv[3] else []:
        getattr(d, attr)
    t2 = time.perf_counter()
print(f"{(t1 - t0) * 1000:.2f} {(t2 - t0) * 1000:.2f}")
"""

# What each handler touches on its first request (the clients behind these are created then).
FIRST_USE = {
    "shopify_webhook": "webhook_inbox,shop_events_queue",
    "process_shop_event": "shop_event_deps",
    "send_message": "message_log,shop_configs,send_queue",
    "flow_step": "flow_deps",
    "subscribe": "consent",
    "twilio_inbound": "consent",
}


def measure(*args: str) -> tuple[float, float]:
    runs = []
    for i in range(RUNS + 1):
        out = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True)
        if i:  # the first run warms the page cache and writes .pyc files
            runs.append(tuple(float(x) for x in out.stdout.split()))
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> None:
    base_import, base_client = measure("boto3")
    print(f"baseline: import boto3 {base_import:.1f} ms; import boto3 + dynamodb client {base_client:.1f} ms")
    print(f"{'handler':<20} {'init (import) ms':>17} {'ratio':>6} {'+ first-use wiring ms':>22} {'ratio':>6}")
    for name in FUNCTIONS:
        init, wired = measure(
            "handler", str(ROOT / "functions" / name / "handler.py"), FIRST_USE.get(name, "")
        )
        print(
            f"{name:<20} {init:>17.1f} {init / base_import:>5.2f}x"
            f" {wired:>22.1f} {wired / base_client:>5.2f}x"
        )
    print("ratios: init vs `import boto3` (target <= 2x); wired vs `import boto3` + one client")


if __name__ == "__main__":
    main()

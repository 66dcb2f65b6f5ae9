"""The storefront's cost to a shop's pages: what the theme app extension and the web pixel weigh, and what
they add to the demo product page's time to interactive in headless Chromium.

- sizes: raw and gzipped (level 9, as a CDN serves them) bytes of the opt-in script and stylesheet (what a
  page with the blocks loads), the web pixel (before Shopify's bundling) and the plain embeddable snippet;
- time to interactive of /_local/storefront/products/linen-shirt on a local cloud, with the extension and
  without it (`?extensions=off`: the same theme alone, the baseline of the same run), N runs each,
  interleaved, median and spread. "Interactive" is as Lighthouse approximates it: after the load event, the
  end of the last long task (>50 ms main-thread work), and, with the extension, once the sign-up form is
  drawn and usable. Loopback, no throttling: the figure is the script's own cost, not a network's.

Figures only: it never fails the build. Needs a Chromium (Debian's `chromium`, or $SMSFLOWS_CHROMIUM).
"""

from __future__ import annotations

import os

os.environ.update(POWERTOOLS_LOG_LEVEL="WARNING", POWERTOOLS_METRICS_DISABLED="true", TZ="UTC")

import gzip
import socket
import statistics
import sys
from pathlib import Path

from smsflows.local.cloud import LocalCloud, LocalConfig
from smsflows.local.storefront import shopify_root

N = 9
PAGE = "/_local/storefront/products/linen-shirt"
# Long tasks and the moment the page is usable, recorded from the first byte on.
PROBE = """
window.__longTaskEnd = 0;
new PerformanceObserver((list) => { for (const t of list.getEntries())
  window.__longTaskEnd = Math.max(window.__longTaskEnd, t.startTime + t.duration); })
  .observe({type: 'longtask', buffered: true});
"""
READY = """(withForm) => new Promise((done) => {
  const check = () => {
    const nav = performance.getEntriesByType('navigation')[0];
    const form = document.querySelector('.smsflows-optin--inline .smsflows-submit');
    if (nav && nav.loadEventEnd > 0 && (!withForm || form)) {
      const drawn = withForm ? performance.now() : 0;
      done({tti: Math.max(nav.loadEventEnd, window.__longTaskEnd, drawn), load: nav.loadEventEnd,
            dcl: nav.domContentLoadedEventEnd});
    } else requestAnimationFrame(check);
  };
  check();
})"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sizes(root: Path) -> None:
    files = {
        "opt-in script": root / "extensions" / "smsflows-optin" / "assets" / "smsflows-optin.js",
        "opt-in stylesheet": root / "extensions" / "smsflows-optin" / "assets" / "smsflows-optin.css",
        "web pixel (src)": root / "extensions" / "smsflows-pixel" / "src" / "index.js",
        "embed snippet": root / "embed" / "smsflows-signup.js",
    }
    print(f"{'file':<22} {'raw bytes':>10} {'gzipped':>9}")
    total_raw = total_gz = 0
    for label, path in files.items():
        data = path.read_bytes()
        packed = len(gzip.compress(data, compresslevel=9))
        print(f"{label:<22} {len(data):>10,} {packed:>9,}")
        if label.startswith("opt-in"):
            total_raw, total_gz = total_raw + len(data), total_gz + packed
    print(f"{'opt-in JS + CSS':<22} {total_raw:>10,} {total_gz:>9,}   (what a page with the blocks loads)")


def _median(values: list[float]) -> str:
    ordered = sorted(values)
    return f"median {statistics.median(ordered):7.1f} ms  (min {ordered[0]:.1f}, max {ordered[-1]:.1f})"


def interactive(base: str, executable: str) -> None:
    from playwright.sync_api import sync_playwright

    runs: dict[str, list[dict[str, float]]] = {"without the extension": [], "with the extension": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            for _ in range(N + 1):  # the first round warms the cloud and the browser: not counted
                for label, query in (
                    ("without the extension", "?extensions=off"),
                    ("with the extension", ""),
                ):
                    context = browser.new_context(viewport={"width": 1200, "height": 900})
                    page = context.new_page()
                    page.add_init_script(PROBE)
                    page.goto(base + PAGE + query)
                    runs[label].append(page.evaluate(READY, not query))
                    context.close()
        finally:
            browser.close()
    print(f"time to interactive, {PAGE} in headless Chromium, {N} runs each (loopback, no throttling):")
    for label, measured in runs.items():
        counted = measured[1:]
        print(
            f"  {label:<22} TTI {_median([m['tti'] for m in counted])};  load {_median([m['load'] for m in counted])}"
        )
    base_tti = statistics.median(m["tti"] for m in runs["without the extension"][1:])
    with_tti = statistics.median(m["tti"] for m in runs["with the extension"][1:])
    print(f"  the extension adds {with_tti - base_tti:+.1f} ms to the median time to interactive")


def main() -> None:
    root = shopify_root()
    sizes(root)
    print()
    from tests.browser.chromium import chromium_path

    executable = chromium_path()
    if executable is None:
        print(
            "time to interactive: skipped (no Chromium: apt-get install chromium, or set $SMSFLOWS_CHROMIUM)"
        )
        return
    port = _free_port()
    with LocalCloud(LocalConfig.from_env(port=port, virtual_time=True)) as cloud:
        interactive(cloud.base_url, executable)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.browser.chromium
    main()

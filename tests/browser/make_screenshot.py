"""Save a full-page screenshot of the seeded report, 1200 px wide, for the docs:

.venv/bin/python tests/browser/make_screenshot.py docs/images/report.png
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository, for `tests.browser`

from smsflows.admin.report_html import render_html
from tests.browser.chromium import ENV, chromium_path
from tests.browser.seeded_report import seeded_report


def main(out: str) -> None:
    executable = chromium_path()
    if executable is None:
        raise SystemExit(f"no Chromium binary: install Debian's chromium or set ${ENV}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True)
        page = browser.new_page(viewport={"width": 1200, "height": 900}, device_scale_factor=1)
        page.route("**/*", lambda route: route.abort())
        page.set_content(render_html(seeded_report()))
        page.screenshot(path=out, full_page=True)
        browser.close()
    print(f"{out}: {Path(out).stat().st_size // 1024} KB")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: {sys.argv[0]} OUT.png")
    main(sys.argv[1])

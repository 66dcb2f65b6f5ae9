"""Browser tests: Playwright drives Debian's Chromium, headless (see chromium.py). They are skipped only when
no Chromium binary exists on the machine; CI (.ci/run) installs one, so CI always runs them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.chromium import ENV, chromium_path

VIEWPORT = {"width": 1200, "height": 900}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        pytest.skip(f"no Chromium binary: install Debian's chromium (apt-get install chromium) or set ${ENV}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def requests_made() -> list[str]:
    """Every URL the page asked for (all of them aborted)."""
    return []


@pytest.fixture
def page(browser: Any, requests_made: list[str]) -> Iterator[Any]:
    """A fresh page, 1200 px wide, scripts off, that may fetch nothing: every request is recorded and aborted."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1, java_script_enabled=False)
    pg = context.new_page()
    pg.on("request", lambda request: requests_made.append(request.url))
    pg.route("**/*", lambda route: route.abort())
    yield pg
    context.close()

"""Where the browser tests find a Chromium: $SMSFLOWS_CHROMIUM, else `chromium` on PATH (Debian's package,
which .ci/run installs). Playwright's own browser download is never used."""

from __future__ import annotations

import os
import shutil

ENV = "SMSFLOWS_CHROMIUM"


def chromium_path() -> str | None:
    """The Chromium executable to drive, or None when there is none on this machine. A $SMSFLOWS_CHROMIUM that
    names nothing is a mistake to report, not a reason to skip."""
    named = os.environ.get(ENV)
    if named:
        found = named if os.path.isfile(named) else shutil.which(named)
        if found is None:
            raise FileNotFoundError(f"${ENV}={named} is not a Chromium executable")
        return found
    return shutil.which("chromium") or shutil.which("chromium-browser")

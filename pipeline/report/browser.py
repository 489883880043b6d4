"""Headless Chromium: a screenshot of the report, and a load check (console errors,
images that failed to render). Optional: everything works without a browser."""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Without the networking switches Chromium tries to reach Google services at start-up.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0"]


def find_browser() -> str | None:
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


def _run(browser: str, args: list[str], timeout: int = 120) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=timeout, check=False)


def screenshot(page: Path, out: Path, width: int = 1280, height: int = 2400) -> bool:
    """Write a PNG of the top of the page; False when no browser is installed."""
    browser = find_browser()
    if browser is None:
        return False
    result = _run(browser, [f"--window-size={width},{height}", "--virtual-time-budget=5000",
                            f"--screenshot={out.resolve()}", page.resolve().as_uri()])
    return result.returncode == 0 and out.exists()


@dataclass
class LoadCheck:
    images_ok: int
    images_total: int
    console_errors: int
    tables_overflowing: int   # with every <details> unfolded, at the window width
    page_overflow: int        # px the page is wider than the window
    widest_table: int         # px
    body_width: int           # px
    messages: list[str]


def check_page(page: Path, width: int = 1280) -> LoadCheck:
    """Load the page headless at `width` px with every section unfolded; read what
    the page's self-check script (templates/self_check.js) wrote into <body data-*> (-1 where it did not run), and the console
    lines Chromium logged."""
    browser = find_browser()
    if browser is None:
        raise RuntimeError("no Chromium found (install Debian package `chromium`)")
    result = _run(browser, [f"--window-size={width},900", "--virtual-time-budget=10000", "--dump-dom",
                            page.resolve().as_uri() + "#selfcheck"])
    def attribute(name: str) -> int:
        match = re.search(rf'data-{name}="(\d+)"', result.stdout)
        return int(match.group(1)) if match else -1

    messages = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return LoadCheck(attribute("images-ok"), attribute("images-total"), attribute("console-errors"),
                     attribute("tables-overflowing"), attribute("page-overflow"), attribute("widest-table"),
                     attribute("body-width"), messages)

"""Open a local HTML file in headless Chromium and report what a person would see.

A minimal Chrome DevTools Protocol client (over ``websockets``): it starts Debian's
``chromium`` with a throw-away profile and no background networking, loads the page, waits
for ``document.body.dataset.charts`` to leave ``pending``, and collects console errors,
uncaught exceptions, every network request the page made, how many SVG elements each
``.chart`` holds, and a PNG screenshot.

Skips (via :func:`chromium_or_skip`) where Chromium is not installed.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--remote-debugging-port=0",
    "--remote-debugging-address=127.0.0.1",
)


def chromium_or_skip() -> str:
    """Path of the Chromium binary, or skip the test."""
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.skip("headless Chromium not installed (Debian: apt-get install chromium)")


@dataclass
class PageVisit:
    charts_state: str | None = None
    chart_elements: list[int] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshot: bytes = b""


class _Cdp:
    def __init__(self, socket: Any) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, timeout: float = 20.0, **params: Any) -> dict[str, Any]:
        number = next(self._ids)
        self._socket.send(json.dumps({"id": number, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self._socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self.events.append(message)


@contextmanager
def _browser(binary: str) -> Iterator[str]:
    """Start Chromium; yield the DevTools HTTP endpoint (``http://127.0.0.1:port``)."""
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        # stderr goes to a file, not a pipe: Chromium logs a lot and must never block on it.
        log_path = Path(profile) / "stderr.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}/data", "about:blank"],
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        try:
            deadline = time.monotonic() + 30
            endpoint = None
            while endpoint is None and time.monotonic() < deadline and process.poll() is None:
                found = re.search(r"DevTools listening on ws://([^/]+)/", log_path.read_text())
                if found:
                    endpoint = f"http://{found.group(1)}"
                else:
                    time.sleep(0.05)
            if endpoint is None:
                raise RuntimeError(f"Chromium did not start: {log_path.read_text()[-2000:]}")
            yield endpoint
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def visit(path: Path, *, width: int = 1200, height: int = 1600, wait: float = 30.0) -> PageVisit:
    """Load ``path`` and collect what happened (see the module docstring)."""
    binary = chromium_or_skip()
    with _browser(binary) as endpoint:
        with urllib.request.urlopen(f"{endpoint}/json/list", timeout=10) as response:
            targets = json.load(response)
        page = next(t for t in targets if t.get("type") == "page")
        from websockets.sync.client import connect

        with connect(page["webSocketDebuggerUrl"], max_size=1 << 26, open_timeout=10) as socket:
            return _load(_Cdp(socket), path, width, height, wait)


def _load(cdp: _Cdp, path: Path, width: int, height: int, wait: float) -> PageVisit:
    for domain in ("Page", "Runtime", "Log", "Network"):
        cdp.call(f"{domain}.enable")
    cdp.call(
        "Emulation.setDeviceMetricsOverride",
        width=width, height=height, deviceScaleFactor=1, mobile=False,
    )  # fmt: skip
    cdp.call("Page.navigate", url=path.resolve().as_uri())
    result = PageVisit()
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        state = _evaluate(cdp, "document.body ? document.body.dataset.charts : null")
        if state not in (None, "pending"):
            result.charts_state = state
            break
        time.sleep(0.2)
    result.chart_elements = _evaluate(
        cdp,
        "Array.from(document.querySelectorAll('.chart'))"
        ".map(c => c.querySelectorAll('svg *').length)",
    )
    shot = cdp.call("Page.captureScreenshot", format="png")
    result.screenshot = base64.b64decode(shot["data"])
    _collect(cdp.events, result)
    return result


def _evaluate(cdp: _Cdp, expression: str) -> Any:
    reply = cdp.call("Runtime.evaluate", expression=expression, returnByValue=True)
    return reply.get("result", {}).get("value")


def _collect(events: list[dict[str, Any]], result: PageVisit) -> None:
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = params.get("args", [])
            result.console_errors.append(
                " ".join(str(a.get("value", a.get("description", ""))) for a in args)
            )
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            result.console_errors.append(
                str(details.get("exception", {}).get("description", details.get("text")))
            )
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            result.console_errors.append(params["entry"].get("text", ""))
        elif method == "Network.requestWillBeSent":
            result.requests.append(params.get("request", {}).get("url", ""))

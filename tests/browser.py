"""Open a local HTML file in headless Chromium and report what a person would see.

A minimal Chrome DevTools Protocol client (over ``websockets``): it starts Debian's
``chromium`` with a throw-away profile and no background networking, loads the page, waits
for ``document.body.dataset.charts`` to leave ``pending``, and collects console errors,
uncaught exceptions, every network request the page made, how many SVG elements each
``.chart`` holds, the fill colours of each chart's marks, and a PNG screenshot.

With ``layout=True`` it also opens every ``<details>`` and looks at the page as a reader
would (:data:`LAYOUT_CHECK`): a table cell or header whose content is wider than its box, a
word (a run of letters and digits) whose characters the browser put on two lines (``request
/ s``, ``203.0.11 / 3.77``), a chart's axis title drawn across its labels, and a page wider
than the window. Each problem is a dict with ``kind`` and ``where``.

With ``tooltips=True`` it hovers the first marks of every chart and records each tooltip
(:data:`HOVER_MARKS`): its text, and the tag names of the elements inside it.

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


#: Finds what a reader would trip over (see the module docstring); returns a list of dicts.
LAYOUT_CHECK = r"""
(() => {
  const problems = [];
  const where = (el) => {
    const section = el.closest('section');
    return (section ? section.id : '?') + ' ' + el.tagName.toLowerCase() + ' '
      + JSON.stringify(el.textContent.slice(0, 80));
  };
  document.querySelectorAll('th, td').forEach((cell) => {
    if (cell.scrollWidth > cell.clientWidth + 1) {
      problems.push({kind: 'overflow', where: where(cell),
                     detail: cell.scrollWidth + ' > ' + cell.clientWidth});
    }
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const words = /[A-Za-z0-9]+/g;
      for (let m = words.exec(node.data); m; m = words.exec(node.data)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const lines = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)));
        if (lines.size > 1) {
          problems.push({kind: 'mid-word', where: where(cell), detail: m[0]});
        }
      }
    }
  });
  const overlaps = (a, b) => !(a.right <= b.left || a.left >= b.right
                               || a.bottom <= b.top || a.top >= b.bottom);
  document.querySelectorAll('.chart').forEach((chart) => {
    chart.querySelectorAll('.role-axis').forEach((axis) => {
      const title = axis.querySelector('.role-axis-title text');
      if (!title) return;
      const box = title.getBoundingClientRect();
      const hit = Array.from(axis.querySelectorAll('.role-axis-label text'))
        .filter((label) => overlaps(box, label.getBoundingClientRect()));
      if (hit.length) {
        problems.push({kind: 'axis-title-overlap', where: chart.id + ' ' + title.textContent,
                       detail: hit.map((label) => label.textContent).join(' | ')});
      }
    });
  });
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth) {
    problems.push({kind: 'page-overflow', where: 'page',
                   detail: page.scrollWidth + ' > ' + window.innerWidth});
  }
  return problems;
})()
"""

#: Hovers up to 12 marks of each chart; returns what each tooltip showed.
HOVER_MARKS = r"""
(async () => {
  const seen = [];
  for (const chart of document.querySelectorAll('.chart')) {
    const marks = Array.from(chart.querySelectorAll('.role-mark path, .role-mark rect'));
    for (const mark of marks.slice(0, 12)) {
      const box = mark.getBoundingClientRect();
      const at = {bubbles: true, view: window,
                  clientX: box.left + box.width / 2, clientY: box.top + box.height / 2};
      for (const type of ['pointerover', 'mouseover', 'pointermove', 'mousemove']) {
        mark.dispatchEvent(new MouseEvent(type, at));
      }
      await new Promise((done) => setTimeout(done, 150));
      const tip = document.getElementById('vg-tooltip-element');
      if (tip) {
        seen.push({chart: chart.id, text: tip.textContent,
                   tags: Array.from(tip.querySelectorAll('*'), (e) => e.tagName.toLowerCase())});
      }
    }
  }
  return seen;
})()
"""

_OPEN_DETAILS = "document.querySelectorAll('details').forEach((d) => { d.open = true; }); true"

_FILLS = r"""
Object.fromEntries(Array.from(document.querySelectorAll('.chart'), (chart) => [chart.id,
  Array.from(new Set(Array.from(chart.querySelectorAll('.role-mark path, .role-mark rect'),
                                (mark) => (mark.getAttribute('fill') || '').toLowerCase())))]))
"""


@dataclass
class PageVisit:
    charts_state: str | None = None
    chart_elements: list[int] = field(default_factory=list)
    #: Chart id -> the distinct fill colours of its marks (``#d62728``).
    chart_fills: dict[str, list[str]] = field(default_factory=dict)
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    #: What :data:`LAYOUT_CHECK` found (only with ``layout=True``).
    layout_problems: list[dict[str, str]] = field(default_factory=list)
    #: What hovering the charts' marks showed (only with ``tooltips=True``).
    tooltips: list[dict[str, Any]] = field(default_factory=list)
    #: Whether the page set ``window.pwned`` (what the hostile-value tests' payloads do).
    pwned: bool = False
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
    # Chromium's helper processes may still write to the profile while it is removed.
    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as profile:
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


def visit(
    path: Path,
    *,
    width: int = 1200,
    height: int = 1600,
    wait: float = 30.0,
    layout: bool = False,
    tooltips: bool = False,
) -> PageVisit:
    """Load ``path`` at ``width`` CSS pixels and collect what happened (see the module
    docstring)."""
    binary = chromium_or_skip()
    with _browser(binary) as endpoint:
        with urllib.request.urlopen(f"{endpoint}/json/list", timeout=10) as response:
            targets = json.load(response)
        page = next(t for t in targets if t.get("type") == "page")
        from websockets.sync.client import connect

        with connect(page["webSocketDebuggerUrl"], max_size=1 << 26, open_timeout=10) as socket:
            return _load(_Cdp(socket), path, width, height, wait, layout, tooltips)


def _load(
    cdp: _Cdp,
    path: Path,
    width: int,
    height: int,
    wait: float,
    layout: bool = False,
    tooltips: bool = False,
) -> PageVisit:
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
    result.chart_fills = _evaluate(cdp, _FILLS)
    if layout:
        _evaluate(cdp, _OPEN_DETAILS)
        result.layout_problems = _evaluate(cdp, LAYOUT_CHECK)
    if tooltips:
        reply = cdp.call(
            "Runtime.evaluate", expression=HOVER_MARKS, awaitPromise=True, returnByValue=True
        )
        result.tooltips = reply.get("result", {}).get("value") or []
    result.pwned = bool(_evaluate(cdp, "Boolean(window.pwned)"))
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

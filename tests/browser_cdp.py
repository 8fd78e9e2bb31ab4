"""A small Chrome DevTools Protocol client over `--remote-debugging-pipe` (commands on fd 3, replies
on fd 4, each a JSON message ended by NUL), enough to drive the board report as a reader does: run a
script in the page (a click, typing into the search box), wait for a condition, and collect what the
page reported (script errors, console calls, Content-Security-Policy refusals)."""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import time
from pathlib import Path
from typing import Any


class Browser:
    """One headless chromium, driven through the pipe."""

    def __init__(self, chromium: Path, profile: Path, flags: tuple[str, ...]) -> None:
        command_read, self.command_write = os.pipe()
        self.reply_read, reply_write = os.pipe()

        def wire() -> None:  # in the child, before exec: the pipe ends on fd 3 and fd 4
            os.dup2(command_read, 3)
            os.dup2(reply_write, 4)

        self.process = subprocess.Popen(
            [str(chromium), *flags, f"--user-data-dir={profile}", "--remote-debugging-pipe"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            pass_fds=(3, 4),
            preexec_fn=wire,
        )
        os.close(command_read)
        os.close(reply_write)
        self.buffer = b""
        self.last = 0
        self.events: list[dict[str, Any]] = []

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 60,
    ) -> dict[str, Any]:
        self.last += 1
        message: dict[str, Any] = {"id": self.last, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.command_write, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self.buffer:
                raw, self.buffer = self.buffer.split(b"\0", 1)
                reply = json.loads(raw)
                if reply.get("id") == self.last:
                    if "error" in reply:
                        raise RuntimeError(f"{method}: {reply['error']}")
                    result: dict[str, Any] = reply["result"]
                    return result
                self.events.append(reply)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(method)
            ready, _, _ = select.select([self.reply_read], [], [], left)
            if ready:
                chunk = os.read(self.reply_read, 1 << 20)
                if not chunk:
                    raise RuntimeError("the browser closed the pipe")
                self.buffer += chunk

    def close(self) -> str:
        """Close the browser; what it wrote on stderr."""
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.send("Browser.close", timeout=10)
        try:
            _, err = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        os.close(self.command_write)
        os.close(self.reply_read)
        return err or ""


class Page:
    """A tab showing one URL, once its script has written its status."""

    def __init__(self, browser: Browser, url: str) -> None:
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.session: str = attached["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.send(f"{domain}.enable")
        self.send("Page.navigate", {"url": url})
        self.wait(
            "document.readyState === 'complete' && document.getElementById('report-status')"
            " && document.getElementById('report-status').dataset.status !== 'static'",
            timeout=120,
        )

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, session=self.session)

    def eval(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True}
        )
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    def wait(self, condition: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not self.eval(f"Boolean({condition})"):
            if time.monotonic() > deadline:
                raise TimeoutError(condition)
            time.sleep(0.05)

    def problems(self) -> list[str]:
        """Script errors, console calls and CSP refusals the page reported."""
        found = []
        for event in self.browser.events:
            if event.get("sessionId") != self.session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(str(params["exceptionDetails"].get("exception", {}).get("description")))
            elif method == "Runtime.consoleAPICalled":
                found.append(" ".join(str(arg.get("value")) for arg in params["args"]))
            elif method == "Log.entryAdded":
                found.append(str(params["entry"]["text"]))
        return found

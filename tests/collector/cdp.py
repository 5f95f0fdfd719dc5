# SPDX-License-Identifier: Apache-2.0
"""cdp.py - Debian's headless Chromium driven over the DevTools protocol,
for dashboard tests that must act on the page (type into a form, reload)
rather than only read what it drew (test_dashboard.py's --dump-dom).

The browser is started with --remote-debugging-pipe: it reads commands
from file descriptor 3 and writes replies and events to 4, each a JSON
message ended by a NUL byte, so no port is opened and only the standard
library is needed.  Every wait has a deadline, and the browser is killed
when the context manager ends, whatever happened."""
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

from harness import fail


class Browser:
    """One headless Chromium with one page; use as a context manager."""

    def __init__(self, timeout=20):
        self.timeout = timeout  # seconds any one command may take
        self.proc = None
        self.profile = None
        self.buf = b""
        self.next_id = 0
        self.session = None

    def __enter__(self):
        self.profile = tempfile.mkdtemp(prefix="cnsm-chromium-")
        to_browser, from_us = os.pipe()
        to_us, from_browser = os.pipe()
        # The child's descriptors 3 and 4 must be these pipes: dup them
        # above 4 first so that dup2 onto 3 and 4 cannot clobber them.
        high = [os.dup(to_browser), os.dup(from_browser)]
        while min(high) <= 4:
            high = [os.dup(fd) for fd in high]

        def child_fds():
            os.dup2(high[0], 3)
            os.dup2(high[1], 4)

        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
             "--user-data-dir=" + self.profile, "--window-size=1280,1600",
             "--remote-debugging-pipe", "about:blank"],
            preexec_fn=child_fds, close_fds=False, start_new_session=True,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        for fd in [to_browser, from_browser] + high:
            os.close(fd)
        self.wfd, self.rfd = from_us, to_us
        pages = [t for t in self.call("Target.getTargets")["targetInfos"] if t["type"] == "page"]
        if not pages:
            fail("chromium opened no page")
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": pages[0]["targetId"], "flatten": True})["sessionId"]
        return self

    def __exit__(self, *exc):
        try:
            try:
                self.call("Browser.close")
                self.proc.wait(timeout=10)
            except (AssertionError, OSError, subprocess.TimeoutExpired):
                pass
            # Whatever is left of this browser's own process group.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(timeout=10)
        finally:
            os.close(self.wfd)
            os.close(self.rfd)
            shutil.rmtree(self.profile, ignore_errors=True)
        return False

    def _receive(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            ready = select.select([self.rfd], [], [], max(0.0, left))[0]
            if not ready:
                fail("chromium did not answer in %d s" % self.timeout)
            data = os.read(self.rfd, 1 << 16)
            if not data:
                self.log.seek(0)
                fail("chromium exited:\n" + self.log.read()[-3000:].decode(errors="replace"))
            self.buf += data
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, page=False):
        """Sends a command (to the page if page) and returns its result."""
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if page:
            msg["sessionId"] = self.session
        os.write(self.wfd, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + self.timeout
        while True:
            reply = self._receive(deadline)  # events in between are not needed
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    fail("%s: %s" % (method, reply["error"]))
                return reply["result"]

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page (awaited)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True}, page=True)
        if "exceptionDetails" in result:
            fail("%s: %s" % (expression, result["exceptionDetails"]))
        return result["result"].get("value")

    def goto(self, url):
        self.call("Page.navigate", {"url": url}, page=True)

    def reload(self):
        self.call("Page.reload", {"ignoreCache": True}, page=True)

    def type_text(self, text):
        """Types into the focused element, as a keyboard would."""
        self.call("Input.insertText", {"text": text}, page=True)

    def press_enter(self):
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", {
                "type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13,
                "text": "\r" if kind == "keyDown" else ""}, page=True)

    def wait_for(self, expression, what, timeout=15):
        """Polls a JavaScript expression until it is truthy; returns it."""
        deadline = time.time() + timeout
        value = None
        while time.time() < deadline:
            try:
                value = self.evaluate(expression)
            except AssertionError:  # the page is between two documents
                value = None
            if value:
                return value
            time.sleep(0.1)
        fail("%s: not within %d s (last: %r)" % (what, timeout, value))

"""Chromium participants: one browser context each (its own fake camera and microphone, its own
storage), the page's console kept in a log, and the in-page probes the tests read through
`window.arretaCall` (the pages' contract: `peer()`, `publisher()`, `state()`)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect

from support import HarnessError, wait_until

# Added to every page before its own scripts: probes over the pages' RTCPeerConnections, and a
# watcher that notes (in the page's clock, which is the machine's) when media first decodes and
# when the WHIP publisher connects and stops.
PROBES = r"""
(() => {
  const call = () => window.arretaCall;
  const peer = () => { try { return call() && call().peer(); } catch (e) { return null; } };
  const publisher = () => { try { return call() && call().publisher(); } catch (e) { return null; } };
  async function inbound(pc) {
    pc = pc || peer();
    if (!pc) return null;
    const out = { framesDecoded: 0, totalAudioEnergy: 0, audioPackets: 0 };
    (await pc.getStats()).forEach((r) => {
      if (r.type !== 'inbound-rtp') return;
      if (r.kind === 'video') out.framesDecoded = Math.max(out.framesDecoded, r.framesDecoded || 0);
      if (r.kind === 'audio') {
        out.totalAudioEnergy = Math.max(out.totalAudioEnergy, r.totalAudioEnergy || 0);
        out.audioPackets = Math.max(out.audioPackets, r.packetsReceived || 0);
      }
    });
    return out;
  }
  async function selectedPair(pc) {
    pc = pc || peer();
    if (!pc) return null;
    const stats = new Map();
    (await pc.getStats()).forEach((r) => stats.set(r.id, r));
    let pair = null;
    for (const r of stats.values()) {
      if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId);
    }
    if (!pair) {
      for (const r of stats.values()) {
        if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r;
      }
    }
    if (!pair) return null;
    const side = (id) => { const c = stats.get(id) || {}; return { candidateType: c.candidateType, address: c.address, port: c.port, protocol: c.protocol }; };
    return { state: pair.state, nominated: pair.nominated, local: side(pair.localCandidateId), remote: side(pair.remoteCandidateId) };
  }
  async function outbound(pc) {
    pc = pc || publisher();
    if (!pc) return null;
    const out = {};
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'outbound-rtp') out[r.kind] = { packetsSent: r.packetsSent, bytesSent: r.bytesSent, framesEncoded: r.framesEncoded, frameWidth: r.frameWidth, frameHeight: r.frameHeight, framesPerSecond: r.framesPerSecond };
    });
    return { connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState, outbound: out };
  }
  const marks = { firstFrameAt: null, publishedAt: null, unpublishedAt: null, publisherStates: [] };
  let watching = false;
  async function tick() {
    try {
      if (marks.firstFrameAt === null) {
        const media = await inbound();
        if (media && media.framesDecoded > 0) marks.firstFrameAt = Date.now();
      }
      const pub = publisher();
      const state = pub ? pub.connectionState : 'none';
      const last = marks.publisherStates[marks.publisherStates.length - 1];
      if (!last || last.state !== state) marks.publisherStates.push({ state, at: Date.now() });
      if (state === 'connected' && marks.publishedAt === null) marks.publishedAt = Date.now();
      if (marks.publishedAt !== null && marks.unpublishedAt === null && state !== 'connected') marks.unpublishedAt = Date.now();
    } catch (e) { /* the page is not ready yet */ }
  }
  function watch() {
    if (watching) return;
    watching = true;
    const loop = async () => { await tick(); setTimeout(loop, 20); };
    loop();
  }
  window.__arretaTest = { inbound, outbound, selectedPair, watch, marks,
    publisherState: () => { const p = publisher(); return p ? p.connectionState : null; },
    state: () => { try { return call() ? call().state() : null; } catch (e) { return null; } } };
  window.addEventListener('DOMContentLoaded', watch);
})();
"""

RELAY = "try { sessionStorage.setItem('arreta.iceTransportPolicy', 'relay'); } catch (e) {}"

VIEWPORT = {"width": 360, "height": 740}


class Participant:
    def __init__(self, browser: Browser, name: str, log_dir: Path, relay: bool = False,
                 viewport: dict | None = None):
        self.name = name
        self.log_path = log_dir / f"browser-{name}.log"
        self._log = open(self.log_path, "a", buffering=1)
        self.context: BrowserContext = browser.new_context(viewport=viewport or {"width": 1024, "height": 768})
        self.context.add_init_script(PROBES)
        if relay:
            self.context.add_init_script(RELAY)
        self.page: Page = self.context.new_page()
        self._attach(self.page)
        self.closed = False

    def _attach(self, page: Page) -> None:
        page.on("console", lambda m: self.log(f"console.{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.log(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: self.log(f"requestfailed: {r.method} {r.url} {r.failure}"))
        page.on("response", lambda r: self.log(f"{r.status} {r.request.method} {r.url}") if r.status >= 400 else None)
        page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        """Logs the signalling socket's life and the type of each frame (never its token)."""
        url = ws.url.split("?")[0]
        self.log(f"websocket {url}")

        def kind(payload) -> str:
            try:
                return json.loads(payload).get("type", "?")
            except (ValueError, TypeError, AttributeError):
                return "?"
        ws.on("framesent", lambda p: self.log(f"ws sent {kind(p)}"))
        ws.on("framereceived", lambda p: self.log(f"ws received {kind(p)}"))
        ws.on("socketerror", lambda e: self.log(f"ws error {e}"))
        ws.on("close", lambda _: self.log(f"ws closed {url}"))

    def log(self, line: str) -> None:
        if not self._log.closed:
            self._log.write(f"{time.strftime('%H:%M:%S')} {line}\n")

    def dump(self) -> None:
        """What the page's probes know, into its log (for a failed test's report)."""
        try:
            if not self.page.is_closed():
                self.log(f"marks: {json.dumps(self.marks())}")
                self.log(f"peer inbound: {json.dumps(self.inbound())}; selected pair: {json.dumps(self.selected_pair())}")
                self.log(f"publisher: {json.dumps(self.eval('window.__arretaTest.outbound()'))}")
                self.log(f"state: {json.dumps(self.eval('window.__arretaTest.state()'))}")
        except Exception as error:  # noqa: BLE001 - a page that is gone tells nothing more
            self.log(f"(probes unavailable: {error})")

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self.context.close()
            except Exception:  # noqa: BLE001 - the browser may be gone already
                pass
        self._log.close()

    # -- pages ----------------------------------------------------------------------------------

    def open(self, url: str) -> None:
        self.log(f"open {url.split('#')[0]}")
        answer = self.page.goto(url, wait_until="load")
        if answer is None or answer.status != 200:
            raise HarnessError(f"{self.name}: GET {url.split('#')[0]} answered {answer.status if answer else 'nothing'}")

    def pass_device_check(self) -> None:
        """The join page's first step: a camera and a microphone listed, the preview playing, the
        level moving, no device error; then on."""
        page = self.page
        expect(page.locator("#device-check")).to_be_visible(timeout=15000)
        wait_until(f"{self.name}: a camera and a microphone listed", lambda: page.evaluate(
            "document.querySelectorAll('select#camera option').length > 0 && "
            "document.querySelectorAll('select#microphone option').length > 0"), 15)
        wait_until(f"{self.name}: the preview plays the camera", lambda: page.evaluate(
            "(() => { const v = document.querySelector('video#preview'); return !!v && !!v.srcObject && v.videoWidth > 0; })()"), 15)
        wait_until(f"{self.name}: the microphone level moves", lambda: page.evaluate(
            "(() => { const m = document.querySelector('meter#mic-level'); return !!m && Number(m.value) > 0; })()"), 15, 0.05)
        error = page.locator("#device-error")
        if error.count() and error.is_visible():
            text = error.inner_text().strip()
            assert not text, f"{self.name}: device error shown: {text!r}"
        page.click("button#devices-ok")

    def sign_in_if_asked(self, token: str) -> None:
        """The clerk page takes the token from the fragment; if it still shows its sign-in, use it."""
        signin = self.page.locator("#signin")
        try:
            signin.wait_for(state="visible", timeout=1500)
        except Exception:  # noqa: BLE001 - no sign-in step shown: signed in from the fragment
            return
        if self.page.locator("textarea#staff-token").is_visible():
            self.page.fill("textarea#staff-token", token)
            self.page.click("button#signin")

    # -- media ----------------------------------------------------------------------------------

    def eval(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)

    def watch(self) -> None:
        self.eval("window.__arretaTest.watch()")

    def marks(self) -> dict:
        return self.eval("JSON.parse(JSON.stringify(window.__arretaTest.marks))")

    def inbound(self) -> dict | None:
        return self.eval("window.__arretaTest.inbound()")

    def wait_media(self, timeout: float = 30) -> dict:
        """Video decoded and audio heard from the other participant (getStats on `peer()`)."""
        return wait_until(
            f"{self.name}: video decoded and audio heard from the other side",
            lambda: (lambda m: m if m and m["framesDecoded"] > 0 and m["totalAudioEnergy"] > 0 else None)(self.inbound()),
            timeout,
        )

    def first_frame_at(self, timeout: float = 30) -> float:
        return wait_until(f"{self.name}: a first decoded frame", lambda: self.marks()["firstFrameAt"], timeout, 0.05)

    def published_at(self, timeout: float = 30) -> float:
        return wait_until(f"{self.name}: the WHIP publisher connected (states {self._states()})",
                          lambda: self.marks()["publishedAt"], timeout, 0.05)

    def _states(self) -> str:
        try:
            return json.dumps(self.marks()["publisherStates"])
        except Exception:  # noqa: BLE001
            return "?"

    def selected_pair(self) -> dict | None:
        return self.eval("window.__arretaTest.selectedPair()")

    def expect_recording(self, on: bool, timeout: float = 20000) -> None:
        expect(self.page.locator("#recording-indicator")).to_have_attribute(
            "data-recording", "on" if on else "off", timeout=timeout)

"""Captures real browsers' WHIP-style SDP offers for the recorder's tests
(media-recorder/tests/fixtures/*.sdp): getUserMedia({audio, video}) with fake devices, an
RTCPeerConnection with sendonly transceivers, createOffer, setLocalDescription, and the local
description once ICE gathering is complete (WHIP sends every candidate in the offer, no trickle).

    .venv-browser/bin/python tests/browser/capture_offers.py [--out DIR] [--no-firefox]

writes chromium-<major>-offer.sdp, chromium-<major>-h264-offer.sdp (VP8 and every other video
codec removed with setCodecPreferences, H264 alone) and, when Debian's firefox-esr is installed,
firefox-esr-offer.sdp (Firefox headless with fake streams, posting its offer to a local
http.server: Playwright drives only its own Firefox builds, which are never downloaded here).
Everything runs on loopback.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "media-recorder" / "tests" / "fixtures"
CHROMIUM = os.environ.get("ARRETA_BROWSER_CHROMIUM", "/usr/bin/chromium")
FIREFOX = os.environ.get("ARRETA_BROWSER_FIREFOX", "/usr/bin/firefox-esr")

# The offer as a WHIP client makes it. `onlyVideo` is a video mimeType to keep alone (or null).
OFFER_JS = r"""
async function whipOffer(onlyVideo) {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  for (const track of stream.getTracks()) {
    const transceiver = pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    if (onlyVideo && track.kind === 'video') {
      const kept = RTCRtpSender.getCapabilities('video').codecs
        .filter((c) => c.mimeType.toLowerCase() === onlyVideo.toLowerCase());
      if (!kept.length) throw new Error('this browser cannot send ' + onlyVideo);
      transceiver.setCodecPreferences(kept);
    }
  }
  const gathered = new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
  });
  await pc.setLocalDescription(await pc.createOffer());
  await Promise.race([gathered, new Promise((r) => setTimeout(r, 10000))]);
  const sdp = pc.localDescription.sdp;
  pc.close();
  stream.getTracks().forEach((t) => t.stop());
  return sdp;
}
"""

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>offer</title></head>
<body><script>%s
whipOffer(null).then(
  (sdp) => fetch('/offer', { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: sdp }),
  (e) => fetch('/offer', { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'ERROR ' + e }));
</script></body></html>""" % OFFER_JS


class _Server:
    """A loopback http.server giving the capture page and taking the offer it posts."""

    def __init__(self) -> None:
        self.offers: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                body = PAGE.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                outer.offers.append(self.rfile.read(length).decode())
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def normalise(sdp: str) -> str:
    """CRLF line ends, as on the wire."""
    return "\r\n".join(sdp.replace("\r\n", "\n").rstrip("\n").split("\n")) + "\r\n"


def chromium_offers(browser=None) -> tuple[str, dict[str, str]]:
    """Chromium's offers: (major version, {"vp8": sdp, "h264": sdp}), with `browser` (a
    Playwright Chromium) or one launched here."""
    if browser is not None:
        return _chromium_offers(browser)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                  "--allow-loopback-in-peer-connection"])
        try:
            return _chromium_offers(browser)
        finally:
            browser.close()


def _chromium_offers(browser) -> tuple[str, dict[str, str]]:
    server = _Server()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.url + "blank")  # a secure context (loopback) for getUserMedia
        page.add_script_tag(content=OFFER_JS + "\nwindow.whipOffer = whipOffer;")
        offers = {
            "vp8": page.evaluate("whipOffer(null)"),
            "h264": page.evaluate("whipOffer('video/H264')"),
        }
    finally:
        context.close()
        server.close()
    return browser.version.split(".")[0], {k: normalise(v) for k, v in offers.items()}


def firefox_offer(timeout: float = 60) -> tuple[str, str]:
    """Debian's Firefox ESR's offer: (version, sdp)."""
    version = subprocess.run([FIREFOX, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    server = _Server()
    profile = Path(tempfile.mkdtemp(prefix="arreta-firefox-"))
    prefs = {
        "media.navigator.streams.fake": True,
        "media.navigator.permission.disabled": True,
        "media.peerconnection.ice.loopback": True,
        "browser.shell.checkDefaultBrowser": False,
        "browser.startup.homepage_override.mstone": "ignore",
        "datareporting.policy.dataSubmissionEnabled": False,
        "toolkit.telemetry.reportingpolicy.firstRun": False,
        "app.update.enabled": False,
        "network.captive-portal-service.enabled": False,
        "network.connectivity-service.enabled": False,
        "extensions.update.enabled": False,
        "browser.safebrowsing.malware.enabled": False,
        "browser.safebrowsing.phishing.enabled": False,
        "browser.safebrowsing.downloads.enabled": False,
        "browser.discovery.enabled": False,
        "browser.newtabpage.enabled": False,
        "browser.topsites.contile.enabled": False,
        "network.dns.disablePrefetch": True,
        "network.prefetch-next": False,
    }
    (profile / "user.js").write_text("".join(f'user_pref("{k}", {json.dumps(v)});\n' for k, v in prefs.items()))
    process = subprocess.Popen(
        [FIREFOX, "--headless", "--no-remote", "--profile", str(profile), server.url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        env={**os.environ, "MOZ_HEADLESS": "1"},
    )
    try:
        deadline = time.monotonic() + timeout
        while not server.offers:
            if process.poll() is not None:
                raise RuntimeError(f"firefox-esr exited with {process.returncode} before posting its offer")
            if time.monotonic() > deadline:
                raise RuntimeError(f"firefox-esr posted no offer within {timeout:.0f} s")
            time.sleep(0.1)
        offer = server.offers[0]
        if offer.startswith("ERROR"):
            raise RuntimeError(f"firefox-esr: {offer}")
        return version, normalise(offer)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait(10)
        server.close()
        shutil.rmtree(profile, ignore_errors=True)


def describe(sdp: str) -> dict:
    """What a WHIP offer holds: its m-lines with directions and codecs, and its candidates."""
    sections = re.split(r"\r\n(?=m=)", sdp)
    media = []
    for section in sections[1:]:
        kind = section.split(" ", 1)[0][2:]
        codecs = re.findall(r"a=rtpmap:\d+ ([^/\r\n]+)/", section)
        direction = next((d for d in ("sendonly", "sendrecv", "recvonly", "inactive") if f"a={d}" in section), None)
        media.append({"kind": kind, "direction": direction, "codecs": codecs,
                      "candidates": len(re.findall(r"^a=candidate:", section, re.MULTILINE))})
    return {"media": media, "end_of_candidates": "a=end-of-candidates" in sdp}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=FIXTURES)
    parser.add_argument("--no-firefox", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    major, offers = chromium_offers()
    written = {
        f"chromium-{major}-offer.sdp": offers["vp8"],
        f"chromium-{major}-h264-offer.sdp": offers["h264"],
    }
    if not args.no_firefox:
        if Path(FIREFOX).exists():
            version, offer = firefox_offer()
            print(f"captured {version}")
            written["firefox-esr-offer.sdp"] = offer
        else:
            print(f"{FIREFOX} is not installed (apt-get install firefox-esr): no Firefox offer", file=sys.stderr)
    for name, sdp in written.items():
        (args.out / name).write_text(sdp, newline="")
        print(f"{args.out / name}: {json.dumps(describe(sdp))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Figures of the booking page in Chromium, printed with the run's figures: the bytes a whole
booking transfers on a first visit and with a warm cache (CDP `Network.loadingFinished`'s
encodedDataLength), the time until the page is usable (the procedure list drawn and focusable),
and the proof of work's median solve time at the configured difficulty. Each figure is also
checked for what it must show (cached assets not fetched again, every nonce right)."""

from __future__ import annotations

import hashlib
import statistics

from playwright.sync_api import expect

from citizens import CITIZEN, book_in_page
from participants import VIEWPORT
from support import random_dni

# When the page became usable: the procedure list drawn (`data-ready`) and its first choice
# able to take the focus, in ms since the navigation started.
READY_PROBE = r"""
(() => {
  const seen = () => {
    const first = document.querySelector('#procedure-list input');
    if (document.body?.dataset.ready !== 'true' || !first) return false;
    first.focus();
    const focusable = document.activeElement === first;
    first.blur();
    return focusable;
  };
  const watch = () => {
    if (seen()) { window.__usableAt = performance.now(); return; }
    new MutationObserver((_, observer) => {
      if (window.__usableAt === undefined && seen()) {
        window.__usableAt = performance.now();
        observer.disconnect();
      }
    }).observe(document.documentElement, { attributes: true, childList: true, subtree: true });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch);
  else watch();
})();
"""


class Transfer:
    """What the page's network transferred (encoded bytes), by URL, from CDP's events."""

    def __init__(self, context, page):
        self.cdp = context.new_cdp_session(page)
        self.urls: dict[str, str] = {}
        self.bytes: dict[str, int] = {}
        self.cdp.on("Network.requestWillBeSent", lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        self.cdp.on("Network.loadingFinished", lambda e: self.bytes.__setitem__(
            e["requestId"], self.bytes.get(e["requestId"], 0) + int(e.get("encodedDataLength", 0))))
        self.cdp.send("Network.enable")

    def reset(self) -> None:
        self.urls.clear()
        self.bytes.clear()

    def total(self) -> int:
        return sum(self.bytes.values())

    def assets(self) -> int:
        """Bytes of the hashed assets (scripts, style) fetched over the network."""
        return sum(n for rid, n in self.bytes.items() if "/app/assets/" in self.urls.get(rid, ""))


def test_booking_page_figures(make_stack, participants, figure):
    stack = make_stack(recorder=False)
    person = participants("citizen", stack.dir, viewport=VIEWPORT)
    page = person.page
    person.context.add_init_script(READY_PROBE)
    transfer = Transfer(person.context, page)

    # First visit: nothing cached.
    first = book_in_page(page, stack, "eu", citizen=CITIZEN | {"national_id": random_dni(), "email": "a@example.org"})
    cold_bytes, cold_assets = transfer.total(), transfer.assets()
    # A warm cache: the same browser books again (someone else, as the limits want).
    transfer.reset()
    book_in_page(page, stack, "eu", citizen=CITIZEN | {"national_id": random_dni(), "email": "b@example.org"})
    warm_bytes, warm_assets = transfer.total(), transfer.assets()
    assert first.request and cold_assets > 0, "the first visit fetched the page's assets"
    assert warm_assets == 0, f"hashed assets are cached for a year, yet {warm_assets} bytes of them came again"
    assert warm_bytes < cold_bytes
    figure(f"booking flow transferred {cold_bytes / 1024:.1f} KiB on a first visit "
           f"({cold_assets / 1024:.1f} KiB of assets), {warm_bytes / 1024:.1f} KiB with a warm cache")

    # Usable: the procedure list drawn and focusable, cold (a new context) and warm (5 loads).
    cold_context = person.context.browser.new_context(viewport=VIEWPORT)
    try:
        cold_context.add_init_script(READY_PROBE)
        cold = cold_context.new_page()
        cold.goto(f"{stack.api.url}/app/eu/book", wait_until="load")
        cold.wait_for_function("window.__usableAt !== undefined", timeout=15000)
        cold_ms = cold.evaluate("window.__usableAt")
    finally:
        cold_context.close()
    warm_ms = []
    for _ in range(5):
        page.goto(f"{stack.api.url}/app/eu/book", wait_until="load")
        page.wait_for_function("window.__usableAt !== undefined", timeout=15000)
        warm_ms.append(page.evaluate("window.__usableAt"))
    expect(page.locator("#procedure-list input").first).to_be_enabled()
    figure(f"booking page usable (procedures drawn and focusable) after {cold_ms:.0f} ms cold, "
           f"median {statistics.median(warm_ms):.0f} ms warm (5 loads)")

    # The proof of work: ten fresh challenges solved by the page's worker.
    solves = page.evaluate("""async () => {
      const out = [];
      for (let i = 0; i < 10; i++) out.push(await window.arretaProof.obtain());
      return out;
    }""")
    assert len(solves) == 10
    for solve in solves:
        bits = solve["difficulty"]
        text = f"{solve['proof']['challenge']}:{solve['proof']['nonce']}"
        digest = int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
        assert digest >> (256 - bits) == 0, f"{text} does not start with {bits} zero bits"
        # The smallest such nonce: as many attempts as the nonce plus one.
        assert solve["attempts"] == int(solve["proof"]["nonce"]) + 1
    times = [s["ms"] for s in solves]
    figure(f"proof of work at {solves[0]['difficulty']} bits: median {statistics.median(times):.0f} ms "
           f"(min {min(times):.0f}, max {max(times):.0f}) over 10 solves, "
           f"median {statistics.median(s['attempts'] for s in solves):.0f} hashes")

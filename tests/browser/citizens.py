"""The citizen's pages as people use them (book, manage, upload, sign), the mail they are sent
(links and the signing code, read from the files the mail sender writes), and what the clerk does
meanwhile through the API (ask for documents, review them, identify the citizen, prepare a
signature)."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

from support import HarnessError, Stack, http, wait_until

CITIZEN = {
    "name": "Miren Etxeberria Ruiz",
    "national_id": "12345678Z",
    "email": "miren@example.org",
    "phone": "600123456",
}


# Every Content-Security-Policy refusal the page meets, kept for the test to look at: a page
# that works only because a refusal went unnoticed (a worker, a Blob frame) would fail here.
CSP_WATCH = r"""
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} refused ${e.blockedURI}`);
});
"""


def csp_violations(page: Page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


# ---------------------------------------------------------------------------------------------
# Mail


@dataclass
class Mail:
    path: Path
    kind: str
    request: str
    text: str


def mails(stack: Stack, request: str, kind: str | None = None) -> list[Mail]:
    """The messages written for `request` (of `kind` when given), oldest first."""
    found = []
    for path in sorted(stack.mail_dir.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message.get("X-Arreta-Request", "").strip() != request:
            continue
        this_kind = message.get("X-Arreta-Notification", "").strip()
        if kind and this_kind != kind:
            continue
        text = "\n".join(part.get_content() for part in message.walk()
                         if part.get_content_type() == "text/plain")
        found.append(Mail(path, this_kind, request, text))
    return found


def mailed_link(stack: Stack, request: str, page: str, kind: str, timeout: float = 30) -> str:
    """The latest `{public_url}/{lang}/{page}/{request}[?…]#token` link in a `kind` message."""
    pattern = re.compile(re.escape(stack.public_url) + r"/(?:eu|es)/" + re.escape(page) + "/"
                         + re.escape(request) + r"(?:\?[^#\s]*)?#[A-Za-z0-9_.\-]+")

    def found() -> str | None:
        links = [m.group(0) for mail in mails(stack, request, kind) for m in [pattern.search(mail.text)] if m]
        return links[-1] if links else None

    return wait_until(f"a {kind} message for {request} with its {page} link", found, timeout, 0.2)


def mailed_code(stack: Stack, request: str, timeout: float = 30) -> str:
    """The six-digit code of the latest sign-code message (`Kodea:` / `Código:`)."""
    def found() -> str | None:
        for mail in reversed(mails(stack, request, "sign_code")):
            match = re.search(r"^(?:Kodea|Código):\s*(\d{6})\s*$", mail.text, re.MULTILINE)
            if match:
                return match.group(1)
        return None

    return wait_until(f"the signing code for {request}", found, timeout, 0.2)


# ---------------------------------------------------------------------------------------------
# The clerk, through the API


class Clerk:
    def __init__(self, stack: Stack):
        self.stack = stack
        self.token = stack.token("clerk", "clerk-07")

    def _post(self, path: str, body: dict, expect_status: int = 200) -> dict:
        answer = http("POST", f"{self.stack.api.url}{path}", token=self.token, body=body)
        if answer.status != expect_status:
            raise HarnessError(f"POST {path}: {answer}")
        return answer.json()

    def ask_documents(self, request: str, labels: list[tuple[str, str]], due_in: dt.timedelta) -> dict:
        due = (dt.datetime.now(dt.timezone.utc) + due_in).replace(microsecond=0)
        return self._post(f"/v1/requests/{request}/document-requests",
                          {"documents": [{"eu": eu, "es": es} for eu, es in labels], "due_at": due.isoformat()})

    def documents(self, request: str) -> dict:
        answer = http("GET", f"{self.stack.api.url}/v1/requests/{request}/documents", token=self.token)
        if answer.status != 200:
            raise HarnessError(f"GET documents: {answer}")
        return answer.json()

    def review(self, request: str, document: str, accepted: bool, reason: str | None = None) -> dict:
        body = {"accepted": accepted} | ({"reason": reason} if reason else {})
        return self._post(f"/v1/requests/{request}/documents/{document}/review", body)

    def identify(self, request: str, citizen: dict = CITIZEN) -> dict:
        expires = (dt.date.today() + dt.timedelta(days=700)).isoformat()
        return self._post(f"/v1/requests/{request}/identity", {
            "method": "document_on_camera",
            "document": {"kind": "dni", "national_id": citizen["national_id"], "name": citizen["name"],
                         "expires_on": expires},
        })

    def prepare_signature(self, request: str, facts: str, petition: str) -> dict:
        return self._post(f"/v1/requests/{request}/signatures", {
            "kind": "request",
            "form": {"facts": facts, "petition": petition, "place": "Vitoria-Gasteiz"},
            "addressee": "Erregistro Orokorra / Registro General",
            "method": "one_time_code",
        }, expect_status=201)


# ---------------------------------------------------------------------------------------------
# Files


def small_pdf(text: str) -> bytes:
    """A small but real PDF (one page, one line of text) with a correct cross-reference table."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# ---------------------------------------------------------------------------------------------
# The booking page


@dataclass
class Booked:
    request: str
    start: str
    manage_href: str


def book_in_page(page: Page, stack: Stack, lang: str, procedure: str = "PADRON-ALTA", day: int = 1,
                 time: int = 0, citizen: dict = CITIZEN) -> Booked:
    """Books from the page alone: procedure, day `day` and its time `time` (indexes among those
    shown), the details, and the receipt."""
    answer = page.goto(f"{stack.api.url}/app/{lang}/book", wait_until="load")
    assert answer and answer.status == 200, answer
    page.locator(f"#procedure-{procedure}").check()
    page.click("#procedure-next")
    expect(page.locator("#time-title")).to_be_focused()
    # The choice rides in the query, and the language switch keeps it.
    other = "es" if lang == "eu" else "eu"
    expect(page.locator(f"a[hreflang={other}]")).to_have_attribute(
        "href", re.compile(rf"/app/{other}/book\?procedure={procedure}$"))
    days = page.locator("#book-day-list input[type=radio]")
    wait_until("the proposed days", lambda: days.count() > day, 30)
    days.nth(day).check()
    times = page.locator("#book-time-list input[type=radio]")
    wait_until("the proposed times", lambda: times.count() > time, 10)
    times.nth(time).check()
    start = times.nth(time).get_attribute("value")
    page.click("#time-next")
    expect(page.locator("#details-title")).to_be_focused()
    expect(page.locator(f"#language-{lang}")).to_be_checked()
    page.fill("#name", citizen["name"])
    page.fill("#national-id", citizen["national_id"])
    page.fill("#email", citizen["email"])
    page.fill("#phone", citizen["phone"])
    page.click("#book-submit")
    expect(page.locator("#receipt-title")).to_be_focused(timeout=60000)
    request = page.locator("body").get_attribute("data-request")
    href = page.locator("#receipt-manage").get_attribute("href")
    assert request and href and f"/{lang}/manage/{request}#" in href, href
    return Booked(request, start, href)

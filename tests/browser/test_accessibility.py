"""axe-core (axe-playwright-python, which ships it) on the join page at each step and on the clerk
page, and on the citizen's book, manage ("lost your link?" too), upload and sign pages at each
step, their error states and a void link, in Basque and in Spanish, on a 360×740 phone screen: no
serious or critical violation."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

import datetime as dt

import calls
from citizens import CITIZEN, Clerk, mailed_code, mailed_link, small_pdf
from participants import VIEWPORT
from support import http, random_dni, wait_until

AXE = Axe()


def violations(person, step: str) -> list[str]:
    results = AXE.run(person.page, options={"resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in ("serious", "critical"):
            targets = [" ".join(map(str, node.get("target", []))) for node in violation.get("nodes", [])][:5]
            found.append(f"{person.name} [{step}] {violation['impact']}: {violation['id']} ({violation['help']}) at {targets}")
    return found


@pytest.mark.parametrize("lang", ["eu", "es"])
def test_the_join_and_clerk_pages_have_no_serious_accessibility_violation(make_stack, participants, lang):
    stack = make_stack()
    citizen = participants("citizen", stack.dir, viewport=VIEWPORT)
    clerk = participants("clerk", stack.dir, viewport=VIEWPORT)
    request = stack.book(language=lang)
    found: list[str] = []

    def check(person, step: str) -> None:
        assert person.eval("document.documentElement.lang") == lang, f"{person.name} [{step}]: <html lang>"
        found.extend(violations(person, step))

    try:
        join = stack.join_link(request)
        assert f"/{lang}/join/" in join, join
        citizen.open(join)
        expect(citizen.page.locator("#device-check")).to_be_visible(timeout=15000)
        other = "es" if lang == "eu" else "eu"
        href = citizen.page.locator(f"a[hreflang={other}]").get_attribute("href")
        assert href and f"/{other}/join/{request}" in href, f"the language link to {other}: {href}"
        check(citizen, "device check")
        citizen.pass_device_check()
        expect(citizen.page.locator("#waiting-room")).to_be_visible(timeout=15000)
        check(citizen, "waiting room")
        # The clerk's page before signing in, then signed in with the case summary.
        clerk.open(f"{stack.api.url}/app/{lang}/staff/call/{request}")
        expect(clerk.page.locator("#signin")).to_be_visible(timeout=15000)
        check(clerk, "sign-in")
        token = stack.token("clerk", "clerk-07")
        clerk.page.fill("textarea#staff-token", token)
        clerk.page.click("button#signin")
        expect(clerk.page.locator("#waiting")).to_have_attribute("data-citizen", "waiting", timeout=20000)
        check(clerk, "case and waiting citizen")
        call = calls.Call(stack, request, citizen, clerk, token)
        clerk.page.click("button#call-start")
        for person in call.both:
            person.wait_media(30)
        expect(citizen.page.locator("#consent")).to_be_visible(timeout=10000)
        check(citizen, "in the call, asked for consent")
        check(clerk, "in the call")
        citizen.page.click("button#consent-give")
        for person in call.both:
            person.expect_recording(True, timeout=20000)
            call.published_at[person.name] = person.published_at(20)
        check(citizen, "recording")
        check(clerk, "recording")
        calls.end(call)
        check(citizen, "call ended")
        check(clerk, "call ended")
    finally:
        # What was found before a later step failed is reported too.
        if found:
            print("serious or critical accessibility violations so far:\n" + "\n".join(found))
    assert not found, "serious or critical accessibility violations:\n" + "\n".join(found)


@pytest.mark.parametrize("lang", ["eu", "es"])
def test_the_citizens_pages_have_no_serious_accessibility_violation_at_any_step(make_stack, participants, lang):
    stack = make_stack(recorder=False)
    person = participants("citizen", stack.dir, viewport=VIEWPORT)
    page = person.page
    clerk = Clerk(stack)
    found: list[str] = []

    def check(step: str) -> None:
        assert person.eval("document.documentElement.lang") == lang, f"[{step}]: <html lang>"
        found.extend(violations(person, step))

    try:
        # Booking: each step, and each step's errors.
        person.open(f"{stack.api.url}/app/{lang}/book")
        expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
        check("book: procedure")
        page.click("#procedure-next")
        expect(page.locator("#procedure-error")).to_be_visible()
        check("book: no procedure chosen")
        page.check("#procedure-PADRON-ALTA")
        page.click("#procedure-next")
        wait_until("the proposed days", lambda: page.locator("#book-day-list input").count() > 1, 30)
        page.click("#time-next")
        expect(page.locator("#book-error")).to_be_visible()
        check("book: no day chosen")
        page.locator("#book-day-list input").nth(1).check()
        page.locator("#book-time-list input").first.check()
        check("book: day and time")
        page.click("#time-next")
        page.click("#book-submit")
        expect(page.locator("#name-error")).to_be_visible()
        page.fill("#national-id", "12345678A")
        page.fill("#email", "nor@")
        page.click("#book-submit")
        check("book: details with errors")
        dni = random_dni()
        page.fill("#name", CITIZEN["name"])
        page.fill("#national-id", dni)
        page.fill("#email", CITIZEN["email"])
        page.click("#book-submit")
        expect(page.locator("#receipt-title")).to_be_focused(timeout=60000)
        check("book: receipt")
        request = page.locator("body").get_attribute("data-request")
        # The same person again: the API refuses, and the page says so at the top.
        page.goto(f"{stack.api.url}/app/{lang}/book?procedure=PADRON-ALTA")
        expect(page.locator("#procedure-PADRON-ALTA")).to_be_checked(timeout=15000)
        page.click("#procedure-next")
        wait_until("the proposed days", lambda: page.locator("#book-day-list input").count() > 1, 30)
        page.locator("#book-day-list input").nth(1).check()
        page.locator("#book-time-list input").nth(3).check()
        page.click("#time-next")
        page.fill("#name", CITIZEN["name"])
        page.fill("#national-id", dni)
        page.fill("#email", CITIZEN["email"])
        page.click("#book-submit")
        expect(page.locator("#details-error")).to_be_focused(timeout=60000)
        # The API's own words (409 already-booked, in the page's language) and the way to the link.
        expect(page.locator("#details-error")).to_contain_text("Hitzordua baduzu jada" if lang == "eu" else "Ya tiene una cita")
        expect(page.locator("#details-error a")).to_have_attribute("href", f"/app/{lang}/manage")
        check("book: refused by the API")

        # Lost link: the form, its errors, and its answer.
        person.open(f"{stack.api.url}/app/{lang}/manage")
        check("lost link: form")
        page.click("#lost-submit")
        expect(page.locator("#national-id-error")).to_be_visible()
        check("lost link: errors")
        page.fill("#national-id", dni)
        page.fill("#email", CITIZEN["email"])
        page.click("#lost-submit")
        expect(page.locator("#lost-done-title")).to_be_focused(timeout=15000)
        check("lost link: answered")

        # Manage: the appointment, moving it, the cancel confirmation, the documents.
        clerk.ask_documents(request, [("Errolda-ziurtagiria", "Certificado de empadronamiento")], dt.timedelta(hours=2))
        person.open(mailed_link(stack, request, "manage", "receipt"))
        expect(page.locator("#requested-list li")).to_have_count(1, timeout=15000)
        check("manage: appointment and documents")
        page.click("#reschedule-open")
        wait_until("the days to move to", lambda: page.locator("#move-day-list input").count() > 1, 30)
        page.locator("#move-day-list input").first.check()
        check("manage: choosing another time")
        page.click("#reschedule-back")
        page.click("#cancel-open")
        expect(page.locator("#cancel-title")).to_be_focused()
        check("manage: cancel confirmation")
        page.click("#cancel-keep")

        # Upload: the list, a refused file, a pending and a rejected upload.
        person.open(mailed_link(stack, request, "upload", "upload_link"))
        expect(page.locator("#requested-list li")).to_have_count(1, timeout=15000)
        check("upload: asked")
        page.set_input_files("#upload-file", files=[{"name": "ohar.txt", "mimeType": "text/plain", "buffer": b"kaixo"}])
        page.click("#upload-send")
        expect(page.locator("#upload-file-error")).to_be_visible()
        check("upload: a file of the wrong type")
        page.set_input_files("#upload-file", files=[{"name": "a.pdf", "mimeType": "application/pdf", "buffer": small_pdf("A")}])
        page.click("#upload-send")
        expect(page.locator("#document-list li")).to_have_count(1, timeout=30000)
        check("upload: sent, pending review")
        document = clerk.documents(request)["documents"][0]["id"]
        clerk.review(request, document, False, "Irakurtezina / Ilegible")
        expect(page.locator("#document-list li")).to_have_attribute("data-status", "rejected", timeout=20000)
        expect(page.locator(".replace-document")).to_be_visible()
        check("upload: rejected, to replace")

        # Sign: the document and the code, a wrong code, the receipt.
        clerk.identify(request, CITIZEN | {"national_id": dni})
        clerk.prepare_signature(request, "Egitateak / Hechos", "Eskaera / Solicitud")
        person.open(mailed_link(stack, request, "sign", "sign_code"))
        expect(page.locator("#document-text")).to_be_visible(timeout=15000)
        check("sign: document and code")
        code = mailed_code(stack, request)
        page.fill("#code", "000000" if code != "000000" else "111111")
        page.click("#code-submit")
        expect(page.locator("#code-error")).to_be_visible(timeout=15000)
        check("sign: wrong code")
        page.fill("#code", code)
        page.click("#code-submit")
        expect(page.locator("body")).to_have_attribute("data-state", "registered", timeout=60000)
        check("sign: signed and registered")

        # The check itself sees a fault when there is one: an image without a text.
        page.evaluate("document.querySelector('main').append(Object.assign(document.createElement('img'), {src: 'data:,'}))")
        assert any("image-alt" in line for line in violations(person, "self-check")), "axe found no planted fault"
        # A void link, after the appointment is cancelled.
        answer = http("POST", f"{stack.api.url}/v1/requests/{request}/cancel", token=clerk.token, body={})
        assert answer.status == 200, answer
        for kind, which in (("upload_link", "upload"), ("receipt", "manage"), ("sign_code", "sign")):
            person.open(mailed_link(stack, request, which, kind))
            expect(page.locator("#void")).to_be_visible(timeout=15000)
            check(f"{which}: void link")
    finally:
        if found:
            print("serious or critical accessibility violations so far:\n" + "\n".join(found))
    assert not found, "serious or critical accessibility violations:\n" + "\n".join(found)

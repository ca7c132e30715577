"""The citizen's pages end to end in Chromium: booking from the page alone, the manage link
from the receipt mail (reschedule, cancel with its confirmation), the upload link (a real PDF,
the progress bar, the clerk's review), the sign link (the whole document, the mailed code, the
registry receipt), void links after a cancellation, and a booking made with the keyboard alone."""

from __future__ import annotations

import datetime as dt
import json
import re

from playwright.sync_api import expect

from citizens import CITIZEN, CSP_WATCH, Clerk, book_in_page, csp_violations, mailed_code, mailed_link, small_pdf
from participants import VIEWPORT
from support import http, random_dni, wait_until

WIDE = {"width": 1280, "height": 800}


def no_horizontal_scroll(page) -> None:
    """Usable at the viewport's width: nothing makes the page scroll sideways."""
    width = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width <= 0, f"the page scrolls {width} px sideways"


def test_book_move_upload_and_sign_in_basque_on_a_phone(make_stack, participants):
    stack = make_stack(recorder=False)
    person = participants("citizen", stack.dir, viewport=VIEWPORT)
    person.context.add_init_script(CSP_WATCH)
    page = person.page
    clerk = Clerk(stack)

    # Booked from the page alone; the receipt says what, when, how long and the reference.
    booked = book_in_page(page, stack, "eu")
    no_horizontal_scroll(page)
    expect(page.locator("#receipt-reference")).to_have_text(booked.request)
    expect(page.locator("#receipt-length")).to_have_text("30 minutu")
    assert "2026" in page.locator("#receipt-when").inner_text() or "ko " in page.locator("#receipt-when").inner_text()
    expect(page.locator("#receipt-documents li")).not_to_have_count(0)
    # When the call link comes: the configured lead (30 minutes in the test stack).
    expect(page.locator("#receipt-how")).to_contain_text("30 minutu lehenago")
    with page.expect_download() as download:
        page.click("#receipt-calendar")
    ics = download.value.path().read_text()
    start = dt.datetime.fromisoformat(booked.start.replace("Z", "+00:00"))
    assert f"DTSTART:{start:%Y%m%dT%H%M%SZ}" in ics and f"UID:{booked.request}@" in ics, ics

    # The manage link from the receipt mail: the appointment, then moved to another time.
    manage = mailed_link(stack, booked.request, "manage", "receipt")
    assert "/eu/manage/" in manage
    person.open(manage)
    expect(page.locator("#appointment-reference")).to_have_text(booked.request, timeout=15000)
    assert "#" not in page.url, "the token left the address bar"
    before = page.locator("#appointment-when").inner_text()
    page.click("#reschedule-open")
    expect(page.locator("#reschedule-title")).to_be_focused()
    days = page.locator("#move-day-list input[type=radio]")
    wait_until("the days to move to", lambda: days.count() > 1, 30)
    days.nth(1).check()
    times = page.locator("#move-time-list input[type=radio]")
    wait_until("the times to move to", lambda: times.count() > 2, 10)
    new_start = times.nth(2).get_attribute("value")
    assert new_start != booked.start
    times.nth(2).check()
    page.click("#reschedule-submit")
    expect(page.locator("#appointment-title")).to_be_focused(timeout=15000)
    expect(page.locator("#appointment-state")).to_contain_text("Ordua aldatu da")
    after = page.locator("#appointment-when").inner_text()
    assert after != before, (before, after)
    page.reload()
    expect(page.locator("#appointment-when")).to_have_text(after, timeout=15000)

    # The clerk asks for a document; the upload link comes by mail.
    clerk.ask_documents(booked.request, [("Errolda-ziurtagiria", "Certificado de empadronamiento")],
                        dt.timedelta(hours=2))
    upload = mailed_link(stack, booked.request, "upload", "upload_link")
    person.open(upload)
    expect(page.locator("#requested-list li")).to_have_text(["Errolda-ziurtagiria"], timeout=15000)
    expect(page.locator("#documents-due")).not_to_be_empty()
    pdf = small_pdf("Errolda - Arreta")
    page.set_input_files("#upload-file", files=[{"name": "errolda.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    page.click("#upload-send")
    expect(page.locator("#document-list li")).to_have_count(1, timeout=30000)
    expect(page.locator("#upload-progress")).to_have_js_property("value", 100)
    expect(page.locator("#upload-status")).to_contain_text("errolda.pdf")
    expect(page.locator("#document-list li")).to_have_attribute("data-status", "pending")
    no_horizontal_scroll(page)
    documents = clerk.documents(booked.request)["documents"]
    assert [d["size"] for d in documents] == [len(pdf)], documents
    clerk.review(booked.request, documents[0]["id"], True)
    # The page asks again while something waits for review.
    expect(page.locator("#document-list li")).to_have_attribute("data-status", "accepted", timeout=20000)
    expect(page.locator("#review-status")).to_contain_text("onartu")

    # The clerk identifies the citizen and prepares a request to sign; the sign link and the
    # code come by mail.
    clerk.identify(booked.request)
    facts = "Errolda-ziurtagiria behar dut etxebizitza-laguntza eskatzeko."
    signature = clerk.prepare_signature(booked.request, facts, "Ziurtagiria emateko eskatzen dut.")
    sign = mailed_link(stack, booked.request, "sign", "sign_code")
    assert f"?signature={signature['id']}#" in sign, sign
    code = mailed_code(stack, booked.request)
    person.open(sign)
    expect(page.locator("#document-text")).to_contain_text(facts, timeout=15000)
    # The language switch keeps the path and the query; the token stays out of the address.
    assert "#" not in page.url and f"?signature={signature['id']}" in page.url, page.url
    expect(page.locator("a[hreflang=es]")).to_have_attribute(
        "href", re.compile(rf"/app/es/sign/{booked.request}\?signature={signature['id']}$"))
    expect(page.locator("#code-attempts")).to_contain_text("5")
    no_horizontal_scroll(page)
    wrong = "000000" if code != "000000" else "111111"
    page.fill("#code", wrong)
    page.click("#code-submit")
    expect(page.locator("#code-error")).to_be_visible(timeout=15000)
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#code-attempts")).to_contain_text("4")
    page.fill("#code", code)
    page.click("#code-submit")
    expect(page.locator("#signed-title")).to_be_focused(timeout=15000)
    expect(page.locator("body")).to_have_attribute("data-state", "registered", timeout=60000)
    number = page.locator("#registry-number").inner_text().strip()
    assert re.fullmatch(r"\d+", number), number
    expect(page.locator("#registry-at")).not_to_be_empty()

    # The accepted PDF itself put up for signature: shown whole, framed from a Blob URL (the
    # sign page's policy allows that frame and nothing else).
    assert csp_violations(page) == []
    pdf_signature = clerk._post(f"/v1/requests/{booked.request}/signatures", {
        "kind": "request", "document_id": documents[0]["id"],
        "addressee": "Erregistro Orokorra / Registro General", "method": "one_time_code",
    }, expect_status=201)
    pdf_sign = wait_until("the PDF's sign link", lambda: (lambda link: link if f"signature={pdf_signature['id']}#" in link else None)(
        mailed_link(stack, booked.request, "sign", "sign_code")), 30)
    person.open(pdf_sign)
    frame = page.locator("#document-frame")
    expect(frame).to_be_visible(timeout=15000)
    expect(frame).to_have_attribute("src", re.compile(r"^blob:"))
    expect(page.locator("#document-text")).to_be_hidden()
    assert csp_violations(page) == []

    # The mail lost: the "lost your link?" page sends the manage link again, and it works.
    page.goto(f"{stack.api.url}/app/eu/manage", wait_until="load")
    page.fill("#national-id", CITIZEN["national_id"])
    page.fill("#email", CITIZEN["email"])
    page.click("#lost-submit")
    expect(page.locator("#lost-done-title")).to_be_focused(timeout=15000)
    again = mailed_link(stack, booked.request, "manage", "manage_link")
    # The clerk reads the uploaded document, giving a reason: the citizen sees who, when and why.
    read = http("GET", f"{stack.api.url}/v1/requests/{booked.request}/documents/{documents[0]['id']}/content"
                       "?why=Egiaztatzeko%20hitzorduaren%20aurretik", token=clerk.token)
    assert read.status == 200, read
    person.open(again)
    expect(page.locator("#appointment-when")).to_have_text(after, timeout=15000)
    # The sign page's two reads were the citizen's own; the clerk's read names the clerk.
    accesses = page.locator("#access-list li")
    expect(accesses).to_have_count(3, timeout=15000)
    expect(accesses.filter(has_text="Nork: zuk")).to_have_count(2)
    by_clerk = accesses.filter(has_text="udal-langilea")
    expect(by_clerk).to_have_count(1)
    expect(by_clerk).to_contain_text("errolda.pdf")
    expect(by_clerk).to_contain_text("clerk-07")
    expect(by_clerk).to_contain_text("Zergatik: Egiaztatzeko hitzorduaren aurretik")
    expect(page.locator("#access-none")).to_be_hidden()
    # The citizen's own copy of the case file, saved from the page.
    with page.expect_download() as saved:
        page.click("#case-file-download")
    assert saved.value.suggested_filename == f"arreta-{booked.request}.json"
    case_file = json.loads(saved.value.path().read_text())
    assert case_file["case"]["id"] == booked.request
    # The uploaded PDF and the request the clerk prepared from the form, both signed.
    assert sorted(d["file_name"] for d in case_file["documents"]) == ["errolda.pdf", "eskabidea.txt"], \
        case_file["documents"]
    assert [s["status"] for s in case_file["signatures"]] == ["signed", "pending"], case_file["signatures"]
    assert len(case_file["accesses"]) == 3 and case_file["events"][0]["event_type"] == "AppointmentBooked"
    expect(page.locator("#case-file-status")).to_contain_text(f"arreta-{booked.request}.json")
    assert csp_violations(page) == []

    # Once the clerk closes the case, the manage link still reads it: the outcome, the summary
    # and the registry entry.
    closed = http("POST", f"{stack.api.url}/v1/requests/{booked.request}/close", token=clerk.token, body={
        "outcome": "resolved", "summary": "Ziurtagiria eman da.\nEskerrik asko.", "registry_entry": f"RE-{number}",
    })
    assert closed.status == 200, closed
    page.reload()
    expect(page.locator("#outcome")).to_be_visible(timeout=15000)
    expect(page.locator("#outcome-result")).to_have_text("Ebatzita")
    expect(page.locator("#outcome-summary")).to_contain_text("Ziurtagiria eman da.")
    expect(page.locator("#outcome-registry")).to_have_text(f"RE-{number}")
    expect(page.locator("#appointment-actions")).to_be_hidden()


def test_book_then_cancel_in_spanish_on_a_wide_screen_and_the_links_stop_working(make_stack, participants):
    stack = make_stack(recorder=False)
    person = participants("citizen", stack.dir, viewport=WIDE)
    page = person.page
    clerk = Clerk(stack)
    # The first proof the page sends is refused as the API refuses a used one: the page takes a
    # new challenge and books with that.
    sent: list[str] = []

    def refuse_once(route) -> None:
        sent.append(route.request.post_data_json["proof"]["challenge"])
        if len(sent) > 1:
            route.continue_()
            return
        route.fulfill(status=422, content_type="application/problem+json", body=json.dumps({
            "type": "urn:arreta:problem:challenge-invalid", "title": "La comprobación no es válida",
            "status": 422, "detail": "Esa comprobación ya se usó.", "instance": "/v1/requests"}))

    page.route("**/v1/requests", refuse_once)
    booked = book_in_page(page, stack, "es", citizen=CITIZEN | {"national_id": random_dni()})
    page.unroute("**/v1/requests")
    assert len(sent) == 2 and sent[0] != sent[1], sent
    expect(page.locator("#receipt-length")).to_have_text("30 minutos")
    # The clerk asks for a document, so there is an upload link to try afterwards.
    clerk.ask_documents(booked.request, [("Nortasun-agiria", "Documento de identidad")], dt.timedelta(hours=2))
    upload = mailed_link(stack, booked.request, "upload", "upload_link")
    manage = mailed_link(stack, booked.request, "manage", "receipt")
    assert "/es/manage/" in manage

    person.open(manage)
    expect(page.locator("#appointment-state")).to_have_text("La cita está pedida.", timeout=15000)
    # The manage link reads the documents asked too.
    expect(page.locator("#requested-list li")).to_have_text(["Documento de identidad"])
    # Cancelling asks first; "no" keeps the appointment.
    page.click("#cancel-open")
    expect(page.locator("#cancel-title")).to_be_focused()
    expect(page.locator("#cancel-what")).to_contain_text("Padrón")
    page.click("#cancel-keep")
    expect(page.locator("#appointment-title")).to_be_focused()
    expect(page.locator("body")).to_have_attribute("data-state", "booked")
    page.click("#cancel-open")
    page.click("#cancel-yes")
    expect(page.locator("#appointment-title")).to_be_focused(timeout=15000)
    expect(page.locator("#appointment-state")).to_contain_text("La cita se ha anulado")
    expect(page.locator("body")).to_have_attribute("data-state", "cancelled")
    expect(page.locator("#appointment-actions")).to_be_hidden()
    expect(page.locator("#book-again a")).to_have_attribute("href", re.compile(r"/app/es/book$"))

    # At 200 % zoom (1280×800 seen as 640×400) nothing scrolls sideways.
    page.set_viewport_size({"width": 640, "height": 400})
    no_horizontal_scroll(page)
    page.goto(f"{stack.api.url}/app/es/book", wait_until="load")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)
    no_horizontal_scroll(page)

    # Both links now say they no longer work, and where to get a new one.
    for link in (manage, upload):
        fresh = person.context.new_page()
        fresh.goto(link, wait_until="load")
        expect(fresh.locator("#void")).to_be_visible(timeout=15000)
        expect(fresh.locator("#void-title")).to_be_focused()
        expect(fresh.locator("#void-text")).to_contain_text("anulada")
        expect(fresh.locator("#void a")).to_have_attribute("href", re.compile(r"/app/es/manage$"))
        fresh.close()


def tab_to(page, condition: str, key: str = "Tab", presses: int = 40) -> None:
    """Presses `key` until `condition` (JS over `document.activeElement`, as `e`) holds."""
    for _ in range(presses):
        if page.evaluate(f"(() => {{ const e = document.activeElement; return !!({condition}); }})()"):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{key} never reached {condition}")


def test_a_booking_made_with_the_keyboard_alone_on_a_phone(make_stack, participants):
    stack = make_stack(recorder=False)
    person = participants("citizen", stack.dir, viewport=VIEWPORT)
    person.context.add_init_script(CSP_WATCH)
    page = person.page
    person.open(f"{stack.api.url}/app/eu/book")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15000)

    # The skip link comes first and takes the focus to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    # Procedure: into the group, arrows to PADRON-ALTA, Space to choose it.
    tab_to(page, "e.name === 'procedure'")
    tab_to(page, "e.value === 'PADRON-ALTA'", key="ArrowDown", presses=10)
    page.keyboard.press("Space")
    expect(page.locator("#procedure-PADRON-ALTA")).to_be_checked()
    tab_to(page, "e.id === 'procedure-next'")
    page.keyboard.press("Enter")
    expect(page.locator("#time-title")).to_be_focused()

    # Day: the second one proposed, by arrow; then its first time.
    wait_until("the proposed days", lambda: page.locator("#book-day-list input").count() > 1, 30)
    tab_to(page, "e.name === 'book-day'")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    second = page.locator("#book-day-list input").nth(1)
    expect(second).to_be_checked()
    expect(second).to_be_focused()
    tab_to(page, "e.name === 'book-time'")
    page.keyboard.press("Space")
    chosen = page.evaluate("document.activeElement.value")
    expect(page.locator("#book-time-list input:checked")).to_have_attribute("value", chosen)
    tab_to(page, "e.id === 'time-next'")
    page.keyboard.press("Enter")
    expect(page.locator("#details-title")).to_be_focused()

    # Sent empty first: the first wrong field gets the focus, marked and described.
    tab_to(page, "e.id === 'book-submit'")
    page.keyboard.press("Enter")
    expect(page.locator("#name")).to_be_focused()
    expect(page.locator("#name")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#name")).to_have_attribute("aria-describedby", re.compile(r"^name-error"))
    expect(page.locator("#name-error")).to_be_visible()
    page.keyboard.type(CITIZEN["name"])
    page.keyboard.press("Tab")
    page.keyboard.type(random_dni())
    page.keyboard.press("Tab")
    page.keyboard.type("miren.teklatua@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("600 123 456")
    # The language is already the page's; Shift+Tab and Tab move back and forth over the fields.
    tab_to(page, "e.name === 'language'")
    assert page.evaluate("document.activeElement.value") == "eu"
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "phone"
    tab_to(page, "e.id === 'book-submit'")
    page.keyboard.press("Enter")
    expect(page.locator("#receipt-title")).to_be_focused(timeout=60000)
    expect(page.locator("#receipt-reference")).not_to_be_empty()
    # The manage link and the calendar button are reachable from the receipt.
    tab_to(page, "e.id === 'receipt-calendar'")
    tab_to(page, "e.id === 'receipt-manage'")
    # The proof of work ran in its worker without the policy refusing anything.
    assert csp_violations(page) == []


def test_the_apis_problems_land_at_their_field_or_in_a_focused_alert(make_stack, participants):
    """What only the server can refuse: a field it names is marked at that field (its message,
    `aria-invalid`, the focus); a problem naming no field goes to the alert at the top, focused."""
    stack = make_stack(recorder=False)
    person = participants("citizen", stack.dir, viewport=VIEWPORT)
    page = person.page
    answers = [
        (422, {"type": "urn:arreta:problem:invalid-input", "title": "Datu baliogabeak", "status": 422,
               "detail": "Berrikusi adierazitako eremuak.", "instance": "/v1/requests",
               "errors": [{"field": "citizen.email", "message": "Helbide hori ez dago onartuta."}]}),
        (409, {"type": "urn:arreta:problem:email-limit", "title": "Helbide elektroniko honek hitzordu gehiegi ditu",
               "status": 409, "detail": "Erabili beste helbide bat edo deitu 010era.", "instance": "/v1/requests"}),
    ]
    page.route("**/v1/requests", lambda route: route.fulfill(
        status=answers[0][0], content_type="application/problem+json", body=json.dumps(answers.pop(0)[1])))
    person.open(f"{stack.api.url}/app/eu/book?procedure=PADRON-ALTA")
    expect(page.locator("#procedure-PADRON-ALTA")).to_be_checked(timeout=15000)
    page.click("#procedure-next")
    wait_until("the proposed days", lambda: page.locator("#book-day-list input").count() > 1, 30)
    page.locator("#book-day-list input").nth(1).check()
    page.locator("#book-time-list input").first.check()
    page.click("#time-next")
    page.fill("#name", CITIZEN["name"])
    page.fill("#national-id", random_dni())
    page.fill("#email", "bai@example.org")
    page.click("#book-submit")
    email = page.locator("#email")
    expect(email).to_be_focused(timeout=30000)
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#email-error")).to_have_text("Helbide hori ez dago onartuta.")
    expect(page.locator("#details-error")).to_be_hidden()
    page.click("#book-submit")
    alert = page.locator("#details-error")
    expect(alert).to_be_focused(timeout=30000)
    expect(alert).to_contain_text("Helbide elektroniko honek hitzordu gehiegi ditu")
    expect(page.locator("body")).to_have_attribute("data-step", "details")

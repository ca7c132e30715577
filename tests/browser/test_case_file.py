"""The citizen's view of their case file in Chromium: from the manage page they see an auditor's
read of their case's history in "who read my data", save the readable copy (fetched with the
Bearer header, the token in no URL), and that copy opens offline in the browser in the case's
language, its style allowed by its own policy, with no serious or critical axe-core violation."""

from __future__ import annotations

import urllib.parse

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from citizens import CSP_WATCH, mailed_link
from participants import VIEWPORT
from support import http

AXE = Axe()

TEXTS = {
    "eu": {
        "why": "Kexa 2027/14 aztertzeko",
        "role": "ikuskaria",
        "what": "zure espedientearen historia",
        "title": "Zure espedientea",
        "history": "Espedientearen historia irakurri da.",
        "found": "zure hitzordua aurkitu zuen zure NAN/AIZ bilatuz",
        "clerk": "udal-langilea",
    },
    "es": {
        "why": "Para estudiar la queja 2027/14",
        "role": "auditoría",
        "what": "historial de su expediente",
        "title": "Su expediente",
        "history": "Se leyó el historial del expediente.",
        "found": "encontró su cita buscando su DNI/NIE",
        "clerk": "personal municipal",
    },
}


def serious_violations(page, step: str) -> list[str]:
    results = AXE.run(page, options={"resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in ("serious", "critical"):
            targets = [" ".join(map(str, node.get("target", []))) for node in violation.get("nodes", [])][:5]
            found.append(f"[{step}] {violation['impact']}: {violation['id']} ({violation['help']}) at {targets}")
    return found


@pytest.mark.parametrize("lang", ["eu", "es"])
def test_the_citizen_sees_a_staff_read_and_saves_the_readable_copy(make_stack, participants, lang):
    stack = make_stack(recorder=False)
    texts = TEXTS[lang]
    request = stack.book(language=lang)
    manage = mailed_link(stack, request, "manage", "receipt")

    # An auditor reads the case's history, saying why: recorded before the answer came.
    auditor = stack.token("auditor", "auditor-03")
    read = http("GET", f"{stack.api.url}/v1/requests/{request}/history?why={urllib.parse.quote(texts['why'])}",
                token=auditor)
    assert read.status == 200, read

    person = participants("citizen", stack.dir, viewport=VIEWPORT)
    person.context.add_init_script(CSP_WATCH)
    page = person.page
    person.open(manage)
    expect(page.locator("#appointment-reference")).to_have_text(request, timeout=15000)
    assert "#" not in page.url, "the token left the address bar"

    # "Who read my data": the auditor, their role, what and why.
    accesses = page.locator("#access-list li")
    expect(accesses).to_have_count(1, timeout=15000)
    for part in ("auditor-03", texts["role"], texts["what"], texts["why"]):
        expect(accesses).to_contain_text(part)
    expect(page.locator("#access-none")).to_be_hidden()

    # The readable copy, saved from the page: no request carried the token in its URL.
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    with page.expect_download() as saved:
        page.click("#case-file-readable")
    download = saved.value
    assert download.suggested_filename == f"arreta-{request}.html"
    expect(page.locator("#case-file-status")).to_contain_text(f"arreta-{request}.html")
    token = manage.split("#", 1)[1]
    assert not [u for u in urls if token in u], urls
    assert page.evaluate("() => window.__cspViolations") == []
    copy = stack.dir / f"arreta-{request}-{lang}.html"
    download.save_as(copy)
    html = copy.read_text()
    assert f'<html lang="{lang}">' in html
    assert "<script" not in html
    # The citizen's own download is not someone else's access: the list is as it was.
    page.reload()
    expect(page.locator("#access-list li")).to_have_count(1, timeout=15000)

    # Opened offline from the saved file: in the case's language, styled (the policy in the
    # page allows its one style by hash, nothing else), and accessible.
    reader = participants("reader", stack.dir, viewport=VIEWPORT)
    reader.context.add_init_script(CSP_WATCH)
    reader.page.goto(copy.as_uri(), wait_until="load")
    expect(reader.page.locator("h1")).to_have_text(texts["title"])
    assert reader.page.evaluate("document.documentElement.lang") == lang
    # (The receipt's NotificationSent may come before or after the auditor's read.)
    line = reader.page.locator("#history + ol li").filter(has_text=texts["history"])
    expect(line).to_have_count(1)
    expect(line).to_contain_text(texts["why"])
    expect(line).to_contain_text("auditor-03")
    expect(reader.page.locator("#citizen + dl")).to_contain_text("Miren Etxeberria Ruiz")
    assert reader.page.evaluate("getComputedStyle(document.body).maxWidth") != "none", "the style was refused"
    assert reader.page.evaluate("() => window.__cspViolations") == []
    assert serious_violations(reader.page, f"readable copy ({lang})") == []


@pytest.mark.parametrize("lang", ["eu", "es"])
def test_the_citizen_sees_that_staff_found_them_by_their_dni(make_stack, participants, lang):
    stack = make_stack(recorder=False)
    texts = TEXTS[lang]
    request = stack.book(language=lang)
    manage = mailed_link(stack, request, "manage", "receipt")

    # A clerk on the phone finds the caller's appointment by their DNI/NIE.
    clerk = stack.token("clerk", "clerk-05")
    case = http("GET", f"{stack.api.url}/v1/requests/{request}", token=clerk)
    dni = case.json()["citizen"]["national_id"]
    found = http("GET", f"{stack.api.url}/v1/requests?national_id={dni}", token=clerk)
    assert found.status == 200, found
    assert [c["id"] for c in found.json()["items"]] == [request]

    person = participants("citizen", stack.dir, viewport=VIEWPORT)
    person.context.add_init_script(CSP_WATCH)
    page = person.page
    person.open(manage)
    accesses = page.locator("#access-list li")
    expect(accesses).to_have_count(1, timeout=15000)
    for part in (texts["found"], "clerk-05", texts["clerk"]):
        expect(accesses).to_contain_text(part)
    assert dni not in accesses.inner_text(), "the page repeats no searched value"
    assert page.evaluate("() => window.__cspViolations") == []
    violations = serious_violations(page, "accesses")
    assert not violations, "\n".join(violations)

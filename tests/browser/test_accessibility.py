"""axe-core (axe-playwright-python, which ships it) on the join page at each step and on the clerk
page, in Basque and in Spanish, on a 360×740 phone screen: no serious or critical violation."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

import calls
from participants import VIEWPORT

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

"""How a publication ends other than by the call's end: the citizen's tab closed mid-recording
(no WHIP DELETE reaches the recorder), and consent withdrawn from the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

import calls
from support import check_stored_files, now_ms, wait_until

DISCONNECT_TIMEOUT_MS = 5000
UPLOAD_ALLOWANCE_MS = 15000


@pytest.mark.parametrize("how", ["closed", "crashed"])
def test_a_tab_gone_mid_recording_is_stored_in_time(make_stack, participants, figure, how):
    """`closed`: the tab is closed; the page's pagehide sends its keepalive WHIP DELETE, so the
    file is stored at once. `crashed`: the renderer dies and sends nothing at all (no pagehide,
    no DELETE, no DTLS close), as with a crash, a closed laptop or a lost network: the recorder
    must notice within `recorder.disconnect_timeout_ms` and store what it got."""
    stack = make_stack(config={"recorder": {"disconnect_timeout_ms": DISCONNECT_TIMEOUT_MS}})
    citizen = participants("citizen", stack.dir)
    clerk = participants("clerk", stack.dir)
    call = calls.connect(stack, citizen, clerk)
    calls.consent_and_publish(call)
    clerk.page.wait_for_timeout(6000)  # six seconds of recording
    gone = now_ms()
    if how == "closed":
        citizen.page.close()
        bound = UPLOAD_ALLOWANCE_MS
    else:
        cdp = citizen.context.new_cdp_session(citizen.page)
        try:
            cdp.send("Page.crash")
        except Exception:  # noqa: BLE001 - the renderer is gone before it can answer
            pass
        bound = DISCONNECT_TIMEOUT_MS + UPLOAD_ALLOWANCE_MS
    files = stack.wait_stored(call.request, 1, timeout=bound / 1000)
    stored_after = now_ms() - gone
    figure(f"tab {how} → citizen's file stored: {stored_after:.0f} ms "
           f"(bound {bound} ms; recorder.disconnect_timeout_ms {DISCONNECT_TIMEOUT_MS})")
    assert [f["participant"] for f in files] == ["citizen"], f"only the citizen's file is stored: {files}"
    # The clerk sees the citizen gone and goes on publishing; then it ends the call and its file
    # is stored too.
    expect(clerk.page.locator("#peer-status")).to_have_attribute("data-peer", "absent", timeout=20000)
    assert clerk.eval("window.__arretaTest.publisherState()") == "connected"
    ended = now_ms()
    clerk.page.click("button#call-end")
    files = stack.wait_stored(call.request, 2, timeout=60)
    published = {"citizen": gone - call.published_at["citizen"], "clerk": ended - call.published_at["clerk"]}
    for line in check_stored_files(stack, files, published):
        figure(f"{how}: {line}")


def test_withdrawing_consent_in_the_page_stops_both_publications_and_keeps_what_came_before(make_stack, participants, figure):
    stack = make_stack()
    citizen = participants("citizen", stack.dir)
    clerk = participants("clerk", stack.dir)
    call = calls.connect(stack, citizen, clerk)
    calls.consent_and_publish(call)
    clerk.page.wait_for_timeout(6000)  # six seconds of recording
    withdrawn = now_ms()
    citizen.page.click("button#consent-withdraw")

    def stopped(person) -> bool:
        state = person.eval("window.__arretaTest.publisherState()")
        on = person.page.locator("#recording-indicator").get_attribute("data-recording")
        return state in (None, "closed") and on == "off"

    for person in call.both:
        wait_until(f"{person.name}: publishing stopped and the indicator off", lambda p=person: stopped(p), 2.0, 0.05)
    figure(f"withdraw → both stopped: {now_ms() - withdrawn:.0f} ms")
    expect(citizen.page.locator("#consent-state")).not_to_be_empty()
    for person in call.both:
        state = person.eval("window.__arretaTest.state()")
        assert state and state.get("consent") == "withdrawn" and not state.get("publishing"), f"{person.name}: {state}"
    # The call itself goes on.
    for person in call.both:
        expect(person.page.locator("#peer-status")).to_have_attribute("data-peer", "present")
    files = stack.wait_stored(call.request, 2, timeout=60)
    assert sorted(f["participant"] for f in files) == ["citizen", "clerk"], files
    published = {side: withdrawn - at for side, at in call.published_at.items()}
    for line in check_stored_files(stack, files, published):
        figure(line)
    calls.end(call)

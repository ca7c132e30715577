"""How a publication ends other than by the call's end: the citizen's tab closed mid-recording
(no WHIP DELETE reaches the recorder), and consent withdrawn from the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

import calls
from support import check_stored_files, now_ms, wait_until

DISCONNECT_TIMEOUT_MS = 5000
UPLOAD_ALLOWANCE_MS = 15000


# The page says goodbye on pagehide with a keepalive WHIP DELETE. To close a tab whose DELETE
# never arrives (a request lost on the way), the page's unload listeners are not registered;
# everything else about the page is as it is.
NO_GOODBYE = r"""
(() => {
  const skip = new Set(['pagehide', 'unload', 'beforeunload']);
  const add = EventTarget.prototype.addEventListener;
  EventTarget.prototype.addEventListener = function (type, listener, options) {
    if (this === window && skip.has(type)) return;
    return add.call(this, type, listener, options);
  };
  for (const type of skip) Object.defineProperty(window, 'on' + type, { set() {}, get() { return null; } });
})();
"""


@pytest.mark.parametrize("how", ["closed", "killed"])
def test_a_tab_gone_mid_recording_without_delete_is_stored_within_the_disconnect_timeout(
        make_stack, participants, own_chromium, figure, how):
    """`closed`: the citizen's tab is closed and its WHIP DELETE never reaches the recorder.
    `killed`: the citizen's whole browser is killed (SIGKILL): nothing more comes from it at all,
    as with a crash, a closed laptop or a lost network. Either way the recorder ends the
    publication within `recorder.disconnect_timeout_ms` and stores what it got."""
    stack = make_stack(config={"recorder": {"disconnect_timeout_ms": DISCONNECT_TIMEOUT_MS}})
    if how == "killed":
        chromium = own_chromium(stack.dir)
        citizen = participants("citizen", stack.dir, browser=chromium.browser)
    else:
        citizen = participants("citizen", stack.dir)
        citizen.context.add_init_script(NO_GOODBYE)
    clerk = participants("clerk", stack.dir)
    call = calls.connect(stack, citizen, clerk)
    calls.consent_and_publish(call)
    clerk.page.wait_for_timeout(6000)  # six seconds of recording
    gone = now_ms()
    if how == "closed":
        citizen.page.close()
    else:
        chromium.kill()
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
    ended = calls.end(call, citizen_present=False)
    files = stack.wait_stored(call.request, 2, timeout=60)
    published = {"citizen": gone - call.published_at["citizen"], "clerk": call.published_ms(clerk, ended)}
    for line in check_stored_files(stack, files, published):
        figure(f"{how}: {line}")


def test_withdrawing_consent_in_the_page_stops_both_publications_and_keeps_what_came_before(make_stack, participants, figure):
    stack = make_stack()
    citizen = participants("citizen", stack.dir)
    clerk = participants("clerk", stack.dir)
    call = calls.connect(stack, citizen, clerk)
    calls.consent_and_publish(call)
    clerk.page.wait_for_timeout(6000)  # six seconds of recording
    clicked = now_ms()
    withdrawn = calls.click_and_answered(citizen, "button#consent-withdraw", "/call/consent")

    def stopped(person) -> bool:
        state = person.eval("window.__arretaTest.publisherState()")
        on = person.page.locator("#recording-indicator").get_attribute("data-recording")
        return state in (None, "closed") and on == "off"

    for person in call.both:
        wait_until(f"{person.name}: publishing stopped and the indicator off",
                   lambda p=person: stopped(p), max(0.1, 2.0 - (now_ms() - clicked) / 1000), 0.05)
    figure(f"withdraw clicked → both stopped: {now_ms() - clicked:.0f} ms")
    expect(citizen.page.locator("#consent-state")).not_to_be_empty()
    for person in call.both:
        state = person.eval("window.__arretaTest.state()")
        assert state and state.get("consent") == "withdrawn" and not state.get("publishing"), f"{person.name}: {state}"
    # The call itself goes on.
    for person in call.both:
        expect(person.page.locator("#peer-status")).to_have_attribute("data-peer", "present")
    files = stack.wait_stored(call.request, 2, timeout=60)
    assert sorted(f["participant"] for f in files) == ["citizen", "clerk"], files
    published = {person.name: call.published_ms(person, withdrawn) for person in call.both}
    for line in check_stored_files(stack, files, published):
        figure(line)
    calls.end(call)

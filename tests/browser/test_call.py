"""The call through the real pages, in Chromium with fake camera and microphone: the citizen from
its mailed join link, the clerk from its page; both see and hear each other (getStats), the
citizen consents in the page, both publish to the recorder, and the stored recording holds one
locked audio+video file per publication."""

from __future__ import annotations

from playwright.sync_api import expect

import calls
from support import check_stored_files, now_ms


def test_a_consented_call_is_seen_heard_and_recorded_one_locked_file_per_publication(make_stack, participants, figure):
    stack = make_stack()
    citizen = participants("citizen", stack.dir)
    clerk = participants("clerk", stack.dir)
    call = calls.connect(stack, citizen, clerk)
    for side, ms in call.first_frame_ms.items():
        figure(f"start → first decoded frame, {side}: {ms:.0f} ms")
    calls.consent_and_publish(call)
    # About 8 s of recording; the page is live the whole time (this is the call, not a wait).
    clerk.page.wait_for_timeout(8000)
    ended = calls.end(call)
    published = {person.name: call.published_ms(person, ended) for person in call.both}
    files = stack.wait_stored(call.request, 2, timeout=90)
    listing = stack.recordings(call.request)
    assert len(listing["recordings"]) == 1, f"one recording for one consented stretch: {listing}"
    assert listing["recordings"][0]["failed"] == [], listing
    assert sorted(f["participant"] for f in files) == ["citizen", "clerk"], files
    for line in check_stored_files(stack, files, published):
        figure(line)


def test_citizen_and_clerk_on_two_api_processes_of_one_database_are_connected(make_stack, participants, figure):
    # Signalling and presence go through PostgreSQL: the two sockets of a call need not meet in
    # one process.
    stack = make_stack(apis=2)
    first, second = stack.apis
    citizen = participants("citizen", stack.dir)
    clerk = participants("clerk", stack.dir)
    call = calls.connect(stack, citizen, clerk, citizen_base=first.url, clerk_base=second.url)
    assert citizen.page.url.startswith(first.url) and clerk.page.url.startswith(second.url)
    for side, ms in call.first_frame_ms.items():
        figure(f"two processes: start → first decoded frame, {side}: {ms:.0f} ms")
    # Leaving is seen across processes too.
    left = now_ms()
    citizen.page.click("button#leave")
    expect(clerk.page.locator("#peer-status")).to_have_attribute("data-peer", "absent", timeout=15000)
    figure(f"two processes: citizen leaves → clerk sees it absent: {now_ms() - left:.0f} ms")

"""The call as the two people make it in the pages: the citizen opens the join link from the
mail and passes the device check, the clerk signs in to its page and starts the call, the citizen
gives consent, both publish to the recorder, the clerk ends it."""

from __future__ import annotations

from dataclasses import dataclass, field

from playwright.sync_api import expect

from participants import Participant
from support import Stack, now_ms, wait_until


@dataclass
class Call:
    stack: Stack
    request: str
    citizen: Participant
    clerk: Participant
    clerk_token: str
    # ms from the clerk's click on "start" to the first decoded frame, per side.
    first_frame_ms: dict[str, float] = field(default_factory=dict)
    published_at: dict[str, float] = field(default_factory=dict)

    def published_ms(self, person: Participant, effective: float) -> float:
        """How long `person`'s page published: from its WHIP connection's `connected` until it
        left that state or until the end or withdrawal took effect (`effective`: the api
        answered it; the recorder stops on it by itself), whichever came first."""
        stopped = wait_until(f"{person.name}: the publisher stopped", lambda: person.marks()["unpublishedAt"], 15, 0.05)
        return min(stopped, effective) - self.published_at[person.name]

    @property
    def both(self) -> tuple[Participant, Participant]:
        return self.citizen, self.clerk


def citizen_waits(stack: Stack, citizen: Participant, request: str, base: str | None = None) -> str:
    """The citizen opens the join link it was mailed (on `base` instead of the mailed server when
    given), passes the device check and waits. Gives the join link."""
    join = stack.join_link(request)
    url = join if base is None else join.replace(stack.api.url, base, 1)
    citizen.open(url)
    citizen.pass_device_check()
    expect(citizen.page.locator("#waiting-room")).to_be_visible(timeout=15000)
    expect(citizen.page.locator("#waiting-status")).not_to_be_empty(timeout=15000)
    return join


def clerk_opens(stack: Stack, clerk: Participant, request: str, base: str | None = None, lang: str = "eu",
                clerk_id: str = "clerk-07") -> str:
    token = stack.token("clerk", clerk_id)
    clerk.open(f"{base or stack.api.url}/app/{lang}/staff/call/{request}#{token}")
    clerk.sign_in_if_asked(token)
    expect(clerk.page.locator("#case-summary")).to_be_visible(timeout=15000)
    return token


def connect(stack: Stack, citizen: Participant, clerk: Participant, *, citizen_base: str | None = None,
            clerk_base: str | None = None, clerk_id: str = "clerk-07") -> Call:
    """Up to both seeing and hearing each other."""
    request = stack.book()
    citizen_waits(stack, citizen, request, citizen_base)
    token = clerk_opens(stack, clerk, request, clerk_base, clerk_id=clerk_id)
    # The clerk's page sees the citizen waiting (presence, before the call starts).
    expect(clerk.page.locator("#waiting")).to_have_attribute("data-citizen", "waiting", timeout=20000)
    call = Call(stack, request, citizen, clerk, token)
    for person in call.both:
        person.watch()
    clicked = now_ms()
    clerk.page.click("button#call-start")
    for person in call.both:
        call.first_frame_ms[person.name] = person.first_frame_at(30) - clicked
    for person in call.both:
        person.wait_media(30)
        expect(person.page.locator("#call")).to_be_visible(timeout=10000)
        expect(person.page.locator("#peer-status")).to_have_attribute("data-peer", "present", timeout=10000)
        expect(person.page.locator("video#remote-video")).to_be_visible()
        wait_until(f"{person.name}: the remote video plays", lambda p=person: p.eval(
            "(() => { const v = document.querySelector('video#remote-video'); return !!v && v.videoWidth > 0 && !v.paused; })()"), 15)
    return call


def consent_and_publish(call: Call) -> None:
    """The citizen reads the wording and gives consent in its page; both pages publish."""
    citizen = call.citizen
    expect(citizen.page.locator("#consent")).to_be_visible(timeout=10000)
    version = citizen.page.locator("#consent-text").get_attribute("data-wording-version")
    assert version, "the consent wording names its version"
    for person in call.both:
        person.expect_recording(False, timeout=5000)
    citizen.page.click("button#consent-give")
    for person in call.both:
        person.expect_recording(True, timeout=20000)
        call.published_at[person.name] = person.published_at(20)
    expect(call.clerk.page.locator("#consent-state")).not_to_be_empty()
    for person in call.both:
        state = person.eval("window.__arretaTest.state()")
        assert state and state.get("consent") == "given" and state.get("publishing") is True, f"{person.name}: state {state}"


def click_and_answered(person: Participant, selector: str, path: str) -> float:
    """Clicks `selector` and waits for the api's 200 to the POST to `path` it makes; gives when
    that answer came (when the change took effect)."""
    with person.page.expect_response(
            lambda r: r.request.method == "POST" and r.url.split("?")[0].endswith(path), timeout=15000) as answer:
        person.page.click(selector)
    assert answer.value.status == 200, f"{person.name}: POST {path} answered {answer.value.status}"
    return now_ms()


def end(call: Call, citizen_present: bool = True) -> float:
    """The clerk ends the call; both pages stop publishing and the citizen's says it ended.
    Gives when the end took effect."""
    ended = click_and_answered(call.clerk, "button#call-end", "/call/end")
    people = call.both if citizen_present else (call.clerk,)
    if citizen_present:
        expect(call.citizen.page.locator("#call-ended")).to_be_visible(timeout=15000)
    for person in people:
        person.expect_recording(False, timeout=10000)
    return ended

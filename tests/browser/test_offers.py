"""The captured offers the recorder's tests replay (media-recorder/tests/fixtures/*.sdp) are what
this Chromium makes as a WHIP client, and capture_offers.py still makes them."""

from __future__ import annotations

import capture_offers
from capture_offers import FIXTURES, describe


def read(name: str) -> str:
    with open(FIXTURES / name, newline="") as file:
        return file.read()


def check_offer(sdp: str, video: str | None) -> None:
    facts = describe(sdp)
    kinds = [m["kind"] for m in facts["media"]]
    assert kinds == ["audio", "video"], facts
    for media in facts["media"]:
        assert media["direction"] == "sendonly", facts
    audio, video_section = facts["media"]
    assert audio["codecs"][0].lower() == "opus", facts
    assert audio["candidates"] > 0, "every candidate is in the offer (no trickle)"
    assert "a=group:BUNDLE 0 1" in sdp, "audio and video bundled"
    assert "\r\n" in sdp and "\n" not in sdp.replace("\r\n", ""), "CRLF line ends"
    codecs = {c.lower() for c in video_section["codecs"]}
    if video == "vp8":
        assert video_section["codecs"][0] == "VP8", facts
    else:
        assert codecs == {video}, f"{video} alone: {facts}"


def test_chromium_makes_the_committed_kind_of_offer(browser):
    major, offers = capture_offers.chromium_offers(browser)
    check_offer(offers["vp8"], "vp8")
    check_offer(offers["h264"], "h264")
    committed_vp8 = read(f"chromium-{major}-offer.sdp")
    committed_h264 = read(f"chromium-{major}-h264-offer.sdp")
    check_offer(committed_vp8, "vp8")
    check_offer(committed_h264, "h264")
    # The same codecs in the same order as the committed capture (this Chromium's defaults).
    assert [m["codecs"] for m in describe(offers["vp8"])["media"]] == [m["codecs"] for m in describe(committed_vp8)["media"]]


def test_the_committed_firefox_offer_is_a_whip_offer():
    sdp = read("firefox-esr-offer.sdp")
    check_offer(sdp, "vp8")
    assert describe(sdp)["end_of_candidates"]

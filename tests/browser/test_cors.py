"""CORS: the pages' origin (that of `mail.public_url`) may call the recorder's WHIP and the api
from a browser; any other origin gets no `Access-Control-*` header at all. (The pages' own WHIP
fetch, the real thing, is exercised by every recorded call.)"""

from __future__ import annotations

from support import ROOT, http

OTHER_ORIGINS = ["http://127.0.0.1:1", "https://elsewhere.example"]


def preflight(url: str, origin: str, method: str, headers: str):
    return http("OPTIONS", url, headers={
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    })


def listed(header: str | None) -> set[str]:
    return {part.strip().lower() for part in (header or "").split(",") if part.strip()}


def assert_allowed(answer, origin: str, method: str, headers: set[str], what: str) -> None:
    assert answer.status in (200, 204), f"{what}: preflight answered {answer}"
    h = answer.headers
    assert h.get("access-control-allow-origin") == origin, f"{what}: Access-Control-Allow-Origin {h}"
    assert method.lower() in listed(h.get("access-control-allow-methods")), f"{what}: methods {h}"
    assert headers <= listed(h.get("access-control-allow-headers")), f"{what}: headers {h}"
    assert "origin" in listed(h.get("vary")) or "access-control-request-method" in listed(h.get("vary")), f"{what}: Vary {h}"


def assert_refused(answer, what: str) -> None:
    leaked = {k: v for k, v in answer.headers.items() if k.startswith("access-control-")}
    assert not leaked, f"{what}: another origin got {leaked} ({answer.status})"


def test_preflights_from_the_pages_origin_are_allowed_and_from_others_not(make_stack):
    stack = make_stack()
    origin = f"http://127.0.0.1:{stack.api_port}"
    request = stack.book()
    whip = f"{stack.whip_url}/{request}"
    resource = f"{whip}/00000000-0000-4000-8000-000000000000"
    api_call = f"{stack.api.url}/v1/requests/{request}/call"
    cases = [
        (whip, "POST", {"authorization", "content-type"}, "WHIP offer"),
        (resource, "DELETE", {"authorization"}, "WHIP resource DELETE"),
        (api_call, "GET", {"authorization"}, "api GET call"),
        (f"{api_call}/consent", "POST", {"authorization", "content-type"}, "api POST consent"),
    ]
    for url, method, headers, what in cases:
        assert_allowed(preflight(url, origin, method, ",".join(sorted(headers))), origin, method, headers, what)
        for other in OTHER_ORIGINS:
            assert_refused(preflight(url, other, method, ",".join(sorted(headers))), f"{what} from {other}")
    # A real (refused) offer from the pages' origin: the page can read why, and would read the
    # Location of a 201.
    join = stack.join_link(request).split("#", 1)[1]
    offer = (ROOT / "media-recorder/tests/fixtures/chromium-156-offer.sdp").read_bytes()
    answer = http("POST", whip, token=join, data=offer, headers={"Origin": origin, "Content-Type": "application/sdp"})
    assert answer.status == 403, f"no call in progress: {answer}"
    assert answer.headers.get("access-control-allow-origin") == origin, answer.headers
    assert "location" in listed(answer.headers.get("access-control-expose-headers")), answer.headers
    for other in OTHER_ORIGINS:
        answer = http("POST", whip, token=join, data=offer, headers={"Origin": other, "Content-Type": "application/sdp"})
        assert_refused(answer, f"WHIP POST from {other}")
    answer = http("GET", api_call, token=join, headers={"Origin": origin})
    assert answer.status == 200 and answer.headers.get("access-control-allow-origin") == origin, answer.headers

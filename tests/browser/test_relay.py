"""The call through TURN: coturn on loopback with a shared secret (`use-auth-secret`), Arreta
issuing each participant a short-lived credential (`[call.turn]`), both browsers forced to relay
(`iceTransportPolicy: relay`). And an expired credential gets no relay."""

from __future__ import annotations

import time

import calls
from support import http, turn_credentials, wait_until

GATHER = r"""
async ([iceServers, timeoutMs]) => {
  const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: 'relay' });
  const candidates = [], errors = [];
  pc.onicecandidateerror = (e) => errors.push({ code: e.errorCode, text: e.errorText, url: e.url });
  const done = new Promise((resolve) => {
    pc.onicecandidate = (e) => { if (e.candidate) candidates.push(e.candidate.candidate); else resolve('complete'); };
    setTimeout(() => resolve('timeout'), timeoutMs);
  });
  pc.createDataChannel('probe');
  await pc.setLocalDescription(await pc.createOffer());
  const end = await done;
  pc.close();
  return { end, candidates, errors, relay: candidates.filter((c) => / typ relay /.test(c)).length };
}
"""


def gather(page, servers: list[dict], timeout_ms: int = 8000) -> dict:
    return page.evaluate(GATHER, [servers, timeout_ms])


def turn_servers(view: dict) -> list[dict]:
    return [s for s in view["ice_servers"] if any(u.startswith(("turn:", "turns:")) for u in s["urls"])]


def turn_config(turn, ttl: int = 600) -> dict:
    return {"call": {"turn": {"urls": [turn.url], "secret": turn.secret, "ttl_seconds": ttl}}}


def test_a_call_forced_to_relay_connects_through_coturn(make_stack, participants, coturn, figure):
    turn = coturn()
    stack = make_stack(config=turn_config(turn))
    citizen = participants("citizen", stack.dir, relay=True)
    clerk = participants("clerk", stack.dir, relay=True)
    call = calls.connect(stack, citizen, clerk)
    for side, ms in call.first_frame_ms.items():
        figure(f"relay: start → first decoded frame, {side}: {ms:.0f} ms")
    for person in call.both:
        pair = wait_until(f"{person.name}: a selected candidate pair", person.selected_pair, 10)
        assert pair["local"]["candidateType"] == "relay", f"{person.name} is not relayed: {pair}"
        figure(f"relay: {person.name}'s selected pair {pair['local']} → {pair['remote']}")
    # The credentials the api handed out are coturn's REST kind, valid for ttl_seconds from now.
    view = stack.call_view(call.request, call.clerk_token)
    servers = turn_servers(view)
    assert servers, f"the call view hands out the TURN server: {view['ice_servers']}"
    expiry = int(servers[0]["username"].split(":", 1)[0])
    assert time.time() + 500 < expiry <= time.time() + 660, f"expiry {expiry} is about now + 600 s"


def test_turn_credentials_work_until_they_expire(make_stack, participants, coturn):
    turn = coturn()
    stack = make_stack(config=turn_config(turn, ttl=600))
    probe = participants("probe", stack.dir)
    probe.open(f"{stack.api.url}/health/live")
    url = [turn.url]
    # Computed here from the secret (coturn's REST scheme): fresh ones gather a relay candidate,
    # ones that expired a minute ago gather none (coturn answers 401).
    username, credential = turn_credentials(turn.secret, int(time.time()) + 600, "probe")
    fresh = gather(probe.page, [{"urls": url, "username": username, "credential": credential}])
    assert fresh["relay"] >= 1, f"fresh credentials gather a relay candidate: {fresh}"
    username, credential = turn_credentials(turn.secret, int(time.time()) - 60, "probe")
    expired = gather(probe.page, [{"urls": url, "username": username, "credential": credential}])
    assert expired["relay"] == 0, f"expired credentials gather no relay candidate: {expired}"
    # Those the api issues for a call work the same way.
    request = stack.book()
    token = stack.token("clerk", "clerk-07")
    assert http("POST", f"{stack.api.url}/v1/requests/{request}/call/start", token=token).status == 200
    view = stack.call_view(request, token)
    servers = turn_servers(view)
    assert servers and servers[0]["username"] and servers[0]["credential"], view["ice_servers"]
    issued = gather(probe.page, servers)
    assert issued["relay"] >= 1, f"the api's credentials gather a relay candidate: {issued}"
    wrong = dict(servers[0], credential=turn_credentials("not-the-secret", int(time.time()) + 600)[1])
    assert gather(probe.page, [wrong])["relay"] == 0, "a credential not made with the secret gets no relay"

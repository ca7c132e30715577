// Publishing one's own camera and microphone to the recorder (WHIP, RFC 9725): a second
// RTCPeerConnection, send-only, offered with every ICE candidate (the recorder does not
// trickle), answered 201 with the resource to DELETE when the publication ends.

/** Waits until ICE gathering is complete, or `ms` (the candidates found by then go). */
function gathered(pc, ms) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', done);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      pc.removeEventListener('icegatheringstatechange', done);
      resolve();
    }, ms);
    pc.addEventListener('icegatheringstatechange', done);
  });
}

export class Publisher {
  /** `url`: the case's WHIP endpoint; `rtc`: the RTCPeerConnection configuration. */
  constructor({ url, token, stream, rtc, onFailed = () => {} }) {
    this.url = url;
    this.token = token;
    this.stream = stream;
    this.rtc = rtc;
    this.onFailed = onFailed;
    this.pc = null;
    this.resource = null;
    this.closed = false;
    this.active = false;
  }

  /** `ok`, `refused` (403: no consent, no call), `busy` (409), `failed` or `stopped`. */
  async start() {
    const pc = new RTCPeerConnection(this.rtc);
    this.pc = pc;
    for (const track of this.stream.getTracks()) {
      pc.addTransceiver(track, { direction: 'sendonly', streams: [this.stream] });
    }
    pc.addEventListener('connectionstatechange', () => {
      if (pc.connectionState === 'failed' && !this.closed) this.onFailed(this);
    });
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc, 5000);
    } catch (error) {
      console.warn('WHIP offer', error);
      this.close();
      return 'failed';
    }
    if (this.closed) return 'stopped';
    let response;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${this.token}` },
        body: pc.localDescription.sdp,
        mode: 'cors',
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        cache: 'no-store',
      });
    } catch (error) {
      console.warn('WHIP unreachable', error);
      this.close();
      return 'failed';
    }
    if (response.status !== 201) {
      this.close();
      if (response.status === 403) return 'refused';
      if (response.status === 409) return 'busy';
      return 'failed';
    }
    // Relative to the recorder, not to this page.
    const location = response.headers.get('Location');
    this.resource = location ? new URL(location, this.url).href : null;
    const answer = await response.text();
    if (this.closed) {
      this.remove(false);
      return 'stopped';
    }
    try {
      await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    } catch (error) {
      console.warn('WHIP answer', error);
      this.stop();
      return 'failed';
    }
    this.active = true;
    return 'ok';
  }

  close() {
    this.closed = true;
    this.active = false;
    this.pc?.close();
  }

  /** Ends the publication: the connection closes at once, the DELETE follows. */
  stop({ leaving = false } = {}) {
    this.close();
    this.remove(leaving);
  }

  remove(leaving) {
    const resource = this.resource;
    this.resource = null;
    if (!resource) return;
    fetch(resource, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${this.token}` },
      mode: 'cors',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
      // While the page unloads the request must outlive it.
      keepalive: leaving,
    }).catch((error) => console.warn('WHIP DELETE', error));
  }

  replaceTrack(track) {
    const sender = this.pc?.getSenders().find((s) => s.track?.kind === track.kind);
    sender?.replaceTrack(track).catch(() => {});
  }
}

// The call itself, for both pages: signalling over the api's WebSocket, the peer-to-peer
// RTCPeerConnection with perfect negotiation (the citizen polite, the clerk impolite), and the
// consented recording through WHIP.
import { t, store } from './common.js';
import { Publisher } from './whip.js';

const MAX_BACKOFF_MS = 15000;
/** How long the citizen's page waits for the clerk's offer before offering itself. */
const OFFER_WAIT_MS = 4000;

// Present from the start, so a test can ask before the call begins.
window.arretaCall = {
  peer: () => null,
  publisher: () => null,
  state: () => ({ consent: 'not_asked', publishing: false, peerPresent: false }),
};

/**
 * `options`:
 * - `role`: `citizen` or `clerk`;
 * - `token`: the join link's or the staff token;
 * - `stream`: the camera and microphone (may be null: then only receive);
 * - `load()`: the call view fresh from `GET /call` (fresh TURN credentials each time), or null;
 * - `el`: `remote`, `local`, `peerStatus`, `indicator`, `recordingMessage`, `message`;
 * - `texts`: `present`, `absent` (how this page names the other side);
 * - `onEnded()`: the call ended (heard when reconnecting);
 * - `onConsentHint(consent)`: the other page says the citizen's answer changed;
 * - `onBye()`: the other side left on purpose.
 */
export function createCall(options) {
  const { role, token, el, texts } = options;
  const polite = role === 'citizen';
  let stream = options.stream;
  let view = null;
  let socket = null;
  let pc = null;
  let makingOffer = false;
  let ignoreOffer = false;
  let queue = Promise.resolve();
  let peerPresent = false;
  let peerRecording = false;
  let consent = 'not_asked';
  let publisher = null;
  let publishing = false;
  let starting = false;
  let publishRetries = 0;
  let stopped = false;
  let backoff = 1000;
  let reconnectTimer = null;
  let offerTimer = null;

  function rtcConfiguration() {
    const iceServers = (view?.ice_servers || []).map((server) => {
      const entry = { urls: server.urls };
      if (server.username) entry.username = server.username;
      if (server.credential) entry.credential = server.credential;
      return entry;
    });
    // Tests force TURN with this key; the CSP allows no inline script to set a global.
    const relay = store.get('arreta.iceTransportPolicy') === 'relay';
    return { iceServers, iceTransportPolicy: relay ? 'relay' : 'all' };
  }

  function send(message) {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function setPeer(present) {
    peerPresent = present;
    el.peerStatus.dataset.peer = present ? 'present' : 'absent';
    const text = el.peerStatus.querySelector('.text') || el.peerStatus;
    const words = present ? texts.present : texts.absent;
    if (text.textContent !== words) text.textContent = words;
    if (!present) {
      peerRecording = false;
      indicate();
    }
  }

  function indicate() {
    const on = publishing || peerRecording;
    el.indicator.dataset.recording = on ? 'on' : 'off';
  }

  function message(text) {
    if (el.message) el.message.textContent = text || '';
  }

  function closePeer() {
    if (!pc) return;
    pc.onnegotiationneeded = null;
    pc.onicecandidate = null;
    pc.ontrack = null;
    pc.oniceconnectionstatechange = null;
    pc.close();
    pc = null;
    makingOffer = false;
    ignoreOffer = false;
    el.remote.srcObject = null;
  }

  /** A fresh connection for this pairing of sockets: the other side starts one too. */
  function newPeer() {
    closePeer();
    const peer = new RTCPeerConnection(rtcConfiguration());
    pc = peer;
    if (stream) {
      for (const track of stream.getTracks()) peer.addTrack(track, stream);
    } else {
      peer.addTransceiver('audio', { direction: 'recvonly' });
      peer.addTransceiver('video', { direction: 'recvonly' });
    }
    peer.ontrack = ({ track, streams }) => {
      const remote = streams[0] || new MediaStream([track]);
      if (el.remote.srcObject !== remote) {
        el.remote.srcObject = remote;
        el.remote.play?.().catch(() => {});
      }
    };
    peer.onicecandidate = ({ candidate }) => {
      if (candidate) send({ type: 'candidate', candidate: candidate.toJSON() });
    };
    peer.onnegotiationneeded = async () => {
      try {
        makingOffer = true;
        await peer.setLocalDescription();
        if (peer === pc) send({ type: peer.localDescription.type, sdp: peer.localDescription.sdp });
      } catch (error) {
        console.warn('negotiation', error);
      } finally {
        makingOffer = false;
      }
    };
    peer.oniceconnectionstatechange = async () => {
      if (peer.iceConnectionState !== 'failed') return;
      // TURN credentials are short-lived: restart ICE with fresh ones.
      const fresh = await options.load();
      if (fresh) view = fresh;
      if (peer !== pc) return;
      try {
        peer.setConfiguration(rtcConfiguration());
      } catch (error) {
        console.warn('ICE configuration', error);
      }
      peer.restartIce();
    };
    return peer;
  }

  /** The W3C perfect negotiation pattern: the polite side yields when both offer at once. */
  async function description(description) {
    if (!pc) {
      setPeer(true);
      newPeer();
    }
    const peer = pc;
    const collision =
      description.type === 'offer' && (makingOffer || peer.signalingState !== 'stable');
    ignoreOffer = !polite && collision;
    if (ignoreOffer) return;
    await peer.setRemoteDescription(description);
    if (description.type === 'offer') {
      await peer.setLocalDescription();
      send({ type: 'answer', sdp: peer.localDescription.sdp });
    }
  }

  async function handle(data) {
    switch (data.type) {
      case 'peer-joined':
      case 'peer-present':
        // A new socket on the other side (a first join, a reload, a reconnection): a fresh
        // connection on both sides. The clerk's page offers and the citizen's answers, so the
        // first negotiation has no glare (two offers crossing, one rolled back, was seen to
        // leave a call without ICE candidates). Should no offer come, the citizen's page
        // offers itself; perfect negotiation settles any crossing after that.
        setPeer(true);
        clearTimeout(offerTimer);
        if (polite) {
          closePeer();
          offerTimer = setTimeout(() => {
            if (!pc && peerPresent && !stopped) newPeer();
          }, OFFER_WAIT_MS);
        } else {
          newPeer();
        }
        if (publishing) send({ type: 'recording', on: true });
        break;
      case 'peer-left':
      case 'bye':
        setPeer(false);
        closePeer();
        // A clerk who says goodbye has usually ended the call: the page checks now.
        if (data.type === 'bye') options.onBye?.();
        break;
      case 'peer-absent':
        setPeer(false);
        break;
      case 'offer':
      case 'answer':
        await description({ type: data.type, sdp: data.sdp });
        break;
      case 'candidate':
        if (!pc || !data.candidate) return;
        try {
          await pc.addIceCandidate(data.candidate);
        } catch (error) {
          if (!ignoreOffer) console.warn('candidate', error);
        }
        break;
      case 'recording':
        peerRecording = data.on === true;
        indicate();
        // The citizen's page says when its answer changed, so the clerk's page need not wait
        // for its next poll (a withdrawal must stop both publications within two seconds).
        if (typeof data.consent === 'string') options.onConsentHint?.(data.consent);
        break;
      case 'refused':
        console.warn('signalling refused a message');
        break;
      default:
        break;
    }
  }

  async function connect() {
    reconnectTimer = null;
    if (stopped) return;
    view = (await options.load()) || view;
    if (stopped) return;
    if (view?.status === 'ended') {
      options.onEnded?.();
      return;
    }
    if (!view || view.status !== 'in_progress') {
      retry();
      return;
    }
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const url = `${scheme}://${location.host}${view.signalling_path}?token=${encodeURIComponent(token)}`;
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      backoff = 1000;
      message('');
    };
    ws.onmessage = (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      // One message at a time: a candidate must not overtake the offer it belongs to.
      queue = queue.then(() => handle(data)).catch((error) => console.warn(error));
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      closePeer();
      setPeer(false);
      if (!stopped) retry();
    };
  }

  function retry() {
    if (stopped || reconnectTimer) return;
    message(t('call.reconnecting'));
    reconnectTimer = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }

  function recordingMessage(text) {
    if (!el.recordingMessage) return;
    el.recordingMessage.textContent = text || '';
    el.recordingMessage.hidden = !text;
  }

  async function publish() {
    if (publisher || starting || stopped || consent !== 'given' || !stream || !view?.whip_url) {
      return;
    }
    starting = true;
    const attempt = new Publisher({
      url: view.whip_url,
      token,
      stream,
      rtc: rtcConfiguration(),
      onFailed: (failed) => {
        if (publisher !== failed) return;
        unpublish();
        later();
      },
    });
    publisher = attempt;
    const result = await attempt.start();
    starting = false;
    if (publisher !== attempt) return;
    if (result === 'ok') {
      publishing = true;
      publishRetries = 0;
      recordingMessage('');
      send({ type: 'recording', on: true });
      indicate();
      if (consent !== 'given' || stopped) unpublish();
      return;
    }
    publisher = null;
    publishing = false;
    indicate();
    if (result === 'refused') {
      recordingMessage(t('rec.refused'));
    } else if (result !== 'stopped') {
      recordingMessage(t('rec.failed'));
      later();
    }
  }

  /** Tries again a few times: a publication left by a reload may still hold the place (409). */
  function later() {
    if (publishRetries >= 6) return;
    publishRetries += 1;
    setTimeout(publish, 5000);
  }

  function unpublish({ leaving = false } = {}) {
    const was = publisher;
    publisher = null;
    const wasPublishing = publishing;
    publishing = false;
    if (was) was.stop({ leaving });
    if (wasPublishing) send({ type: 'recording', on: false });
    indicate();
  }

  function shutdown({ leaving = false } = {}) {
    stopped = true;
    clearTimeout(reconnectTimer);
    unpublish({ leaving });
    send({ type: 'bye' });
    const ws = socket;
    socket = null;
    ws?.close();
    closePeer();
    setPeer(false);
    message('');
  }

  window.addEventListener('pagehide', () => {
    if (!stopped) shutdown({ leaving: true });
  });

  const api = {
    start() {
      stopped = false;
      if (stream) {
        el.local.srcObject = stream;
        el.local.play?.().catch(() => {});
      }
      connect();
    },
    /** The consent as last heard (`given`, `declined`, `withdrawn`, `not_asked`). */
    setConsent(value, { announce = false } = {}) {
      consent = value || 'not_asked';
      if (consent === 'given') {
        publish();
      } else {
        recordingMessage('');
        unpublish();
      }
      // Only a hint: the other page acts on what GET /call says (stopping at once is safe).
      if (announce) send({ type: 'recording', on: publishing, consent });
    },
    /** Another camera or microphone: the same senders carry the new tracks. */
    setStream(next) {
      stream = next;
      el.local.srcObject = next;
      for (const track of next.getTracks()) {
        pc?.getSenders()
          .find((s) => s.track?.kind === track.kind)
          ?.replaceTrack(track)
          .catch(() => {});
        publisher?.replaceTrack(track);
      }
    },
    leave() {
      shutdown();
    },
    get stopped() {
      return stopped;
    },
  };

  // For the browser tests: the connections and the state, never a token.
  window.arretaCall = {
    peer: () => pc,
    publisher: () => publisher?.pc || null,
    state: () => ({ consent, publishing, peerPresent }),
  };

  return api;
}

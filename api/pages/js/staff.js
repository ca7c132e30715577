// The clerk's call page: sign-in (development), the case, the citizen waiting, the call, the
// citizen's answer on recording, handing over documents, and ending the call.
import {
  $, api, every, formatDateTime, hide, languageLinks, problemText, procedureName, route, say,
  showStep, store, t, takeToken,
} from './common.js';
import { Devices } from './media.js';
import { createCall } from './call.js';
import { uploader } from './documents.js';

const TOKEN_KEY = 'arreta.staff-token';
const WAITING_POLL_MS = 3000;
const CALL_POLL_MS = 2000;
const PRESENCE_MS = 10000;

const where = route();
const el = {
  error: $('#page-error'),
  signin: $('#staff-signin'),
  summary: $('#case-summary'),
  waiting: $('#waiting'),
  call: $('#call'),
  consent: $('#consent'),
  hand: $('#hand-documents'),
  ended: $('#call-ended'),
};

let token = null;
let callView = null;
let call = null;
let devices = null;
let poll = null;
let presence = null;
// When the citizen's page last said its answer changed: a poll asked before then may carry the
// old answer.
let hintAt = 0;
// After a hint that the citizen stopped the recording, a `given` read back is taken for the
// answer not recorded yet, for this long (then the API's word counts again).
const HOLD_MS = 5000;
let holdUntil = 0;
let pollNow = null;

function stopTimers() {
  poll?.stop();
  presence?.stop();
}

/** A refused token sends the clerk back to the sign-in form. */
function refused(answer) {
  if (answer.status !== 401) return false;
  signOut(t('signin.invalid'));
  return true;
}

async function loadCall() {
  const answer = await api(`/v1/requests/${where.request}/call`, { token });
  if (answer.ok) {
    callView = answer.data;
    return callView;
  }
  if (!refused(answer) && [403, 404].includes(answer.status)) {
    say(el.error, problemText(answer));
    stopTimers();
  }
  return null;
}

function showSignin(message) {
  hide(el.summary, el.waiting, el.call, el.consent, el.hand, el.ended);
  showStep(el.signin);
  say($('#signin-error'), message || '');
}

function signOut(message) {
  stopTimers();
  call?.leave();
  call = null;
  devices?.stop();
  store.remove(TOKEN_KEY);
  token = null;
  showSignin(message);
}

async function signIn() {
  const value = $('#staff-token').value.trim();
  if (!value) {
    say($('#signin-error'), t('signin.empty'));
    $('#staff-token').focus();
    return;
  }
  token = value;
  store.set(TOKEN_KEY, value);
  $('#staff-token').value = '';
  await open();
}

async function loadSummary() {
  const answer = await api(`/v1/requests/${where.request}`, { token });
  if (!answer.ok) {
    if (!refused(answer)) say(el.error, problemText(answer));
    return false;
  }
  const view = answer.data;
  $('#summary-citizen').textContent = view.citizen?.name || '';
  $('#summary-time').textContent = formatDateTime(view.slot.start);
  $('#summary-language').textContent = t(`lang.${view.language}`);
  $('#summary-procedure').textContent = view.procedure;
  procedureName(view.procedure).then((name) => {
    $('#summary-procedure').textContent = name;
  });
  return true;
}

function renderWaiting(view) {
  const waiting = view.citizen_waiting === true;
  el.waiting.dataset.citizen = waiting ? 'waiting' : 'absent';
  const text = t(waiting ? 'staff.citizen-waiting' : 'staff.citizen-absent');
  const element = $('#waiting-status .text');
  if (element.textContent !== text) element.textContent = text;
}

function renderConsent(view) {
  const state = view.consent || 'not_asked';
  const element = $('#consent-state');
  element.dataset.consent = state;
  const text = t(`staff.consent.${state}`);
  if (element.textContent !== text) element.textContent = text;
  call?.setConsent(state);
}

async function open() {
  hide(el.signin);
  say($('#signin-error'), '');
  if (!(await loadSummary())) return;
  showStep(el.summary, { focus: false });
  const view = await loadCall();
  if (!view) return;
  if (view.status === 'in_progress') {
    await startDevices();
    enterCall();
  } else if (view.status === 'ended') {
    ended();
  } else {
    enterWaiting();
  }
}

async function startDevices() {
  if (devices?.stream) return devices.stream;
  devices ??= new Devices(
    {
      camera: $('#camera'),
      microphone: $('#microphone'),
      preview: $('#preview'),
      meter: $('#mic-level'),
      status: $('#device-status'),
      error: $('#device-error'),
      retry: $('#devices-retry'),
    },
    (stream) => call?.setStream(stream),
  );
  return devices.start();
}

function enterWaiting() {
  showStep(el.waiting);
  startDevices();
  stopTimers();
  poll = every(WAITING_POLL_MS, async () => {
    const view = await loadCall();
    if (!view) return;
    renderWaiting(view);
    if (view.status === 'in_progress') enterCall();
    if (view.status === 'ended') ended();
  });
  // The clerk is there too: the citizen's page (and the agenda) may show it.
  presence = every(PRESENCE_MS, async () => {
    if (!call) api(`/v1/requests/${where.request}/call/presence`, { method: 'POST', token });
  });
}

async function startCall() {
  const button = $('#call-start');
  button.disabled = true;
  say($('#start-error'), '');
  $('#call-start').textContent = t('staff.starting');
  const answer = await api(`/v1/requests/${where.request}/call/start`, { method: 'POST', token });
  button.disabled = false;
  button.textContent = t('staff.start');
  if (!answer.ok) {
    if (!refused(answer)) say($('#start-error'), problemText(answer));
    return;
  }
  callView = answer.data;
  enterCall();
}

function enterCall() {
  if (call && !call.stopped) return;
  stopTimers();
  hide(el.waiting);
  showStep(el.call);
  el.consent.hidden = false;
  el.hand.hidden = false;
  devices?.quiet();
  call = createCall({
    role: 'clerk',
    token,
    stream: devices?.stream || null,
    load: loadCall,
    el: {
      remote: $('#remote-video'),
      local: $('#local-video'),
      peerStatus: $('#peer-status'),
      indicator: $('#recording-indicator'),
      recordingMessage: $('#recording-message'),
      message: $('#call-message'),
    },
    texts: { present: t('staff.peer.present'), absent: t('staff.peer.absent') },
    onEnded: ended,
    onConsentHint: (consent) => {
      hintAt = performance.now();
      // Stopping on a hint is safe; starting waits for the API to say so.
      if (consent !== 'given') {
        holdUntil = hintAt + HOLD_MS;
        call?.setConsent(consent);
      } else {
        holdUntil = 0;
      }
      pollNow?.();
    },
  });
  call.start();
  if (callView) renderConsent(callView);
  const check = async () => {
    const asked = performance.now();
    const view = await loadCall();
    if (!view) return;
    const held = view.consent === 'given' && performance.now() < holdUntil;
    if (view.status === 'ended') ended();
    else if (asked > hintAt && !held) renderConsent(view);
  };
  pollNow = () => check().catch((error) => console.warn(error));
  // While recording, a withdrawal must stop this page's publication within two seconds even
  // when no hint comes from the citizen's page.
  poll = every(() => (callView?.consent === 'given' ? 1000 : CALL_POLL_MS), check);
}

async function endCall() {
  const button = $('#call-end');
  button.disabled = true;
  // The recording stops first, so the last seconds reach the recorder before the call ends.
  call?.setConsent('not_asked');
  const answer = await api(`/v1/requests/${where.request}/call/end`, { method: 'POST', token });
  button.disabled = false;
  if (!answer.ok) {
    if (!refused(answer)) say($('#call-message'), problemText(answer));
    if (callView) renderConsent(callView);
    return;
  }
  ended();
}

function ended() {
  if (!el.ended.hidden) return;
  stopTimers();
  call?.leave();
  devices?.stop();
  hide(el.waiting, el.call, el.consent, el.hand);
  showStep(el.ended);
}

function main() {
  if (!where) return;
  languageLinks(where);
  token = takeToken(TOKEN_KEY);
  $('#signin').addEventListener('click', signIn);
  $('#signout').addEventListener('click', () => signOut());
  $('#call-start').addEventListener('click', startCall);
  $('#call-end').addEventListener('click', endCall);
  uploader({
    input: $('#hand-document'),
    button: $('#hand-document-send'),
    status: $('#upload-status'),
    request: where.request,
    token: () => token,
    sentKey: 'staff.hand.sent',
  });
  if (token) open();
  else showSignin();
}

main();

// The citizen's join page: device check → waiting room → call (consent, documents) → ended.
import {
  $, api, every, formatDateTime, formatTime, hide, languageLinks, lang, madridDay, problemText,
  procedureName, route, say, showStep, t, takeToken,
} from './common.js';
import { Devices } from './media.js';
import { createCall } from './call.js';
import * as documents from './documents.js';

const WAITING_POLL_MS = 3000;
const PRESENCE_MS = 10000;
// `call.early_join_minutes`, written into the page by the server (GET /call may say it too).
const EARLY_JOIN_MINUTES = (() => {
  const value = Number(document.querySelector('meta[name="arreta-early-join-minutes"]')?.content);
  return Number.isFinite(value) ? value : 15;
})();

const where = route();
const el = {
  error: $('#page-error'),
  deviceCheck: $('#device-check'),
  waitingRoom: $('#waiting-room'),
  waitingStatus: $('#waiting-status'),
  rejoin: $('#rejoin'),
  call: $('#call'),
  consent: $('#consent'),
  documents: $('#call-documents'),
  ended: $('#call-ended'),
};

let token = null;
let caseView = null;
let callView = null;
let callEtag = null;
let call = null;
let left = false;
let poll = null;
let presence = null;
let devices = null;
// When the consent last came from an answer to our own POST: a poll asked before then may still
// carry the old answer and must not restart (or stop) a publication.
let consentAt = 0;

/** A link that does not work (void, refused, unknown): say why and show nothing else. */
function fatal(text) {
  say(el.error, text);
  poll?.stop();
  presence?.stop();
  call?.leave();
  devices?.stop();
  hide(el.deviceCheck, el.waitingRoom, el.call, el.consent, el.documents);
}

async function loadCall() {
  const answer = await api(`/v1/requests/${where.request}/call`, { token });
  if (answer.ok) {
    const changed = answer.etag !== callEtag;
    callEtag = answer.etag;
    callView = answer.data;
    if (changed && call) refreshDocuments();
    return callView;
  }
  // A void or refused link will not come back to life: say so and stop asking.
  if ([401, 403, 404].includes(answer.status)) fatal(problemText(answer));
  return null;
}

async function loadCase() {
  const answer = await api(`/v1/requests/${where.request}`, { token });
  if (!answer.ok) {
    fatal(problemText(answer));
    return;
  }
  caseView = answer.data;
  $('#appointment-time').textContent = formatDateTime(caseView.slot.start);
  $('#appointment-procedure').textContent = await procedureName(caseView.procedure);
}

/** When the waiting room opens: `early_join_minutes` before the appointment. */
function opensAt() {
  const minutes = callView?.early_join_minutes ?? EARLY_JOIN_MINUTES;
  const start = caseView ? new Date(caseView.slot.start).getTime() : 0;
  return { at: start - minutes * 60000, minutes };
}

function isOpen() {
  return caseView && Date.now() >= opensAt().at;
}

function waitingText(text) {
  // The same words again would be read out again by some screen readers.
  if (el.waitingStatus.textContent !== text) el.waitingStatus.textContent = text;
}

async function waitingTick() {
  if (!caseView) await loadCase();
  const view = await loadCall();
  if (!view || !caseView) return;
  if (view.status === 'ended') {
    ended();
    return;
  }
  if (view.status === 'in_progress') {
    if (!left) {
      waitingText(t('waiting.started'));
      enterCall();
    }
    return;
  }
  if (!isOpen()) {
    const { at, minutes } = opensAt();
    const when = new Date(at).toISOString();
    // The time alone when it opens today; the day too when it does not.
    waitingText(
      madridDay(when) === madridDay(new Date().toISOString())
        ? t('waiting.opens', { time: formatTime(when), minutes })
        : t('waiting.opens-day', { date: formatDateTime(when), minutes }),
    );
  } else {
    waitingText(t('waiting.not-started'));
  }
}

function sendPresence() {
  if (!isOpen() || call) return;
  api(`/v1/requests/${where.request}/call/presence`, { method: 'POST', token });
}

function enterWaitingRoom() {
  hide(el.deviceCheck);
  showStep(el.waitingRoom);
  poll?.stop();
  // Also before the room opens: a clerk may open the call early, and the citizen goes in then.
  poll = every(WAITING_POLL_MS, waitingTick);
  presence?.stop();
  presence = every(PRESENCE_MS, async () => sendPresence());
}

/**
 * Shows the consent as `view` has it and acts on it. `announce` (after our own answer was
 * recorded) tells the clerk's page, so it need not wait for its next poll.
 */
function renderConsent(view, { announce = false } = {}) {
  const wording = view.consent_wording;
  const text = $('#consent-text');
  const give = $('#consent-give');
  const decline = $('#consent-decline');
  const withdraw = $('#consent-withdraw');
  if (wording?.text) {
    // The wording may come in the case's language or in both.
    const words =
      typeof wording.text === 'object'
        ? wording.text[caseView?.language] || wording.text[lang] || ''
        : wording.text;
    if (text.textContent !== words) text.textContent = words;
    text.dataset.wordingVersion = wording.version || '';
    give.disabled = false;
    decline.disabled = false;
  } else {
    text.textContent = t('consent.no-wording');
    give.disabled = true;
    decline.disabled = true;
  }
  const state = view.consent || 'not_asked';
  const said = t(`consent.${state}`);
  if ($('#consent-state').textContent !== said) $('#consent-state').textContent = said;
  $('#consent-state').dataset.consent = state;
  give.hidden = state === 'given';
  decline.hidden = state !== 'not_asked';
  withdraw.hidden = state !== 'given';
  call?.setConsent(state, { announce });
}

async function answerConsent(decision) {
  const wording = callView?.consent_wording;
  const buttons = ['#consent-give', '#consent-decline', '#consent-withdraw'].map($);
  for (const button of buttons) button.disabled = true;
  $('#consent-state').textContent = t('consent.sending');
  // Stopping needs no one's leave: both publications end now, not after the answer (the
  // clerk's page is told again once the answer is recorded).
  if (decision !== 'given') call?.setConsent(decision, { announce: true });
  const answer = await api(`/v1/requests/${where.request}/call/consent`, {
    method: 'POST',
    token,
    json: {
      decision,
      wording_version: wording?.version || '',
      // The language the wording was shown in: the API's, else the case's.
      language: wording?.language || caseView?.language || lang,
    },
  });
  for (const button of buttons) button.disabled = false;
  if (answer.ok) {
    consentAt = performance.now();
    callView = { ...callView, ...answer.data };
    callEtag = answer.etag || callEtag;
  } else {
    say(el.error, problemText(answer));
  }
  renderConsent(callView, { announce: answer.ok });
  // The button pressed may be hidden now: the focus goes to the one that undoes it.
  const next = [$('#consent-withdraw'), $('#consent-give')].find((b) => !b.hidden);
  next?.focus();
}

async function refreshDocuments() {
  const found = await documents.list(where.request, token);
  if (!found) return;
  const handed = found.filter((d) => String(d.uploaded_by || '').startsWith('staff:'));
  const list = $('#document-list');
  const shown = [...list.children].map((li) => li.dataset.documentId).join();
  if (shown === handed.map((d) => d.id).join()) return;
  list.replaceChildren(
    ...handed.map((doc) => {
      const item = document.createElement('li');
      item.dataset.documentId = doc.id;
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = doc.file_name;
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'download-document';
      button.dataset.documentId = doc.id;
      button.textContent = t('docs.download');
      const hidden = document.createElement('span');
      hidden.className = 'visually-hidden';
      hidden.textContent = `: ${doc.file_name}`;
      button.append(hidden);
      button.addEventListener('click', async () => {
        button.disabled = true;
        const failure = await documents.download(where.request, token, doc);
        button.disabled = false;
        if (failure) $('#upload-status').textContent = t('docs.download-failed', { reason: failure });
      });
      item.append(name, button);
      return item;
    }),
  );
  $('#document-none').hidden = handed.length > 0;
}

function enterCall() {
  if (call && !call.stopped) return;
  hide(el.waitingRoom, el.deviceCheck, $('.intro'));
  el.rejoin.hidden = true;
  say(el.error, '');
  showStep(el.call);
  el.consent.hidden = false;
  el.documents.hidden = false;
  devices?.quiet();
  call = createCall({
    role: 'citizen',
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
    texts: { present: t('peer.present'), absent: t('peer.absent') },
    onEnded: ended,
    onBye: async () => {
      const view = await loadCall();
      if (view?.status === 'ended') ended();
    },
  });
  call.start();
  if (callView) renderConsent(callView);
  refreshDocuments();
  poll?.stop();
  poll = every(WAITING_POLL_MS, async () => {
    const asked = performance.now();
    const view = await loadCall();
    if (!view) return;
    if (view.status === 'ended') ended();
    else if (asked > consentAt) renderConsent(view);
  });
}

function leave() {
  call?.leave();
  left = true;
  hide(el.call, el.consent, el.documents);
  showStep(el.waitingRoom);
  waitingText(t('waiting.left'));
  el.rejoin.hidden = false;
  poll?.stop();
  poll = every(WAITING_POLL_MS, async () => {
    const view = await loadCall();
    if (view?.status === 'ended') ended();
  });
}

function ended() {
  if (!el.ended.hidden) return;
  call?.leave();
  poll?.stop();
  presence?.stop();
  devices?.stop();
  hide(el.deviceCheck, el.waitingRoom, el.call, el.consent, el.documents);
  showStep(el.ended);
}

function main() {
  if (!where) return;
  languageLinks(where);
  token = takeToken(`arreta.join.${where.request}`);
  if (!token) {
    hide(el.deviceCheck);
    say(el.error, t('join.no-token'));
    return;
  }
  devices = new Devices(
    {
      camera: $('#camera'),
      microphone: $('#microphone'),
      preview: $('#preview'),
      meter: $('#mic-level'),
      status: $('#device-status'),
      error: $('#device-error'),
      retry: $('#devices-retry'),
      ok: $('#devices-ok'),
    },
    (stream) => call?.setStream(stream),
  );
  devices.start();
  loadCase().then(loadCall);
  $('#devices-ok').addEventListener('click', enterWaitingRoom);
  $('#leave').addEventListener('click', leave);
  el.rejoin.addEventListener('click', () => {
    left = false;
    if (callView?.status === 'in_progress') enterCall();
    else enterWaitingRoom();
  });
  $('#consent-give').addEventListener('click', () => answerConsent('given'));
  $('#consent-decline').addEventListener('click', () => answerConsent('declined'));
  $('#consent-withdraw').addEventListener('click', () => answerConsent('withdrawn'));
  documents.uploader({
    input: $('#call-upload'),
    button: $('#call-upload-send'),
    status: $('#upload-status'),
    request: where.request,
    token: () => token,
    sentKey: 'docs.sent',
  });
}

main();

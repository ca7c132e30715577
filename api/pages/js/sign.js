// The sign page: the whole document shown in the page (text as text; a PDF or an image from a
// Blob URL the page makes of the bytes it read with the sign link), the signature's facts, the
// form for the mailed one-time code with the attempts left, then the result and the registry's
// receipt once the registry has numbered the entry.
import {
  $, api, fetchBlob, formatDateTime, hide, languageLinks, linkFailed, linkIsVoid, problemKind,
  problemText, route, say, showStep, t, takeToken, voidLink,
} from './common.js';
import { fieldError } from './form.js';

const where = route();
const signature = new URLSearchParams(location.search).get('signature') || '';
const MAX_ATTEMPTS = 5;
const REGISTRY_POLL_MS = 1500;
const REGISTRY_WAIT_MS = 120000;

const el = {
  error: $('#page-error'),
  void: $('#void'),
  document: $('#document'),
  code: $('#code-step'),
  signed: $('#signed'),
  locked: $('#locked'),
  input: $('#code'),
  attempts: $('#code-attempts'),
  status: $('#document-status'),
};

let token = null;
let view = null;
let shownDocument = null;

async function loadSignature() {
  const answer = await api(`/v1/requests/${where.request}/signatures/${signature}`, { token });
  if (!answer.ok) {
    linkFailed(answer);
    return null;
  }
  view = answer.data;
  return view;
}

function attemptsLeft() {
  if (Number.isInteger(view.attempts_left)) return view.attempts_left;
  return Math.max(0, MAX_ATTEMPTS - (view.failed_attempts || 0));
}

/** Reads the document with the sign link and shows all of it. */
async function showDocument() {
  if (shownDocument === view.document_id) return;
  shownDocument = view.document_id;
  const why = encodeURIComponent(t('sign.why'));
  const read = await fetchBlob(`/v1/requests/${where.request}/documents/${view.document_id}/content?why=${why}`, token);
  if (!read.ok) {
    el.status.textContent = problemText(read);
    shownDocument = null;
    return;
  }
  const { type, blob } = read;
  if (type.startsWith('text/')) {
    const text = $('#document-text');
    text.textContent = await blob.text();
    text.hidden = false;
  } else if (type === 'application/pdf') {
    const frame = $('#document-frame');
    frame.src = URL.createObjectURL(new Blob([blob], { type }));
    frame.hidden = false;
  } else if (type.startsWith('image/')) {
    const image = $('#document-image');
    image.src = URL.createObjectURL(blob);
    image.hidden = false;
  }
  el.status.textContent = t('sign.document.shown');
  document.body.dataset.document = 'shown';
}

function showFacts() {
  $('#sign-kind').textContent = t(`sign.kind.${view.kind}`);
  $('#sign-addressee').textContent = view.addressee;
  $('#sign-signer').textContent = `${view.signer_name} (${view.signer_national_id})`;
  $('#sign-digest').textContent = view.sha256;
}

function showAttempts() {
  const left = attemptsLeft();
  el.attempts.textContent = t(left === 1 ? 'sign.attempts.one' : 'sign.attempts', { n: left });
  const expires = view.code_expires_at ? ` ${t('sign.code.expires', { when: formatDateTime(view.code_expires_at) })}` : '';
  $('#code-hint').textContent = `${t('sign.code.hint')}${expires}`;
}

/** After signing: the receipt, waiting (politely) for the registry's number. */
async function showSigned() {
  hide(el.code, el.locked);
  $('#signed-at').textContent = view.signed_at ? formatDateTime(view.signed_at) : '';
  showStep(el.signed);
  document.body.dataset.state = 'signed';
  const status = $('#registry-status');
  const deadline = Date.now() + REGISTRY_WAIT_MS;
  status.textContent = t('sign.registry.waiting');
  while (!view.registry_number && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, REGISTRY_POLL_MS));
    if (!(await loadSignature())) return;
  }
  if (view.registry_number) {
    $('#registry-number').textContent = String(view.registry_number);
    $('#registry-at').textContent = view.registered_at ? formatDateTime(view.registered_at) : '';
    status.textContent = t('sign.registry.done', { number: view.registry_number });
    document.body.dataset.state = 'registered';
  } else {
    status.textContent = t('sign.registry.later');
  }
}

function showLocked() {
  hide(el.code);
  document.body.dataset.state = 'locked';
  showStep(el.locked);
}

async function confirm(event) {
  event.preventDefault();
  const code = el.input.value.replace(/\s/g, '');
  if (!/^\d{6}$/.test(code)) {
    fieldError(el.input, t('sign.code.format'));
    el.input.focus();
    return;
  }
  fieldError(el.input, '');
  const button = $('#code-submit');
  button.disabled = true;
  const answer = await api(`/v1/requests/${where.request}/signatures/${signature}/confirm`, {
    method: 'POST',
    token,
    json: { code },
  });
  button.disabled = false;
  if (answer.ok) {
    view = answer.data;
    showSigned();
    return;
  }
  const kind = problemKind(answer);
  if (kind === 'signature-locked' || kind === 'signature-locked-now') {
    await loadSignature();
    showLocked();
    return;
  }
  if (kind === 'already-signed') {
    if (await loadSignature()) showSigned();
    return;
  }
  if (linkIsVoid(answer)) {
    voidLink(problemText(answer));
    return;
  }
  // A wrong or expired code: said at the field, with the attempts the signature has left.
  if (await loadSignature()) {
    if (view.status === 'locked') {
      showLocked();
      return;
    }
    showAttempts();
  }
  fieldError(el.input, problemText(answer));
  el.input.select();
  el.input.focus();
}

async function main() {
  if (!where?.request) return;
  token = takeToken(`arreta.sign.${where.request}`);
  languageLinks(where);
  if (!token || !/^[0-9a-fA-F-]{36}$/.test(signature)) {
    voidLink(t(token ? 'sign.no-signature' : 'sign.no-token'));
    return;
  }
  $('#code-form').addEventListener('submit', confirm);
  if (!(await loadSignature())) return;
  say(el.error, '');
  showFacts();
  showStep(el.document, { focus: false });
  await showDocument();
  if (view.status === 'signed') showSigned();
  else if (view.status === 'locked') showLocked();
  else {
    showAttempts();
    el.code.hidden = false;
  }
}

main();

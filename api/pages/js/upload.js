// The upload page: the documents the clerk asked for and until when, sending each one with a
// progress bar (XMLHttpRequest, since fetch cannot report an upload's progress), and what the
// clerk made of each (pending, accepted, rejected with the reason; a rejected one is replaced
// by sending another). Type and size are checked against the server's own limits first.
import {
  $, api, lang, languageLinks, linkFailed, linkIsVoid, problemText, route, say, t, takeToken,
  voidLink,
} from './common.js';
import { citizensDocuments, renderDocuments, renderRequested, stateOf } from './document-status.js';
import { fieldError } from './form.js';

const where = route();
const POLL_MS = 5000;
// What the API has always taken, for a server that does not say (`max_bytes`, `media_types`).
const DEFAULT_TYPES = ['application/pdf', 'image/jpeg', 'image/png'];
const DEFAULT_MAX = 50 * 1024 * 1024;
const EXTENSIONS = { 'application/pdf': ['pdf'], 'image/jpeg': ['jpg', 'jpeg'], 'image/png': ['png'] };
const NAMES = { 'application/pdf': 'PDF', 'image/jpeg': 'JPEG', 'image/png': 'PNG' };

const el = {
  error: $('#page-error'),
  void: $('#void'),
  asked: $('#asked'),
  send: $('#send'),
  sent: $('#sent'),
  file: $('#upload-file'),
  fileName: $('#upload-file-name'),
  progressField: $('#progress-field'),
  progress: $('#upload-progress'),
  status: $('#upload-status'),
  button: $('#upload-send'),
  review: $('#review-status'),
};

let token = null;
let limits = { types: DEFAULT_TYPES, max: DEFAULT_MAX };
let shown = null;
let timer = null;
let replacing = null;

/** A link that no longer works: nothing more is asked. */
function showVoid(text) {
  clearTimeout(timer);
  voidLink(text);
}

function megabytes(bytes) {
  return new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(bytes / (1024 * 1024));
}

function applyLimits(view) {
  const types = Array.isArray(view.media_types) && view.media_types.length ? view.media_types : DEFAULT_TYPES;
  const max = Number(view.max_bytes) > 0 ? Number(view.max_bytes) : DEFAULT_MAX;
  limits = { types, max };
  el.file.accept = [...types, ...types.flatMap((type) => (EXTENSIONS[type] || []).map((e) => `.${e}`))].join(',');
  $('#upload-limits').textContent = t('upload.limits', {
    types: types.map((type) => NAMES[type] || type).join(', '),
    size: megabytes(max),
  });
}

/** Why `file` would be refused, or null: the server's own limits, checked before sending. */
function refusal(file) {
  const extension = file.name.includes('.') ? file.name.split('.').pop().toLowerCase() : '';
  const typed = limits.types.includes(file.type);
  const named = limits.types.some((type) => (EXTENSIONS[type] || []).includes(extension));
  if (!typed && !(file.type === '' && named)) {
    return t('upload.wrong-type', { types: limits.types.map((type) => NAMES[type] || type).join(', ') });
  }
  if (file.size === 0) return t('upload.empty');
  if (file.size > limits.max) return t('upload.too-large', { size: megabytes(limits.max) });
  return null;
}

function announceReviews(before, documents) {
  if (!before) return;
  const old = new Map(before.split(',').filter(Boolean).map((pair) => pair.split(':')));
  for (const doc of documents) {
    if (old.get(doc.id) === 'pending' && doc.status !== 'pending') {
      el.review.textContent = t(doc.status === 'accepted' ? 'docs.now-accepted' : 'docs.now-rejected', { name: doc.file_name });
    }
  }
}

async function load() {
  const answer = await api(`/v1/requests/${where.request}/documents`, { token });
  if (!answer.ok) {
    clearTimeout(timer);
    linkFailed(answer);
    return null;
  }
  const view = answer.data;
  renderRequested($('#requested-list'), $('#documents-due'), view);
  applyLimits(view);
  const mine = citizensDocuments(view);
  const state = stateOf(mine);
  if (state !== shown) {
    announceReviews(shown, mine);
    shown = state;
    renderDocuments($('#document-list'), $('#document-none'), mine, { onReplace: replace });
  }
  for (const section of [el.asked, el.send, el.sent]) section.hidden = false;
  // Asked again while the clerk has anything left to review.
  clearTimeout(timer);
  if (mine.some((d) => d.status === 'pending')) timer = setTimeout(load, POLL_MS);
  return view;
}

function replace(doc) {
  replacing = doc;
  el.status.textContent = t('upload.replacing', { name: doc.file_name });
  el.file.focus();
}

function showChosen() {
  const file = el.file.files?.[0];
  el.fileName.textContent = file ? t('docs.chosen', { name: file.name }) : t('docs.no-file');
  fieldError(el.file, file ? refusal(file) || '' : '');
}

/** Sends the file's bytes as they are, its name in `?name=`; answers `{status, data}`. */
function send(file, onProgress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/v1/requests/${where.request}/documents?name=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    xhr.setRequestHeader('Accept-Language', lang);
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.responseType = 'json';
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      const ok = xhr.status >= 200 && xhr.status < 300;
      resolve({ ok, status: xhr.status, data: ok ? xhr.response : null, problem: ok ? null : xhr.response || {} });
    };
    xhr.onerror = () => resolve({ ok: false, status: 0, data: null, problem: { title: t('error.network') } });
    xhr.send(file);
  });
}

async function upload(event) {
  event.preventDefault();
  const file = el.file.files?.[0];
  if (!file) {
    fieldError(el.file, t('docs.choose'));
    el.file.focus();
    return;
  }
  const refused = refusal(file);
  if (refused) {
    fieldError(el.file, refused);
    el.file.focus();
    return;
  }
  fieldError(el.file, '');
  el.button.disabled = true;
  el.progress.value = 0;
  el.progressField.hidden = false;
  el.status.textContent = t('docs.sending', { name: file.name });
  let said = 0;
  const answer = await send(file, (share) => {
    const percent = Math.round(share * 100);
    el.progress.value = percent;
    el.progress.textContent = `${percent} %`;
    // The bar is always there to see; a screen reader hears it every quarter, not every event.
    if (percent >= said + 25) {
      said = percent - (percent % 25);
      el.status.textContent = t('upload.progress-at', { name: file.name, percent: said });
    }
  });
  el.button.disabled = false;
  if (answer.ok) {
    el.progress.value = 100;
    el.status.textContent = t(replacing ? 'upload.replaced' : 'docs.sent', { name: answer.data?.file_name || file.name });
    replacing = null;
    el.file.value = '';
    showChosen();
    await load();
    return;
  }
  if (linkIsVoid(answer)) {
    showVoid(problemText(answer));
    return;
  }
  el.progressField.hidden = true;
  el.status.textContent = '';
  fieldError(el.file, t('docs.failed', { reason: problemText(answer) }));
  el.file.focus();
}

function main() {
  if (!where?.request) return;
  token = takeToken(`arreta.upload.${where.request}`);
  languageLinks(where);
  if (!token) {
    showVoid(t('upload.no-token'));
    return;
  }
  el.file.addEventListener('change', showChosen);
  $('#upload-form').addEventListener('submit', upload);
  load().then((view) => {
    if (view) say(el.error, '');
  });
}

main();

// The manage page: the appointment as it stands, moving it to another proposed time, cancelling
// it (after a confirmation step), the documents asked and their review, and once the case is
// closed its outcome. A void link says so and points at the page that mails a new one.
import {
  $, alertAt, api, formatDateTime, hide, languageLinks, linkFailed, linkIsVoid, problemKind,
  problemText, procedureName, route, saveBlob, say, showStep, store, t, takeToken, voidLink,
} from './common.js';
import { slotPicker } from './slots.js';
import { citizensDocuments, renderDocuments, renderRequested } from './document-status.js';

const where = route();
const KEY = `arreta.manage.${where?.request}`;
const el = {
  error: $('#page-error'),
  void: $('#void'),
  appointment: $('#appointment'),
  state: $('#appointment-state'),
  actions: $('#appointment-actions'),
  reschedule: $('#reschedule'),
  cancel: $('#cancel-confirm'),
  outcome: $('#outcome'),
  documents: $('#documents'),
};

let token = null;
let view = null;
let etag = null;
const picker = slotPicker('move');

const STATES = {
  booked: 'manage.state.booked',
  cancelled: 'manage.state.cancelled',
  no_show: 'manage.state.no-show',
  closed: 'manage.state.closed',
};

async function render(announce) {
  $('#appointment-procedure').textContent = await procedureName(view.procedure);
  $('#appointment-when').textContent = formatDateTime(view.slot.start);
  $('#appointment-length').textContent = t('facts.minutes', { n: view.slot.minutes });
  $('#appointment-reference').textContent = view.id;
  const text = announce || t(STATES[view.status] || 'manage.state.booked');
  if (el.state.textContent !== text) el.state.textContent = text;
  document.body.dataset.state = view.status;
  el.actions.hidden = view.status !== 'booked';
  $('#book-again').hidden = view.status !== 'cancelled';
  if (view.status === 'closed') {
    $('#outcome-result').textContent = t(`manage.outcome.${view.outcome}`);
    $('#outcome-summary').textContent = view.closing_summary || '';
    $('#outcome-registry').textContent = view.registry_entry || '';
    $('#outcome-registry-row').hidden = !view.registry_entry;
    el.outcome.hidden = false;
  }
}

async function loadDocuments() {
  const answer = await api(`/v1/requests/${where.request}/documents`, { token });
  // Only when the case has documents to show; a manage link the API does not let read them
  // (an older server) simply shows none.
  if (!answer.ok) return;
  const asked = renderRequested($('#requested-list'), $('#documents-due'), answer.data);
  const mine = citizensDocuments(answer.data);
  renderDocuments($('#document-list'), $('#document-none'), mine);
  el.documents.hidden = !(asked || mine.length);
}

/** "found your appointment by searching your DNI/NIE": `filters` as the API lists them
 * (`national_id,email`), each named for people; a filter the texts do not know shows as is. */
function searchText(filters) {
  const names = filters.split(',').filter(Boolean).map((filter) =>
    t(`manage.accesses.search.${filter}`).replace(/^manage\.accesses\.search\..*/, filter));
  return t('manage.accesses.search', { what: names.join(t('manage.accesses.search.and')) });
}

/** Who read the citizen's documents and recordings, and why (`GET .../accesses`). */
async function loadAccesses() {
  const answer = await api(`/v1/requests/${where.request}/accesses`, { token });
  if (!answer.ok) return;
  const list = $('#access-list');
  list.replaceChildren(...answer.data.accesses.map((access) => {
    const item = document.createElement('li');
    const who = access.role === 'citizen' ? t('manage.accesses.you') : access.by.replace(/^staff:/, '');
    // A document or a recording, or (for staff reading the whole case) its history, its
    // export or its case file, or a staff search by personal data that found the case.
    let what;
    if (access.kind === 'document') {
      what = t('manage.accesses.document', { name: access.subject || '' });
    } else if (access.kind === 'search') {
      what = searchText(access.subject || '');
    } else {
      what = t(`manage.accesses.${access.kind}`).replace(/^manage\.accesses\..*/, access.kind);
    }
    item.textContent = t('manage.accesses.item', {
      when: formatDateTime(access.at),
      what,
      who,
      // A role the texts do not name (a new one) shows as the API says it.
      role: t(`manage.accesses.role.${access.role}`).replace(/^manage\.accesses\.role\..*/, access.role),
      why: access.why || t('manage.accesses.no-why'),
    });
    return item;
  }));
  $('#access-none').hidden = answer.data.accesses.length > 0;
  $('#accesses').hidden = false;
}

/** The citizen's own copy of the case file, saved as JSON from the page (the token stays out
 * of any URL). */
async function downloadCaseFile() {
  const status = $('#case-file-status');
  const answer = await api(`/v1/requests/${where.request}/case-file`, { token });
  if (!answer.ok) {
    say(status, problemText(answer));
    return;
  }
  const name = `arreta-${where.request}.json`;
  saveBlob(new Blob([JSON.stringify(answer.data, null, 2)], { type: 'application/json' }), name);
  say(status, t('manage.case-file.done', { name }));
}

/** The same case file as a page to read, in the case's language, saved from the page: fetched
 * with the Bearer header (the token stays out of any URL), so it opens offline. */
async function downloadReadable() {
  const status = $('#case-file-status');
  const answer = await api(`/v1/requests/${where.request}/case-file`, {
    token,
    blob: true,
    headers: { Accept: 'text/html, application/problem+json' },
  });
  if (!answer.ok || !(answer.data instanceof Blob)) {
    say(status, problemText(answer));
    return;
  }
  const name = `arreta-${where.request}.html`;
  saveBlob(answer.data, name);
  say(status, t('manage.case-file.done', { name }));
}

async function load() {
  const answer = await api(`/v1/requests/${where.request}`, { token });
  if (!answer.ok) {
    linkFailed(answer);
    return false;
  }
  view = answer.data;
  etag = answer.etag;
  await render();
  showStep(el.appointment, { focus: false });
  loadDocuments();
  loadAccesses();
  return true;
}

function back(announce) {
  hide(el.reschedule, el.cancel);
  render(announce);
  showStep(el.appointment);
}

async function openReschedule() {
  hide(el.cancel);
  showStep(el.reschedule);
  await picker.load(view.procedure, { skip: view.slot.start });
}

async function reschedule(event) {
  event.preventDefault();
  const slot = picker.selected();
  if (!slot) {
    picker.complain();
    return;
  }
  const button = $('#reschedule-submit');
  button.disabled = true;
  const answer = await api(`/v1/requests/${where.request}/reschedule`, {
    method: 'POST',
    token,
    json: { start: slot.start },
    // Moved only if nobody changed the case since we read it.
    headers: etag ? { 'If-Match': etag } : {},
  });
  button.disabled = false;
  if (answer.ok) {
    view = answer.data;
    etag = answer.etag;
    if (view.manage_token) {
      // The old link was bound to the old time: the new one replaces it here and in storage,
      // and no token stays in the address.
      token = view.manage_token;
      store.set(KEY, token);
      history.replaceState(history.state, '', location.pathname + location.search);
      languageLinks(where);
    }
    back(t('manage.rescheduled', { when: formatDateTime(view.slot.start) }));
    return;
  }
  if (answer.status === 412) {
    await load();
    alertAt($('#move-error'), t('manage.changed-meanwhile'));
    return;
  }
  const kind = problemKind(answer);
  if (kind.startsWith('slot')) picker.drop(slot.start);
  if (linkIsVoid(answer)) {
    voidLink(problemText(answer));
    return;
  }
  alertAt($('#move-error'), problemText(answer));
}

function openCancel() {
  hide(el.reschedule);
  $('#cancel-what').textContent = t('manage.cancel.what', {
    procedure: $('#appointment-procedure').textContent,
    when: formatDateTime(view.slot.start),
  });
  showStep(el.cancel);
}

async function cancel() {
  const button = $('#cancel-yes');
  button.disabled = true;
  const answer = await api(`/v1/requests/${where.request}/cancel`, {
    method: 'POST',
    token,
    json: {},
    headers: etag ? { 'If-Match': etag } : {},
  });
  button.disabled = false;
  if (answer.ok) {
    view = answer.data;
    etag = answer.etag;
    back(t('manage.cancelled'));
    return;
  }
  if (answer.status === 412) {
    await load();
    back(t('manage.changed-meanwhile'));
    return;
  }
  linkFailed(answer);
}

function main() {
  if (!where?.request) return;
  token = takeToken(KEY);
  languageLinks(where);
  if (!token) {
    voidLink(t('manage.no-token'));
    return;
  }
  $('#reschedule-open').addEventListener('click', openReschedule);
  $('#reschedule-form').addEventListener('submit', reschedule);
  $('#reschedule-back').addEventListener('click', () => back());
  $('#cancel-open').addEventListener('click', openCancel);
  $('#cancel-keep').addEventListener('click', () => back());
  $('#cancel-yes').addEventListener('click', cancel);
  $('#case-file-download').addEventListener('click', downloadCaseFile);
  $('#case-file-readable').addEventListener('click', downloadReadable);
  load();
}

main();

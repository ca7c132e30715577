// The booking page: procedure → day and time → the citizen's details → the receipt. Each step
// is a form of its own; moving on puts the focus on the next step's heading. The proof of work
// the API asks of anonymous bookings is solved in a worker from the moment the details open.
import {
  $, alertAt, api, formatDateTime, hide, languageLinks, lang, pageUrl, problemKind, problemText,
  procedures, route, say, showStep, store, t,
} from './common.js';
import { slotPicker } from './slots.js';
import { checkEmail, checkName, checkNationalId, checkPhone } from './checks.js';
import { clearErrors, fieldError, runChecks, showProblem } from './form.js';
import { prepareProof } from './proof.js';
import * as calendar from './calendar.js';

const where = route();
const MAIL_DOMAIN = document.querySelector('meta[name="arreta-mail-domain"]')?.content || location.hostname;
// `mail.call_link_lead_minutes`, written into the page by the server.
const CALL_LINK_MINUTES = Number(document.querySelector('meta[name="arreta-call-link-minutes"]')?.content) || 15;
const el = {
  error: $('#page-error'),
  steps: {
    procedure: $('#procedure-step'),
    time: $('#time-step'),
    details: $('#details-step'),
    receipt: $('#receipt-step'),
  },
  procedureList: $('#procedure-list'),
  procedureError: $('#procedure-error'),
  procedureStatus: $('#procedure-status'),
  detailsForm: $('#details-form'),
  detailsError: $('#details-error'),
  proofStatus: $('#proof-status'),
  submit: $('#book-submit'),
  fields: {
    name: $('#name'),
    nationalId: $('#national-id'),
    email: $('#email'),
    phone: $('#phone'),
  },
};

let catalogue = [];
let chosen = null;
let slot = null;
let proof = null;
const picker = slotPicker('book');

function go(name) {
  hide(...Object.values(el.steps));
  document.body.dataset.step = name;
  showStep(el.steps[name]);
}

/** The procedure's facts as one line: its length and the documents it asks for. */
function facts(procedure) {
  const documents = (procedure.documents || []).map((d) => d[lang]).filter(Boolean);
  const length = t('facts.minutes', { n: procedure.minutes });
  return documents.length ? `${length} · ${t('book.procedure.bring', { documents: documents.join(', ') })}` : length;
}

async function loadProcedures() {
  const answer = await procedures();
  if (!answer.ok) {
    el.procedureStatus.textContent = problemText(answer);
    return;
  }
  catalogue = answer.data.items || [];
  const wanted = (new URLSearchParams(location.search).get('procedure') || '').toUpperCase();
  el.procedureList.replaceChildren(
    ...catalogue.map((procedure) => {
      const id = `procedure-${procedure.code}`;
      const wrap = document.createElement('div');
      wrap.className = 'choice';
      const input = document.createElement('input');
      input.type = 'radio';
      input.name = 'procedure';
      input.value = procedure.code;
      input.id = id;
      input.checked = procedure.code === wanted;
      input.setAttribute('aria-describedby', `${id}-facts`);
      input.addEventListener('change', () => {
        el.procedureError.hidden = true;
        for (const radio of el.procedureList.querySelectorAll('input')) {
          radio.removeAttribute('aria-invalid');
          radio.setAttribute('aria-describedby', `${radio.id}-facts`);
        }
      });
      const label = document.createElement('label');
      label.htmlFor = id;
      const name = document.createElement('span');
      name.className = 'choice-title';
      name.textContent = procedure.name?.[lang] || procedure.code;
      const detail = document.createElement('span');
      detail.className = 'choice-facts';
      detail.id = `${id}-facts`;
      detail.textContent = facts(procedure);
      label.append(name, detail);
      wrap.append(input, label);
      return wrap;
    }),
  );
  el.procedureStatus.textContent = catalogue.length ? '' : t('book.procedure.none');
  // The page is usable from here on (measured by the tests as "procedure list focusable").
  document.body.dataset.ready = 'true';
}

/** The chosen procedure rides in the query, so a language switch or a reload keeps it. */
function remember(code) {
  const query = new URLSearchParams(location.search);
  query.set('procedure', code);
  history.replaceState(history.state, '', `${location.pathname}?${query}`);
  languageLinks(where);
}

async function toTime(event) {
  event.preventDefault();
  const code = el.procedureList.querySelector('input:checked')?.value;
  chosen = catalogue.find((p) => p.code === code) || null;
  if (!chosen) {
    el.procedureError.textContent = t('book.procedure.choose');
    el.procedureError.hidden = false;
    for (const radio of el.procedureList.querySelectorAll('input')) {
      radio.setAttribute('aria-invalid', 'true');
      radio.setAttribute('aria-describedby', `procedure-error ${radio.id}-facts`);
    }
    el.procedureList.querySelector('input')?.focus();
    return;
  }
  remember(chosen.code);
  $('#time-procedure').textContent = `${chosen.name?.[lang] || chosen.code} · ${t('facts.minutes', { n: chosen.minutes })}`;
  go('time');
  await picker.load(chosen.code);
}

function toDetails(event) {
  event.preventDefault();
  slot = picker.selected();
  if (!slot) {
    picker.complain();
    return;
  }
  $('#details-summary').textContent = t('book.details.summary', {
    procedure: chosen.name?.[lang] || chosen.code,
    when: formatDateTime(slot.start),
  });
  const language = el.detailsForm.querySelector('input[name="language"]:checked');
  if (!language) $(`#language-${lang}`).checked = true;
  go('details');
  // Started now, solved while the citizen types.
  proof ??= prepareProof();
}

/**
 * Sends the booking with a proof. A proof refused as used or expired (422 `challenge-invalid`),
 * or missing (428), is taken again once more; any other answer is the answer.
 */
async function send(body) {
  let answer = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    el.proofStatus.textContent = t('book.sending');
    const prepared = await proof.ready();
    if (prepared.failure) return prepared.failure;
    const json = prepared.proof ? { ...body, proof: prepared.proof } : body;
    answer = await api('/v1/requests', {
      method: 'POST',
      json,
      // One key per body: a retry after a lost answer gets the booking, not a second one.
      headers: { 'Idempotency-Key': crypto.randomUUID() },
    });
    // A challenge counts once, whatever the answer: a next try (after a refusal) needs a new one.
    if (prepared.proof && !answer.ok) proof.fresh();
    const kind = problemKind(answer);
    if (answer.ok || !(answer.status === 428 || kind === 'challenge-invalid' || kind === 'challenge-expired')) break;
  }
  return answer;
}

async function book(event) {
  event.preventDefault();
  clearErrors(el.detailsForm);
  say(el.detailsError, '');
  const f = el.fields;
  const valid = runChecks([
    [f.name, checkName],
    [f.nationalId, checkNationalId],
    [f.email, checkEmail],
    [f.phone, checkPhone],
  ]);
  if (!valid) return;
  const language = el.detailsForm.querySelector('input[name="language"]:checked')?.value || lang;
  const phone = f.phone.value.trim();
  const body = {
    procedure: chosen.code,
    start: slot.start,
    channel: 'web',
    language,
    citizen: {
      name: f.name.value.trim(),
      national_id: f.nationalId.value.trim(),
      email: f.email.value.trim(),
      phone: phone || null,
    },
  };
  el.submit.disabled = true;
  el.submit.setAttribute('aria-busy', 'true');
  const answer = await send(body);
  el.submit.disabled = false;
  el.submit.removeAttribute('aria-busy');
  el.proofStatus.textContent = '';
  if (answer.ok) {
    receipt(answer.data);
    return;
  }
  const kind = problemKind(answer);
  const fields = answer.problem?.errors?.map((e) => e.field) || [];
  if (kind.startsWith('slot') || fields.includes('start')) {
    // The time is gone (taken meanwhile, or no longer bookable): choose another.
    picker.drop(slot.start);
    go('time');
    alertAt($('#book-error'), problemText(answer));
    return;
  }
  showProblem(answer, el.detailsError, {
    'citizen.name': f.name,
    'citizen.national_id': f.nationalId,
    'citizen.email': f.email,
    'citizen.phone': f.phone,
    language: $(`#language-${language}`),
  });
  if (kind === 'already-booked') {
    // The appointment this person already has is reached with its link, which can be mailed again.
    const link = document.createElement('a');
    link.href = pageUrl(where, 'manage');
    link.textContent = t('book.lost-link');
    el.detailsError.append(' ', link);
  }
}

function receipt(view) {
  const name = chosen.name?.[lang] || chosen.code;
  $('#receipt-procedure').textContent = name;
  $('#receipt-when').textContent = formatDateTime(view.slot.start);
  $('#receipt-length').textContent = t('facts.minutes', { n: view.slot.minutes });
  $('#receipt-reference').textContent = view.id;
  const documents = (chosen.documents || []).map((d) => d[lang]).filter(Boolean);
  $('#receipt-documents').replaceChildren(
    ...documents.map((text) => {
      const item = document.createElement('li');
      item.textContent = text;
      return item;
    }),
  );
  $('#receipt-no-documents').hidden = documents.length > 0;
  $('#receipt-how').textContent = t('receipt.how', { minutes: CALL_LINK_MINUTES });
  const manage = $('#receipt-manage');
  if (view.manage_token) {
    // The token rides in the fragment only: the manage page takes it out of the address.
    manage.href = `${pageUrl(where, 'manage')}/${view.id}#${encodeURIComponent(view.manage_token)}`;
    store.set(`arreta.manage.${view.id}`, view.manage_token);
  } else {
    manage.href = pageUrl(where, 'manage');
  }
  $('#receipt-calendar').onclick = () => {
    const day = view.slot.local_start?.slice(0, 10) || view.slot.start.slice(0, 10);
    $('#calendar-status').textContent = calendar.download(
      {
        id: view.id,
        start: view.slot.start,
        end: view.slot.end,
        summary: `${name} · ${t('site.council')}`,
        description: t('receipt.ics.description', { reference: view.id }),
        host: MAIL_DOMAIN,
      },
      `${t('receipt.ics.file')}-${day}.ics`,
    );
  };
  document.body.dataset.request = view.id;
  go('receipt');
}

function main() {
  if (!where) return;
  languageLinks(where);
  $('#procedure-form').addEventListener('submit', toTime);
  $('#time-form').addEventListener('submit', toDetails);
  $('#time-back').addEventListener('click', () => go('procedure'));
  $('#details-back').addEventListener('click', () => go('time'));
  el.detailsForm.addEventListener('submit', book);
  // A field corrected is no longer marked wrong once its new value passes its check. On input,
  // not on blur: a message vanishing on blur moves the button being clicked from under the
  // pointer, and the click is lost.
  for (const [input, check] of [
    [el.fields.name, checkName],
    [el.fields.nationalId, checkNationalId],
    [el.fields.email, checkEmail],
    [el.fields.phone, checkPhone],
  ]) {
    input.addEventListener('input', () => {
      if (input.getAttribute('aria-invalid') === 'true' && !check(input.value)) fieldError(input, '');
    });
  }
  document.body.dataset.step = 'procedure';
  loadProcedures();
}

main();

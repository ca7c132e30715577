// "Lost your link?": the DNI/NIE and the email of an appointment; the API mails a new manage
// link to the address it has on file, and answers the same whether or not anything matched,
// so the page says only that a link was sent if they match.
import { $, alertAt, api, languageLinks, route, showStep } from './common.js';
import { checkEmail, checkNationalId } from './checks.js';
import { clearErrors, runChecks, showProblem } from './form.js';

const where = route();

async function ask(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const nationalId = $('#national-id');
  const email = $('#email');
  clearErrors(form);
  alertAt($('#page-error'), '');
  if (!runChecks([[nationalId, checkNationalId], [email, checkEmail]])) return;
  const button = $('#lost-submit');
  button.disabled = true;
  const answer = await api('/v1/links/manage', {
    method: 'POST',
    json: { national_id: nationalId.value.trim(), email: email.value.trim() },
  });
  button.disabled = false;
  if (answer.ok) {
    $('#lost').hidden = true;
    document.body.dataset.state = 'sent';
    showStep($('#lost-done'));
    return;
  }
  showProblem(answer, $('#page-error'), { national_id: nationalId, email });
}

function main() {
  if (!where) return;
  languageLinks(where);
  $('#lost-form').addEventListener('submit', ask);
}

main();

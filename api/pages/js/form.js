// Errors tied to their fields: the message under the field, the field marked `aria-invalid`
// and described by the message, the first wrong field focused. The API's problems name their
// fields (`errors[].field`, e.g. `citizen.email`); `fields` maps those names to inputs.
import { alertAt, problemText, t } from './common.js';

function errorOf(input) {
  return document.getElementById(`${input.id}-error`);
}

/** Shows (or, with no message, clears) the error of one field. */
export function fieldError(input, message) {
  const error = errorOf(input);
  const described = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
  const others = described.filter((id) => id !== error?.id);
  if (message) {
    input.setAttribute('aria-invalid', 'true');
    // The message first: it is what the person needs to hear on coming back to the field.
    input.setAttribute('aria-describedby', [error?.id, ...others].filter(Boolean).join(' '));
  } else {
    input.removeAttribute('aria-invalid');
    if (others.length) input.setAttribute('aria-describedby', others.join(' '));
    else input.removeAttribute('aria-describedby');
  }
  if (error) {
    error.textContent = message || '';
    error.hidden = !message;
  }
}

/** Clears every field error of a form. */
export function clearErrors(form) {
  for (const input of form.querySelectorAll('[aria-invalid="true"]')) fieldError(input, '');
}

/**
 * Runs `checks` (`[[input, check]]`, each check answering null or `{key, vars}`), shows each
 * failure at its field and focuses the first. Answers whether everything passed.
 */
export function runChecks(checks) {
  let first = null;
  for (const [input, check] of checks) {
    const failure = check(input.value);
    fieldError(input, failure ? t(failure.key, failure.vars) : '');
    if (failure && !first) first = input;
  }
  first?.focus();
  return !first;
}

/**
 * Shows an API problem: each named field's message at its field (first one focused), and the
 * rest (or a problem naming no field we have) in the alert at the top, focused.
 */
export function showProblem(answer, alert, fields = {}) {
  const errors = answer.problem?.errors || [];
  let first = null;
  const unplaced = [];
  for (const error of errors) {
    const input = fields[error.field];
    if (input) {
      fieldError(input, error.message);
      first ??= input;
    } else {
      unplaced.push(error.message);
    }
  }
  if (first && !unplaced.length) {
    alertAt(alert, '');
    first.focus();
    return;
  }
  const text = [problemText(answer), ...unplaced].filter(Boolean).join(' ');
  alertAt(alert, text || t('error.generic'));
}

// The citizen's details checked in the page as the API checks them (domain::values), so a
// mistake is shown next to its field before anything is sent. The server checks again: these
// only spare a round trip, and each answers a text key (or null when the value is fine).

const CHECK_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';

/** `CitizenName::parse`: 1 to 120 characters of letters, spaces and ' - . , · ’. */
export function checkName(value) {
  const folded = value.split(/\s+/).filter(Boolean).join(' ');
  if (!folded) return { key: 'check.name.empty' };
  if ([...folded].length > 120) return { key: 'check.name.long', vars: { max: 120 } };
  if (!/^[\p{L}\p{M} '\-.,·\u2019]+$/u.test(folded)) return { key: 'check.name.characters' };
  return null;
}

/** `NationalId::parse`: a DNI (8 digits) or NIE (X, Y or Z and 7 digits) and its check letter. */
export function checkNationalId(value) {
  const cleaned = value.replace(/[ .-]/g, '').toUpperCase();
  if (!cleaned) return { key: 'check.national-id.empty' };
  if (!/^[XYZ0-9][0-9]{7}[A-Z]$/.test(cleaned)) return { key: 'check.national-id.format' };
  const digits = 'XYZ'.includes(cleaned[0]) ? `${'XYZ'.indexOf(cleaned[0])}${cleaned.slice(1, 8)}` : cleaned.slice(0, 8);
  const expected = CHECK_LETTERS[Number(digits) % 23];
  if (cleaned[8] !== expected) return { key: 'check.national-id.letter', vars: { letter: expected } };
  return null;
}

/** `Email::parse`: one @, a plain local part, a domain of dotted labels. */
export function checkEmail(value) {
  const trimmed = value.trim();
  if (!trimmed) return { key: 'check.email.empty' };
  const at = trimmed.lastIndexOf('@');
  const local = trimmed.slice(0, at);
  const domain = trimmed.slice(at + 1);
  const localOk =
    at > 0 &&
    local.length <= 64 &&
    !local.startsWith('.') &&
    !local.endsWith('.') &&
    !local.includes('..') &&
    /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/.test(local);
  const domainOk =
    domain.includes('.') &&
    domain
      .split('.')
      .every((label) => label && label.length <= 63 && !label.startsWith('-') && !label.endsWith('-') && /^[\p{L}\p{N}-]+$/u.test(label));
  return trimmed.length <= 254 && localOk && domainOk ? null : { key: 'check.email.format' };
}

/** `Phone::parse`, optional: a Spanish number of 9 digits (6 to 9 first) or an international one. */
export function checkPhone(value) {
  const compact = value.replace(/[ .()-]/g, '');
  if (!compact) return null;
  let international;
  if (compact.startsWith('00')) international = `+${compact.slice(2)}`;
  else if (compact.startsWith('+')) international = compact;
  else {
    if (!/^[6-9][0-9]{8}$/.test(compact)) return { key: 'check.phone' };
    international = `+34${compact}`;
  }
  const digits = international.slice(1);
  if (!/^[1-9][0-9]{6,14}$/.test(digits)) return { key: 'check.phone' };
  if (digits.startsWith('34') && !/^34[6-9][0-9]{8}$/.test(digits)) return { key: 'check.phone' };
  return null;
}

// What every page shares: texts, the route, the token, the API client, dates and focus.
import TEXTS from './texts.js';

export const lang = document.documentElement.lang === 'eu' ? 'eu' : 'es';
const dictionary = TEXTS[lang] || {};
export const TIME_ZONE = 'Europe/Madrid';

/** A text of the page's language, with `{name}` placeholders filled. */
export function t(key, vars = {}) {
  let text = dictionary[key] ?? key;
  for (const [name, value] of Object.entries(vars)) {
    text = text.split(`{${name}}`).join(String(value));
  }
  return text;
}

export const $ = (selector) => document.querySelector(selector);

/**
 * `{base}/{lang}/{page}[/{request}]`: the base the pages are mounted under, the page (`book`,
 * `manage`, `upload`, `sign`, `join`, `staff/call`) and the case (null on `book` and on
 * `manage` without one).
 */
export function route() {
  const match = location.pathname.match(
    /^(.*)\/(eu|es)\/(book|manage|upload|sign|join|staff\/call)(?:\/([0-9a-fA-F-]{36}))?\/?$/,
  );
  if (!match) return null;
  return {
    base: match[1],
    lang: match[2],
    page: match[3],
    request: match[4] ? match[4].toLowerCase() : null,
  };
}

/**
 * The same page in `other` language, with the query and the fragment as they are now. Only a
 * fragment that names a place in the page is kept: a link's token never rides along, even
 * before `takeToken` has moved it to sessionStorage (whose key does not depend on the
 * language, so the other page finds it there).
 */
export function pageIn(where, other) {
  const path = `${where.base}/${other}/${where.page}${where.request ? `/${where.request}` : ''}`;
  const anchor = location.hash.slice(1);
  const hash = anchor && document.getElementById(anchor) ? location.hash : '';
  return `${path}${location.search}${hash}`;
}

/** The language links: the same page in the other language. Call again after the query changes. */
export function languageLinks(where) {
  for (const link of document.querySelectorAll('a[data-lang-switch]')) {
    const other = link.dataset.langSwitch;
    link.href = pageIn(where, other);
    if (other === lang) link.setAttribute('aria-current', 'true');
  }
}

/** `{base}/{lang}/{page}`: a link to another of the pages, in this language. */
export function pageUrl(where, page) {
  return `${where.base}/${lang}/${page}`;
}

const memory = new Map();
export const store = {
  get(key) {
    try {
      return sessionStorage.getItem(key);
    } catch {
      return memory.get(key) ?? null;
    }
  },
  set(key, value) {
    try {
      sessionStorage.setItem(key, value);
    } catch {
      memory.set(key, value);
    }
  },
  remove(key) {
    try {
      sessionStorage.removeItem(key);
    } catch {
      memory.delete(key);
    }
  },
};

/**
 * The link's token rides in the fragment (`#token`), which the browser never sends. It is kept
 * in sessionStorage under `key` and taken out of the address bar at once, so it is not in the
 * history, a bookmark or a copied address. A short fragment is an in-page anchor (the skip
 * link), not a token.
 */
export function takeToken(key) {
  const fragment = location.hash.slice(1);
  if (fragment.length >= 16 && !document.getElementById(fragment)) {
    let token = fragment;
    try {
      token = decodeURIComponent(fragment);
    } catch {
      // Not percent-encoded: taken as it is.
    }
    store.set(key, token.trim());
  }
  if (location.hash) {
    history.replaceState(history.state, '', location.pathname + location.search);
  }
  return store.get(key);
}

/**
 * Calls the API with the token as a Bearer credential. Answers `{ ok, status, data, etag,
 * problem }`; a network failure is status 0 with a problem of its own.
 */
// `blob: true` keeps a successful answer that is not JSON (a page to save) as a Blob.
export async function api(path, { method = 'GET', token, json, body, headers = {}, blob = false } = {}) {
  const init = {
    method,
    headers: { Accept: 'application/json, application/problem+json', 'Accept-Language': lang, ...headers },
    cache: 'no-store',
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
  };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  } else if (body !== undefined) {
    init.body = body;
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return { ok: false, status: 0, data: null, etag: null, problem: { title: t('error.network') } };
  }
  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (blob && response.ok && !type.includes('json')) {
    try {
      data = await response.blob();
    } catch {
      return { ok: false, status: 0, data: null, etag: null, problem: { title: t('error.network') } };
    }
  } else if (type.includes('json')) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  return {
    ok: response.ok,
    status: response.status,
    data: response.ok ? data : null,
    etag: response.headers.get('ETag'),
    problem: response.ok ? null : data || {},
  };
}

/** The problem's kind: `slot-full` for `urn:arreta:problem:slot-full`. */
export function problemKind(answer) {
  const type = String(answer?.problem?.type || '');
  return type.slice(type.lastIndexOf(':') + 1);
}

/**
 * A link that no longer works (cancelled, closed, moved, expired): the API's `link-void`, a
 * token it does not take any more, or 410 Gone.
 */
export function linkIsVoid(answer) {
  return (
    answer.status === 410 ||
    ['link-void', 'invalid-token'].includes(problemKind(answer))
  );
}

/**
 * Reads a binary resource with the token as a Bearer credential (a document's content):
 * `{ ok, status, type, blob }`, or `{ ok: false, status, problem }`.
 */
export async function fetchBlob(path, token) {
  let response;
  try {
    response = await fetch(path, {
      headers: { Authorization: `Bearer ${token}`, 'Accept-Language': lang },
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    return { ok: false, status: 0, problem: { title: t('error.network') } };
  }
  if (!response.ok) {
    let problem = {};
    try {
      problem = await response.json();
    } catch {
      problem = {};
    }
    return { ok: false, status: response.status, problem };
  }
  const type = (response.headers.get('Content-Type') || '').split(';')[0].trim();
  return { ok: true, status: response.status, type, blob: await response.blob() };
}

/** What to tell a person about a failed call: the problem's own (localised) words. */
/**
 * Hands `blob` to the browser as a download named `fileName`, from a Blob URL: nothing about it
 * travels to a server, and no token goes into a URL a person could copy.
 */
export function saveBlob(blob, fileName) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked later, not at once: the browser reads the Blob after the click returns.
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

export function problemText(answer) {
  const problem = answer.problem || {};
  const parts = [problem.title, problem.detail].filter((p) => p && p.trim());
  return parts.length ? parts.join('. ') : t('error.generic');
}

/** Shows a message in an alert element (or hides it when empty). */
export function say(element, text) {
  if (!element) return;
  element.textContent = text || '';
  element.hidden = !text;
}

/**
 * A link that no longer works: every step of the page hidden, and the void-link section
 * (`#void`) shown with why and the way to a new link.
 */
export function voidLink(text) {
  for (const section of document.querySelectorAll('main > section')) section.hidden = true;
  say(document.getElementById('page-error'), '');
  document.getElementById('void-text').textContent = text;
  document.body.dataset.state = 'void';
  showStep(document.getElementById('void'));
}

/** A failed answer on a link's page: a link refused for good says so; anything else alerts. */
export function linkFailed(answer) {
  if (linkIsVoid(answer) || [401, 403].includes(answer.status)) voidLink(problemText(answer));
  else alertAt(document.getElementById('page-error'), problemText(answer));
}

/** Shows an alert and moves the focus to it, so it is read at once (empty: hides it). */
export function alertAt(element, text) {
  say(element, text);
  if (text && element) {
    if (!element.hasAttribute('tabindex')) element.tabIndex = -1;
    element.focus();
  }
}

/** Shows a step and moves the focus to its heading, so a screen reader hears where it is. */
export function showStep(section, { focus = true } = {}) {
  section.hidden = false;
  if (!focus) return;
  const heading = section.querySelector('h2');
  if (heading) heading.focus();
}

export function hide(...sections) {
  for (const section of sections) if (section) section.hidden = true;
}

const MONTHS_EU = [
  'urtarrilak', 'otsailak', 'martxoak', 'apirilak', 'maiatzak', 'ekainak',
  'uztailak', 'abuztuak', 'irailak', 'urriak', 'azaroak', 'abenduak',
];
const WEEKDAYS_EU = [
  'igandea', 'astelehena', 'asteartea', 'asteazkena', 'osteguna', 'ostirala', 'larunbata',
];

/** `2026ko`, but `2025eko`, `2030eko`: the suffix follows how the year's number is said. */
function yearEu(year) {
  const last = year % 100;
  const unit = last % 10;
  const eko = (unit === 1 && last !== 11) || unit === 5 || [10, 30, 50, 70, 90].includes(last);
  return `${year}${eko ? 'eko' : 'ko'}`;
}

function madridParts(date) {
  const parts = {};
  for (const part of new Intl.DateTimeFormat('es', {
    timeZone: TIME_ZONE,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date)) {
    parts[part.type] = part.value;
  }
  return parts;
}

/** The day in Vitoria-Gasteiz, `2026-12-03`, to compare days. */
export function madridDay(iso) {
  const parts = madridParts(new Date(iso));
  return `${parts.year}-${parts.month.padStart(2, '0')}-${parts.day.padStart(2, '0')}`;
}

/** `2026-12-03` + `n` days, as a day (no time zone involved: it is calendar arithmetic). */
export function addDays(day, n) {
  const [y, m, d] = day.split('-').map(Number);
  const next = new Date(Date.UTC(y, m - 1, d + n));
  return next.toISOString().slice(0, 10);
}

/**
 * A service day as people name it: `asteazkena, abenduak 2`, `miércoles, 2 de diciembre`.
 * `day` is `2026-12-02`.
 */
export function formatDay(day) {
  const [y, m, d] = day.split('-').map(Number);
  const noon = new Date(Date.UTC(y, m - 1, d, 12));
  if (lang === 'es') {
    return new Intl.DateTimeFormat('es', {
      timeZone: TIME_ZONE,
      weekday: 'long',
      day: 'numeric',
      month: 'long',
    }).format(noon);
  }
  return `${WEEKDAYS_EU[noon.getUTCDay()]}, ${MONTHS_EU[m - 1]} ${d}`;
}

/** The time of day in Vitoria-Gasteiz, `09:45`. */
export function formatTime(iso) {
  const parts = madridParts(new Date(iso));
  return `${parts.hour.padStart(2, '0')}:${parts.minute}`;
}

/**
 * A date and time in Vitoria-Gasteiz, as people write it: `miércoles, 2 de diciembre de 2026,
 * 9:00`, `2026ko abenduak 2, asteazkena, 09:00`. Basque is composed by hand because browsers'
 * Basque patterns print `2026(e)ko` and some fall back to English altogether.
 */
export function formatDateTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  if (lang === 'es') {
    return new Intl.DateTimeFormat('es', {
      timeZone: TIME_ZONE,
      dateStyle: 'full',
      timeStyle: 'short',
    }).format(date);
  }
  const parts = madridParts(date);
  const year = Number(parts.year);
  const month = Number(parts.month);
  const day = Number(parts.day);
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return `${yearEu(year)} ${MONTHS_EU[month - 1]} ${day}, ${WEEKDAYS_EU[weekday]}, ${formatTime(iso)}`;
}

let catalogue = null;

/** The public catalogue of procedures (asked once per page). */
export function procedures() {
  catalogue ??= api('/v1/procedures?limit=200').then((answer) => {
    if (!answer.ok) catalogue = null;
    return answer;
  });
  return catalogue;
}

/** A procedure from the catalogue, or null. */
export async function procedure(code) {
  const answer = await procedures();
  return (answer.ok && answer.data?.items?.find((p) => p.code === code)) || null;
}

/** The procedure's name in the page's language, from the public catalogue. */
export async function procedureName(code) {
  const found = await procedure(code);
  return found?.name?.[lang] || code;
}

/** Repeats `task` every `ms` (the next run waits for the previous one); `stop()` ends it. */
export function every(ms, task) {
  let timer = null;
  let stopped = false;
  const run = async () => {
    if (stopped) return;
    try {
      await task();
    } catch (error) {
      console.warn(error);
    }
    if (!stopped) timer = setTimeout(run, typeof ms === 'function' ? ms() : ms);
  };
  run();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

// Choosing a time among those the API proposes (`GET /v1/availability`): first a day, then a
// time of that day, both as radio buttons (arrow keys move within a group, Tab leaves it).
// Pages are asked one at a time: the days drawn are only those whose times have all arrived
// (the last day of a page may go on in the next one), and "later days" asks for the next page.
import { addDays, api, formatDay, formatTime, madridDay, problemText, t } from './common.js';

const PAGE = 200;
// The API answers at most 31 days per query.
const RANGE_DAYS = 30;

function radio(name, value, text, id) {
  const wrap = document.createElement('div');
  wrap.className = 'choice';
  const input = document.createElement('input');
  input.type = 'radio';
  input.name = name;
  input.value = value;
  input.id = id;
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = text;
  wrap.append(input, label);
  return { wrap, input };
}

/**
 * A picker over the elements `#{prefix}-day-list`, `-later`, `-times`, `-times-legend`,
 * `-time-list`, `-error` and `-status`.
 */
export function slotPicker(prefix) {
  const el = (suffix) => document.getElementById(`${prefix}-${suffix}`);
  const dayList = el('day-list');
  const later = el('later');
  const times = el('times');
  const timeList = el('time-list');
  const legend = el('times-legend');
  const status = el('status');
  const error = el('error');
  let procedure = null;
  let cursor = null;
  let pending = [];
  let from = null;
  let exclude = null;
  const days = new Map();

  function clearError() {
    error.hidden = true;
    error.textContent = '';
    for (const input of [...dayList.querySelectorAll('input'), ...timeList.querySelectorAll('input')]) {
      input.removeAttribute('aria-invalid');
    }
  }

  function drawTimes(day) {
    const slots = days.get(day) || [];
    legend.textContent = t('slots.time-of', { day: formatDay(day) });
    timeList.replaceChildren(
      ...slots.map((slot, i) => {
        const { wrap, input } = radio(`${prefix}-time`, slot.start, formatTime(slot.start), `${prefix}-time-${day}-${i}`);
        input.addEventListener('change', clearError);
        return wrap;
      }),
    );
    times.hidden = false;
  }

  function drawDays(added) {
    for (const day of added) {
      const count = days.get(day).length;
      const { wrap, input } = radio(`${prefix}-day`, day, formatDay(day), `${prefix}-day-${day}`);
      const free = document.createElement('span');
      free.className = 'choice-facts';
      free.textContent = t(count === 1 ? 'slots.one-free' : 'slots.free', { n: count });
      wrap.querySelector('label').append(' ', free);
      input.addEventListener('change', () => {
        clearError();
        drawTimes(day);
      });
      dayList.append(wrap);
    }
  }

  async function more() {
    later.disabled = true;
    status.textContent = t('slots.loading');
    const query = new URLSearchParams({ procedure, from, to: addDays(from, RANGE_DAYS), limit: String(PAGE) });
    if (cursor) query.set('cursor', cursor);
    const answer = await api(`/v1/availability?${query}`);
    later.disabled = false;
    if (!answer.ok) {
      status.textContent = problemText(answer);
      return false;
    }
    let items = [...pending, ...(answer.data.items || [])].filter((slot) => slot.start !== exclude);
    cursor = answer.data.next_cursor || null;
    pending = [];
    if (cursor && items.length) {
      const last = madridDay(items[items.length - 1].start);
      pending = items.filter((slot) => madridDay(slot.start) === last);
      items = items.filter((slot) => madridDay(slot.start) !== last);
    }
    const added = [];
    for (const slot of items) {
      const day = madridDay(slot.start);
      if (!days.has(day)) {
        days.set(day, []);
        added.push(day);
      }
      days.get(day).push(slot);
    }
    drawDays(added);
    later.hidden = !cursor;
    // Said once, after the list changed: a screen reader hears how many days there are now.
    status.textContent = days.size
      ? t('slots.days-shown', { n: days.size })
      : cursor
        ? ''
        : t('slots.none');
    // A page whose times all belong to one day that goes on: ask for the rest at once.
    if (!added.length && cursor) return more();
    return true;
  }

  later.addEventListener('click', () => more());

  return {
    /**
     * Starts over for a procedure (its code), from today in Vitoria-Gasteiz; `skip` is a start
     * not to offer (the appointment's own, when moving it).
     */
    async load(code, { skip = null } = {}) {
      procedure = code;
      exclude = skip;
      cursor = null;
      pending = [];
      from = madridDay(new Date().toISOString());
      days.clear();
      dayList.replaceChildren();
      timeList.replaceChildren();
      times.hidden = true;
      later.hidden = true;
      clearError();
      return more();
    },
    /** The chosen slot (`{start, end, minutes, local_start}`), or null. */
    selected() {
      const day = dayList.querySelector('input:checked')?.value;
      const start = timeList.querySelector('input:checked')?.value;
      return (day && start && days.get(day)?.find((slot) => slot.start === start)) || null;
    },
    /** Says what is missing, at the group that misses it, and focuses it. */
    complain() {
      const noDay = !dayList.querySelector('input:checked');
      const target = noDay ? dayList.querySelector('input') : timeList.querySelector('input');
      error.textContent = t(noDay ? 'slots.choose-day' : 'slots.choose-time');
      error.hidden = false;
      const group = noDay ? dayList : timeList;
      for (const input of group.querySelectorAll('input')) {
        input.setAttribute('aria-invalid', 'true');
        input.setAttribute('aria-describedby', error.id);
      }
      target?.focus();
    },
    /** Forgets a start (taken by someone else meanwhile) and draws its day again. */
    drop(start) {
      for (const [day, slots] of days) {
        const kept = slots.filter((slot) => slot.start !== start);
        if (kept.length !== slots.length) {
          days.set(day, kept);
          if (dayList.querySelector('input:checked')?.value === day) drawTimes(day);
        }
      }
    },
  };
}

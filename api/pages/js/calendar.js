// The appointment as an iCalendar file (RFC 5545) made in the page and handed to the browser as
// a download from a Blob URL: nothing about it travels to a server, and the same UID as the
// mailed invitation lets a calendar that has both keep one event.
import { saveBlob, t } from './common.js';

/** `20261202T080000Z`. */
function stamp(date) {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** TEXT escaping (RFC 5545 3.3.11). */
function text(value) {
  return String(value).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/([,;])/g, '\\$1');
}

/** Lines longer than 75 octets folded (RFC 5545 3.1), counting UTF-8 bytes. */
function fold(line) {
  const encoder = new TextEncoder();
  const out = [];
  let current = '';
  for (const char of line) {
    if (encoder.encode(current + char).length > (out.length ? 74 : 75)) {
      out.push(current);
      current = '';
    }
    current += char;
  }
  out.push(current);
  return out.join('\r\n ');
}

/** The file's text for `{id, start, end, summary, description}`. */
export function ics({ id, start, end, summary, description, host }) {
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Vitoria-Gasteizko Udala//Arreta//EU',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    'BEGIN:VEVENT',
    `UID:${id}@${host}`,
    `DTSTAMP:${stamp(new Date())}`,
    `DTSTART:${stamp(new Date(start))}`,
    `DTEND:${stamp(new Date(end))}`,
    `SUMMARY:${text(summary)}`,
    `DESCRIPTION:${text(description)}`,
    'BEGIN:VALARM',
    'ACTION:DISPLAY',
    'TRIGGER:-PT30M',
    `DESCRIPTION:${text(summary)}`,
    'END:VALARM',
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return `${lines.map(fold).join('\r\n')}\r\n`;
}

/** Offers the file for download. */
export function download(event, fileName) {
  saveBlob(new Blob([ics(event)], { type: 'text/calendar;charset=utf-8' }), fileName);
  return t('receipt.calendar-done', { name: fileName });
}

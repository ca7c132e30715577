// The documents the clerk asked for and what became of each one the citizen sent (pending,
// accepted, or rejected with the reason), as the manage and upload pages show them.
import { formatDateTime, lang, t } from './common.js';

/** The documents asked (`requested[].label`) and until when (`due_at`). */
export function renderRequested(list, due, view) {
  const requested = view.requested || [];
  list.replaceChildren(
    ...requested.map((item) => {
      const li = document.createElement('li');
      li.textContent = item.label?.[lang] || item.label?.es || '';
      return li;
    }),
  );
  if (due) {
    due.textContent = view.due_at
      ? t('docs.due', { when: formatDateTime(view.due_at) })
      : requested.length
        ? ''
        : t('docs.asked.none');
  }
  return requested.length;
}

/** What the citizen sent (staff's own documents are theirs to show). */
export function citizensDocuments(view) {
  return (view.documents || []).filter((d) => String(d.uploaded_by || '').startsWith('citizen'));
}

/** A short signature of the list's state, to tell whether anything changed between polls. */
export function stateOf(documents) {
  return documents.map((d) => `${d.id}:${d.status}`).join();
}

function statusText(doc) {
  if (doc.status === 'accepted') return t('docs.status.accepted');
  if (doc.status === 'rejected') {
    const reason = doc.review?.reason?.trim();
    return reason ? t('docs.status.rejected-why', { reason }) : t('docs.status.rejected');
  }
  return t('docs.status.pending');
}

/**
 * Draws the citizen's documents. `onReplace(doc)`, when given, adds a "send another" button to
 * each rejected one that no later upload has replaced yet.
 */
export function renderDocuments(list, none, documents, { onReplace } = {}) {
  const latestRejected = new Set();
  documents.forEach((doc, i) => {
    if (doc.status === 'rejected' && !documents.slice(i + 1).length) latestRejected.add(doc.id);
  });
  list.replaceChildren(
    ...documents.map((doc) => {
      const item = document.createElement('li');
      item.dataset.documentId = doc.id;
      item.dataset.status = doc.status;
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = doc.file_name;
      const state = document.createElement('span');
      state.className = `review review-${doc.status}`;
      state.textContent = statusText(doc);
      const when = document.createElement('span');
      when.className = 'muted';
      when.textContent = t('docs.sent-at', { when: formatDateTime(doc.attached_at) });
      const text = document.createElement('div');
      text.className = 'document-text-block';
      text.append(name, state, when);
      item.append(text);
      if (onReplace && latestRejected.has(doc.id)) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = 'replace-document';
        button.textContent = t('docs.replace');
        const hidden = document.createElement('span');
        hidden.className = 'visually-hidden';
        hidden.textContent = `: ${doc.file_name}`;
        button.append(hidden);
        button.addEventListener('click', () => onReplace(doc));
        item.append(button);
      }
      return item;
    }),
  );
  if (none) none.hidden = documents.length > 0;
}

// Documents during the call: uploading into the case's space (the body is the file itself, its
// name in `?name=`), listing them, and downloading one through the API with the Bearer token.
import { api, fetchBlob, problemText, saveBlob, t } from './common.js';

/** Uploads `file`; answers the API's answer (`ok`, `data`, `problem`). */
export function upload(request, token, file) {
  return api(`/v1/requests/${request}/documents?name=${encodeURIComponent(file.name)}`, {
    method: 'POST',
    token,
    body: file,
    headers: { 'Content-Type': file.type || 'application/octet-stream' },
  });
}

export async function list(request, token) {
  const answer = await api(`/v1/requests/${request}/documents`, { token });
  return answer.ok ? answer.data?.documents || [] : null;
}

/**
 * Reads a document (the API records who read it and why) and hands it to the browser as a
 * download from a Blob URL: the token never goes into a URL a person could copy.
 */
export async function download(request, token, document_) {
  const why = encodeURIComponent(t('docs.why'));
  const read = await fetchBlob(`/v1/requests/${request}/documents/${document_.id}/content?why=${why}`, token);
  if (!read.ok) return problemText(read);
  saveBlob(read.blob, document_.file_name || 'dokumentua');
  return null;
}

/** Wires a file input and its button to the upload, with the outcome said in `status`. */
export function uploader({ input, button, status, request, token, sentKey, onSent }) {
  const chosen = document.getElementById(`${input.id}-name`);
  const showChosen = () => {
    const file = input.files?.[0];
    if (chosen) chosen.textContent = file ? t('docs.chosen', { name: file.name }) : t('docs.no-file');
  };
  input.addEventListener('change', showChosen);
  button.addEventListener('click', async () => {
    const file = input.files?.[0];
    if (!file) {
      status.textContent = t('docs.choose');
      input.focus();
      return;
    }
    button.disabled = true;
    status.textContent = t('docs.sending', { name: file.name });
    const answer = await upload(request, token(), file);
    button.disabled = false;
    if (answer.ok) {
      status.textContent = t(sentKey, { name: answer.data?.file_name || file.name });
      input.value = '';
      showChosen();
      onSent?.(answer.data);
    } else {
      status.textContent = t('docs.failed', { reason: problemText(answer) });
    }
  });
}

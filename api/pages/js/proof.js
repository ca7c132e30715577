// The proof of work an anonymous booking carries (`GET /v1/booking-challenge`, then
// `proof: {challenge, nonce}` in the booking). It is started as soon as the details step opens,
// so by the time the form is filled in the answer is usually there. A challenge is used once
// and expires: `fresh()` starts over with a new one.
import { api } from './common.js';

// Started this much before the challenge's own expiry, a booking still reaches the server in time.
const EXPIRY_MARGIN_MS = 15000;

/** Solves one challenge in the worker; answers `{nonce, attempts, ms}`. */
export function solve(challenge, difficulty) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./proof-worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = (event) => {
      worker.terminate();
      if (event.data?.nonce !== undefined) resolve(event.data);
      else reject(new Error(event.data?.error || 'no proof'));
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(event.message || 'the proof worker failed'));
    };
    worker.postMessage({ challenge, difficulty });
  });
}

/**
 * Asks for a challenge and solves it. Answers `{proof, expiresAt, ms}`, `{proof: null}` when the
 * server asks for none (no such route), or `{failure}` with the API's answer.
 */
async function obtain() {
  const answer = await api('/v1/booking-challenge');
  if (answer.status === 404) return { proof: null };
  if (!answer.ok || !answer.data?.challenge) return { failure: answer };
  const { challenge, difficulty, expires_at: expiresAt } = answer.data;
  const solved = await solve(challenge, Number(difficulty) || 0);
  return {
    proof: { challenge, nonce: solved.nonce },
    expiresAt: Date.parse(expiresAt),
    difficulty,
    attempts: solved.attempts,
    ms: solved.ms,
  };
}

/** One proof being prepared: `ready()` waits for it (taking a new one if it expired). */
export function prepareProof() {
  let pending = null;
  const start = () => {
    pending = obtain().catch((error) => ({ failure: { status: 0, problem: { detail: String(error) } } }));
    return pending;
  };
  start();
  return {
    async ready() {
      const result = await pending;
      if (result.proof && Number.isFinite(result.expiresAt) && Date.now() > result.expiresAt - EXPIRY_MARGIN_MS) {
        return start();
      }
      return result;
    },
    /** The last proof was refused (used, expired): start over. */
    fresh: start,
  };
}

// The pages' contract for measurements (like `window.arretaCall`): one fresh challenge solved
// in the worker, with the time the search took.
window.arretaProof = { obtain };

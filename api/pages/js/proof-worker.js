// The booking's proof of work, off the page's thread so the form stays responsive: the smallest
// n (0, 1, 2, …) such that SHA-256(UTF-8 of `challenge:n`) starts with `difficulty` zero bits.
// The prefix's bytes are written once; each attempt writes only n's ASCII digits after it.
import { digestInto, leadingZeros, paddedLength } from './sha256.js';

self.onmessage = (event) => {
  const { challenge, difficulty } = event.data || {};
  const started = performance.now();
  const prefix = new TextEncoder().encode(`${challenge}:`);
  // Room for the prefix, up to 16 digits and the padding.
  const buffer = new Uint8Array(paddedLength(prefix.length + 16));
  buffer.set(prefix);
  const state = new Int32Array(8);
  const digits = new Uint8Array(16);
  for (let n = 0; n < Number.MAX_SAFE_INTEGER; n++) {
    // n's decimal digits, without a string per attempt.
    let count = 0;
    let rest = n;
    do {
      digits[count++] = 48 + (rest % 10);
      rest = Math.floor(rest / 10);
    } while (rest > 0);
    for (let i = 0; i < count; i++) buffer[prefix.length + i] = digits[count - 1 - i];
    digestInto(state, buffer, prefix.length + count);
    if (leadingZeros(state, difficulty)) {
      self.postMessage({ nonce: String(n), attempts: n + 1, ms: performance.now() - started });
      return;
    }
  }
  self.postMessage({ error: 'no nonce found' });
};

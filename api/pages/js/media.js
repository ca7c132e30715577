// The device check: camera and microphone chosen from the devices the browser lists, a preview
// and a microphone level, and a message of its own for each way getting them can fail.
import { t, say } from './common.js';

/** The message for a getUserMedia failure: refused, no device, or a device in use. */
export function deviceProblem(error) {
  switch (error?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
    case 'PermissionDeniedError':
      return t('devices.denied');
    case 'NotFoundError':
    case 'OverconstrainedError':
    case 'DevicesNotFoundError':
      return t('devices.missing');
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return t('devices.busy');
    default:
      return t('devices.failed');
  }
}

export class Devices {
  /**
   * `elements`: `camera` and `microphone` selects, `preview` video, `meter`, `status` and `error`
   * paragraphs, `retry` button. `onStream(stream)` hears of every new stream (a device changed).
   */
  constructor(elements, onStream = () => {}) {
    this.el = elements;
    this.onStream = onStream;
    this.stream = null;
    this.audio = null;
    this.levelTimer = null;
    this.el.camera.addEventListener('change', () => this.start());
    this.el.microphone.addEventListener('change', () => this.start());
    this.el.retry?.addEventListener('click', () => this.start());
    navigator.mediaDevices?.addEventListener?.('devicechange', () => this.list());
    // Browsers start audio only after a gesture; any key or click resumes the level meter.
    const resume = () => this.audio?.state === 'suspended' && this.audio.resume();
    document.addEventListener('click', resume);
    document.addEventListener('keydown', resume);
  }

  constraints() {
    const camera = this.el.camera.value;
    const microphone = this.el.microphone.value;
    return {
      video: {
        ...(camera ? { deviceId: { exact: camera } } : {}),
        width: { ideal: 1280 },
        height: { ideal: 720 },
      },
      audio: {
        ...(microphone ? { deviceId: { exact: microphone } } : {}),
        echoCancellation: true,
        noiseSuppression: true,
      },
    };
  }

  /** Asks for the chosen devices (the browser asks the person the first time). */
  async start() {
    say(this.el.error, '');
    if (this.el.retry) this.el.retry.hidden = true;
    if (!navigator.mediaDevices?.getUserMedia || !window.RTCPeerConnection) {
      this.fail(t('devices.unsupported'), false);
      return null;
    }
    this.el.status.textContent = t('devices.starting');
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(this.constraints());
    } catch (error) {
      this.fail(deviceProblem(error), true);
      return null;
    }
    const previous = this.stream;
    this.stream = stream;
    this.el.preview.srcObject = stream;
    this.el.preview.play?.().catch(() => {});
    if (previous && previous !== stream) for (const track of previous.getTracks()) track.stop();
    await this.list();
    this.level(stream);
    this.el.status.textContent = t('devices.ready');
    this.el.ok?.removeAttribute('disabled');
    this.onStream(stream);
    return stream;
  }

  fail(message, retry) {
    this.el.status.textContent = '';
    say(this.el.error, message);
    if (this.el.retry) this.el.retry.hidden = !retry;
    this.el.ok?.setAttribute('disabled', '');
  }

  /** Fills the selects with the devices, labelled, the ones in use selected. */
  async list() {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    let devices = [];
    try {
      devices = await navigator.mediaDevices.enumerateDevices();
    } catch {
      return;
    }
    const using = (kind) =>
      this.stream?.getTracks().find((track) => track.kind === kind)?.getSettings().deviceId;
    const fill = (select, kind, label, current) => {
      const found = devices.filter((d) => d.kind === kind && d.deviceId);
      select.replaceChildren(
        ...found.map((device, i) => {
          const option = document.createElement('option');
          option.value = device.deviceId;
          option.textContent = device.label || t(label, { n: i + 1 });
          option.selected = device.deviceId === current;
          return option;
        }),
      );
      select.disabled = found.length === 0;
    };
    fill(this.el.camera, 'videoinput', 'devices.camera-n', using('video'));
    fill(this.el.microphone, 'audioinput', 'devices.microphone-n', using('audio'));
  }

  /** The microphone's level (RMS of the waveform) into the meter, ten times a second. */
  level(stream) {
    clearInterval(this.levelTimer);
    if (!stream.getAudioTracks().length || !window.AudioContext) return;
    try {
      this.audio ??= new AudioContext();
      this.source?.disconnect();
      this.source = this.audio.createMediaStreamSource(stream);
      const analyser = this.audio.createAnalyser();
      analyser.fftSize = 1024;
      this.source.connect(analyser);
      const samples = new Float32Array(analyser.fftSize);
      this.levelTimer = setInterval(() => {
        analyser.getFloatTimeDomainData(samples);
        let sum = 0;
        for (const sample of samples) sum += sample * sample;
        this.el.meter.value = Math.min(1, Math.sqrt(sum / samples.length) * 4);
      }, 100);
    } catch (error) {
      console.warn('no microphone level', error);
    }
  }

  /** Stops the level meter (the stream lives on in the call). */
  quiet() {
    clearInterval(this.levelTimer);
  }

  stop() {
    this.quiet();
    for (const track of this.stream?.getTracks() || []) track.stop();
    this.stream = null;
  }
}

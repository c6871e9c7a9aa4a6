// The board's voice: a chime, then the call's sentence from /speech, twice
// for a recall. Calls are spoken one at a time in the order they came; none
// is cut off and none is dropped, however many arrive together.
//
//   const announcer = new Announcer({muted: false, stillCalled: item => ...});
//   announcer.enqueue({text: '请 A012 号到 3 号窗口办理', recall: 0});
//   announcer.announced  // sentences started so far, in order
//
// `stillCalled(item)` is asked just before an item is spoken: a call its
// window has already let go of (completed, no-show, transferred, or called
// someone else while the board caught up) is skipped rather than sending a
// customer to a window that no longer waits for them.

const CHIME_SECONDS = 1.3;
const SETTLE_MS = 200;

export class Announcer {
  constructor({muted = false, stillCalled = () => true, onSpeak = () => {},
               onSoundBlocked = () => {}} = {}) {
    this.muted = muted;
    this.stillCalled = stillCalled;
    this.onSpeak = onSpeak;  // (item or null) while an item plays
    this.onSoundBlocked = onSoundBlocked;
    this.pending = [];
    this.current = null;
    this.announced = [];
    // One entry per item: {text, recall, speech, repeats, startMs, endMs}.
    // speech: 'ok' | 'failed' (chime only) | 'muted' | 'skipped'.
    this.log = [];
    this.running = false;
    this.audio = null;
  }

  get idle() { return !this.running && this.pending.length === 0; }

  enqueue(item) {
    // The sentence is rendered while earlier items still play.
    item.speech = this.muted ? Promise.resolve(null) : fetchSpeech(item.text);
    this.pending.push(item);
    if (!this.running) this.run();
  }

  async run() {
    this.running = true;
    // Calls missed while offline come in a burst together with what followed
    // them (a no-show, the next call); let the burst land before asking
    // stillCalled.
    await sleep(SETTLE_MS);
    while (this.pending.length) {
      const item = this.pending.shift();
      this.current = item;
      const entry = {text: item.text, recall: item.recall || 0, speech: '',
                     repeats: 0, startMs: Date.now(), endMs: 0};
      this.log.push(entry);
      if (!this.stillCalled(item)) {
        entry.speech = 'skipped';
        entry.endMs = Date.now();
        continue;
      }
      this.announced.push(item.text);
      this.onSpeak(item);
      try {
        const times = item.recall > 0 ? 2 : 1;
        if (this.muted) {
          entry.speech = 'muted';
          entry.repeats = times;
          await sleep(300 * times);
        } else {
          await this.chime();
          const url = await item.speech;
          if (url) {
            let ok = true;
            for (let i = 0; i < times && ok; ++i) {
              ok = await playOnce(url);
              if (ok) entry.repeats++;
              if (i + 1 < times) await sleep(500);
            }
            entry.speech = ok ? 'ok' : 'failed';
          } else {
            entry.speech = 'failed';
          }
          if (url) URL.revokeObjectURL(url);
          await sleep(600);  // a breath between two calls
        }
      } catch (e) {
        entry.speech = 'failed';
        console.warn('announcement failed', e);
      }
      entry.endMs = Date.now();
      this.onSpeak(null);
    }
    this.current = null;
    this.running = false;
  }

  context() {
    if (!this.audioContext) {
      const Context = window.AudioContext || window.webkitAudioContext;
      this.audioContext = Context ? new Context() : null;
    }
    return this.audioContext;
  }

  // Two falling bell tones, generated: no sound file to ship or load.
  async chime() {
    const ctx = this.context();
    if (!ctx) return;
    if (ctx.state !== 'running') {
      await Promise.race([ctx.resume().catch(() => {}), sleep(300)]);
    }
    if (ctx.state !== 'running') {
      this.onSoundBlocked();
      await sleep(CHIME_SECONDS * 1000);
      return;
    }
    const start = ctx.currentTime + 0.05;
    [[659.25, 0], [523.25, 0.55]].forEach(([freq, offset]) => {
      for (const [multiple, level] of [[1, 0.5], [2, 0.12], [3, 0.05]]) {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.type = 'sine';
        osc.frequency.value = freq * multiple;
        const t0 = start + offset;
        gain.gain.setValueAtTime(0.0001, t0);
        gain.gain.exponentialRampToValueAtTime(level, t0 + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 0.75);
        osc.connect(gain).connect(ctx.destination);
        osc.start(t0);
        osc.stop(t0 + 0.8);
      }
    });
    await sleep(CHIME_SECONDS * 1000);
  }

  // Lets a touch start the sound where the browser waits for a gesture.
  unlock() {
    this.context()?.resume().catch(() => {});
  }
}

function sleep(ms) { return new Promise(resolve => setTimeout(resolve, ms)); }

function speechLanguage(text) { return /[\u3400-\u9fff]/.test(text) ? 'zh' : 'en'; }

// Resolves to an object URL of the sentence's WAV, or null when /speech
// cannot say it (espeak-ng missing, text too long, offline): the chime alone
// then announces the call.
async function fetchSpeech(text) {
  const q = new URLSearchParams({lang: speechLanguage(text), text});
  for (let attempt = 0; attempt < 2; ++attempt) {
    try {
      const response = await fetch(`/speech?${q}`);
      if (response.ok) return URL.createObjectURL(await response.blob());
      if (response.status < 500 || response.status === 503) return null;
    } catch {
      // A network hiccup: one more try.
    }
    await sleep(300);
  }
  return null;
}

// Plays the WAV to its end. Resolves false when it cannot play. A guard ends
// the wait if 'ended' never comes, but only well after the clip's length, so
// a sentence is never cut off.
function playOnce(url) {
  return new Promise(resolve => {
    const audio = new Audio(url);
    let guard = setTimeout(() => finish(false), 20000);
    const finish = ok => {
      clearTimeout(guard);
      audio.onended = audio.onerror = audio.onloadedmetadata = null;
      resolve(ok);
    };
    audio.onloadedmetadata = () => {
      if (Number.isFinite(audio.duration)) {
        clearTimeout(guard);
        guard = setTimeout(() => finish(true), audio.duration * 1000 + 3000);
      }
    };
    audio.onended = () => finish(true);
    audio.onerror = () => finish(false);
    audio.play().catch(() => finish(false));
  });
}

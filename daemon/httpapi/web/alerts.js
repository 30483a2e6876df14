// Alerts make a waiting incident impossible to miss: a sound per priority
// that repeats until every such incident is claimed, the count and the
// most urgent priority in the tab's title, and a browser notification per
// new incident when the operator allowed them. Browsers play sound only
// after a click on the page, so the operator arms it once with a button.

// How each priority sounds: tones in Hz, each beep's length, and how often
// the pattern repeats while an incident of that priority waits. Fire is
// fast and high, hold-up a two-tone, medical a triplet; troubles a low
// beep now and then; information is silent.
const sounds = {
  1: { tones: [1047, 1047, 1047], beep: 0.18, every: 2000 },
  2: { tones: [880, 660, 880, 660], beep: 0.2, every: 2500 },
  3: { tones: [784, 988, 784], beep: 0.2, every: 3000 },
  4: { tones: [698, 698], beep: 0.25, every: 4000 },
  5: { tones: [587, 587], beep: 0.25, every: 6000 },
  6: { tones: [392], beep: 0.3, every: 15000 },
  7: { tones: [392], beep: 0.3, every: 20000 },
  8: { tones: [349], beep: 0.3, every: 30000 },
};

export class Alerts {
  constructor(baseTitle) {
    this.baseTitle = baseTitle;
    this.labels = [];
    this.audio = null;
    this.sounding = 0; // the priority whose pattern is repeating; 0: none
    this.timer = null;
    this.seen = null; // incident ids already notified
    this.beeps = 0;
  }

  setLabels(labels) { this.labels = labels || []; }

  label(p) { return this.labels[p - 1] || "priority " + p; }

  get armed() { return this.audio !== null; }

  // arm starts the page's audio; it must run in a click handler.
  arm() {
    if (!this.audio) this.audio = new AudioContext();
    this.audio.resume();
    document.documentElement.dataset.sound = "armed";
    this.resound(true);
  }

  disarm() {
    if (this.audio) this.audio.close();
    this.audio = null;
    document.documentElement.dataset.sound = "off";
    this.resound(true);
  }

  // update takes the queue's open incidents (not on hold), most urgent
  // first, and sets the title, the sound and the notifications by those
  // nobody has claimed.
  update(open) {
    const waiting = open.filter(i => !i.claimed_by);
    const best = waiting.reduce((p, i) => Math.min(p, i.priority), 10);
    document.title = waiting.length ? "(" + waiting.length + ") " + this.label(best) + " · " + this.baseTitle : this.baseTitle;
    const sounding = sounds[best] ? best : 0;
    const changed = sounding !== this.sounding;
    this.sounding = sounding;
    document.documentElement.dataset.alert = String(sounding);
    if (changed) this.resound(true);
    this.notify(waiting);
  }

  // resound (re)starts the repeating pattern of the priority sounding.
  resound(now) {
    clearInterval(this.timer);
    this.timer = null;
    if (!this.sounding || !this.audio) return;
    const s = sounds[this.sounding];
    if (now) this.play(s);
    this.timer = setInterval(() => this.play(s), s.every);
  }

  play(s) {
    const ctx = this.audio;
    if (!ctx) return;
    let at = ctx.currentTime + 0.02;
    for (const hz of s.tones) {
      const osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.value = hz;
      gain.gain.setValueAtTime(0.15, at);
      gain.gain.setValueAtTime(0, at + s.beep);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + s.beep);
      at += s.beep * 1.5;
    }
    this.beeps++;
    document.documentElement.dataset.beeps = String(this.beeps);
  }

  // notify shows a browser notification for each alarm (priorities 1–5)
  // that was not waiting at the last update, none for those on screen at
  // the start; troubles, tampers and schedules sound but do not pop up, so
  // a storm of them cannot bury the screen in notifications.
  notify(waiting) {
    const first = this.seen === null;
    const seen = new Set(waiting.map(i => i.id));
    if (!first && window.Notification && Notification.permission === "granted") {
      for (const i of waiting) {
        if (!this.seen.has(i.id) && i.priority <= 5) {
          new Notification(this.label(i.priority) + ": " + i.title, { body: (i.site_name || "unknown account") + " · " + i.receiver + "/" + i.account, tag: "incident-" + i.id });
        }
      }
    }
    this.seen = seen;
  }
}

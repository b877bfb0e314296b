// The live overview: one EventSource on /api/v1/stream (an overview JSON per second), kept open
// while logged in. Samples are kept (last 10 minutes) so charts have history when a page opens.
import { STREAM_URL, api } from './api.js';

const MAX_SAMPLES = 600;

export const live = {
  samples: [], // overview objects, oldest first
  latest: null,
  status: 'off', // off | connecting | live | error
  listeners: new Set(),
  source: null,
  retryTimer: null,

  start() {
    if (this.source) return;
    this.setStatus('connecting');
    const src = new EventSource(STREAM_URL, { withCredentials: true });
    this.source = src;
    src.onopen = () => this.setStatus('live');
    src.onmessage = (ev) => {
      let o;
      try {
        o = JSON.parse(ev.data);
      } catch {
        return;
      }
      this.push(o);
    };
    src.onerror = () => {
      if (src.readyState === EventSource.CLOSED) {
        // The server refused the stream (logged out, or gone): retry later after a check.
        this.stopSource();
        this.setStatus('error');
        this.retryTimer = setTimeout(() => this.retry(), 3000);
      } else {
        this.setStatus('connecting');
      }
    };
  },

  async retry() {
    this.retryTimer = null;
    try {
      await api.me(); // 401 here means logged out: the app's handler takes over
      this.start();
    } catch {
      this.retryTimer = setTimeout(() => this.retry(), 5000);
    }
  },

  push(o) {
    this.latest = o;
    this.samples.push(o);
    if (this.samples.length > MAX_SAMPLES) this.samples.splice(0, this.samples.length - MAX_SAMPLES);
    if (this.status !== 'live') this.setStatus('live');
    for (const fn of this.listeners) fn('sample', o);
  },

  stopSource() {
    if (this.source) {
      this.source.onerror = null;
      this.source.close();
      this.source = null;
    }
  },

  stop() {
    this.stopSource();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.samples = [];
    this.latest = null;
    this.setStatus('off');
  },

  setStatus(s) {
    if (this.status === s) return;
    this.status = s;
    for (const fn of this.listeners) fn('status', s);
  },

  /** Subscribes to ('sample', overview) and ('status', s); returns the unsubscribe function. */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  },
};

// Smooth marker motion: the server sends positions once per tick; the page draws at the display's
// frame rate. Positions are drawn `delayTicks` behind the newest tick and interpolated linearly
// between the two ticks around the drawing time, so a marker glides instead of jumping 20 times
// a second, and a late packet does not make it stutter.

export class Interpolator {
  constructor({ tickMs = 50, delayTicks = 2, keep = 24 } = {}) {
    this.tickMs = tickMs;
    this.delayTicks = delayTicks;
    this.keep = keep;
    this.samples = new Map(); // seat -> [{ tick, x, y }] oldest first
    this.offset = null; // local ms at which tick 0 would have arrived (lowest-latency estimate)
  }

  /** Forgets everything (new room, or a snapshot after a reconnect). */
  reset() {
    this.samples.clear();
    this.offset = null;
  }

  setTickHz(hz) {
    if (hz > 0) this.tickMs = 1000 / hz;
  }

  /**
   * Records every marker as of `tick`, which arrived at local time `nowMs`. Call it on the
   * Joined snapshot and after every State (markers: Map seat -> {x, y}).
   */
  record(tick, markers, nowMs) {
    const estimate = nowMs - tick * this.tickMs;
    if (this.offset === null || Math.abs(estimate - this.offset) > 500) {
      this.offset = estimate; // first sample, or the clocks jumped (tab asleep): resync
    } else if (estimate < this.offset) {
      this.offset = estimate; // arrived earlier than ever: less latency than thought
    } else {
      this.offset += (estimate - this.offset) * 0.02; // drift slowly toward later arrivals
    }
    for (const [seat, m] of markers) {
      let list = this.samples.get(seat);
      if (!list) this.samples.set(seat, (list = []));
      const last = list[list.length - 1];
      if (last && last.tick >= tick) {
        if (last.tick === tick) {
          last.x = m.x;
          last.y = m.y;
        }
        continue;
      }
      list.push({ tick, x: m.x, y: m.y });
      if (list.length > this.keep) list.shift();
    }
    for (const seat of this.samples.keys()) {
      if (!markers.has(seat)) this.samples.delete(seat);
    }
  }

  /** The (fractional) tick to draw at local time `nowMs`. */
  renderTick(nowMs) {
    if (this.offset === null) return 0;
    return (nowMs - this.offset) / this.tickMs - this.delayTicks;
  }

  /** Interpolated position of a seat's marker at local time `nowMs`, or null if unknown. */
  position(seat, nowMs) {
    const list = this.samples.get(seat);
    if (!list || list.length === 0) return null;
    const t = this.renderTick(nowMs);
    if (t <= list[0].tick) return { x: list[0].x, y: list[0].y };
    const last = list[list.length - 1];
    if (t >= last.tick) return { x: last.x, y: last.y };
    for (let i = list.length - 1; i > 0; i--) {
      const a = list[i - 1];
      const b = list[i];
      if (t >= a.tick) {
        const f = (t - a.tick) / (b.tick - a.tick);
        return { x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f };
      }
    }
    return { x: last.x, y: last.y };
  }
}

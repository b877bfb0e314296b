import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interpolator } from '../src/interp.js';

const m = (entries) => new Map(entries);

test('draws two ticks behind, interpolating between samples', () => {
  const ip = new Interpolator({ tickMs: 50, delayTicks: 2 });
  // tick 10 arrives at t=1000, tick 11 at 1050, tick 12 at 1100
  ip.record(10, m([[0, { x: 0, y: 0 }]]), 1000);
  ip.record(11, m([[0, { x: 20, y: 0 }]]), 1050);
  ip.record(12, m([[0, { x: 40, y: 10 }]]), 1100);
  assert.equal(ip.renderTick(1100), 10);
  assert.deepEqual(ip.position(0, 1100), { x: 0, y: 0 });
  assert.deepEqual(ip.position(0, 1125), { x: 10, y: 0 }); // halfway 10 -> 11
  assert.deepEqual(ip.position(0, 1175), { x: 30, y: 5 }); // halfway 11 -> 12
  assert.deepEqual(ip.position(0, 5000), { x: 40, y: 10 }); // past the newest: hold, no extrapolation
  assert.equal(ip.position(7, 1100), null);
});

test('a still marker keeps its place; a late packet does not move the clock back', () => {
  const ip = new Interpolator({ tickMs: 50, delayTicks: 2 });
  ip.record(1, m([[0, { x: 5, y: 5 }]]), 0);
  ip.record(2, m([[0, { x: 5, y: 5 }]]), 80); // 30 ms late
  const off = ip.offset;
  assert.ok(off > -50 && off < -49, 'offset moves only slightly toward the late arrival');
  ip.record(3, m([[0, { x: 5, y: 5 }]]), 100); // on time again
  assert.equal(ip.offset, -50);
  assert.deepEqual(ip.position(0, 150), { x: 5, y: 5 });
});

test('gone seats are forgotten; a big clock jump resyncs', () => {
  const ip = new Interpolator({ tickMs: 50 });
  ip.record(1, m([[0, { x: 1, y: 1 }], [1, { x: 2, y: 2 }]]), 0);
  ip.record(2, m([[0, { x: 1, y: 1 }]]), 50);
  assert.equal(ip.samples.has(1), false);
  ip.record(3, m([[0, { x: 9, y: 9 }]]), 10_000);
  assert.equal(ip.offset, 10_000 - 150);
});

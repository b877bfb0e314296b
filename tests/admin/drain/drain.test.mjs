// Runs last (it stops the server): POST /api/v1/server/drain by an admin tells connected
// players, closes their connections and the process goes away; the side-port stops answering.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { env, call, login, apiAs, assertError, eventually, uniqueName } from '../lib/env.mjs';
import { GameClient } from '../lib/game-client.mjs';

const clients = [];
after(() => {
  for (const c of clients) c.close();
});

/** True while the process runs (a zombie waiting for run.sh to reap it counts as gone). */
function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

test('only an admin may drain; the drain tells players, closes them and stops the server', { timeout: 60000 }, async () => {
  const c = await GameClient.guest({ port: env.tcpPort, displayName: uniqueName('drain'), joinType: 'spelltraction' });
  clients.push(c);
  assertError(await apiAs('viewer', 'POST', '/api/v1/server/drain', {}), 403, 'forbidden');
  assertError(await apiAs('operator', 'POST', '/api/v1/server/drain', {}), 403, 'forbidden');
  const admin = await login(env.admin);
  // Through the cookie, as the console does it: needs the CSRF token.
  assertError(await call('POST', '/api/v1/server/drain', { cookie: admin.cookie, body: {} }), 403, 'csrf');
  assert.equal((await call('GET', '/readyz')).status, 200);

  const r = await call('POST', '/api/v1/server/drain', { cookie: admin.cookie, csrf: admin.csrf, body: {} });
  assert.equal(r.status, 202, r.text);
  assert.equal(r.json.draining, true);

  const shutdown = await c.waitFor((e) => e.msg === 'event' && e.event.kind === 'server_shutdown', 10000, 'Event.server_shutdown');
  assert.ok(shutdown.event.server_shutdown.deadline_ms > 0);
  assert.equal(await c.waitClosed(15000), true, `client still connected: ${c.summary()}`);
  // The side-port goes away with the process (readyz is 503 for the short time in between).
  await eventually(
    async () => {
      try {
        const ready = await call('GET', '/readyz');
        return ready.status === 503;
      } catch {
        return true; // connection refused: stopped
      }
    },
    { timeoutMs: 15000, what: 'readyz 503 or the side-port closed' },
  );
  if (env.serverPid) {
    await eventually(() => !alive(env.serverPid), { timeoutMs: 35000, what: `server process ${env.serverPid} to exit` });
  }
});

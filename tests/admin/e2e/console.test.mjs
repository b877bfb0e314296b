// Browser end-to-end test of the admin console: headless Debian Chromium driven by
// playwright-core. Logs in, watches the dashboard's live charts, sees a room appear when a test
// client joins, kicks that player (the client is disconnected), bans them (their next login is
// refused), and saves a screenshot of every page under the artifacts folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { env, apiAs, call, eventually, uniqueName } from '../lib/env.mjs';
import { GameClient, errorName } from '../lib/game-client.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let context;
let page;
let profileDir;
const clients = [];
const foreignRequests = [];
const pageErrors = [];
const shots = [];
const state = {}; // shared between the steps: client, roomId, playerId, name

async function shot(name) {
  // Let the toasts of earlier actions fade so they do not cover the page.
  await page.waitForFunction(() => document.querySelectorAll('.toast').length === 0, null, { timeout: 8000 }).catch(() => {});
  const file = path.join(env.artifacts, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  shots.push(file);
}

before(async () => {
  fs.mkdirSync(env.artifacts, { recursive: true });
  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rookery-chromium-'));
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1366, height: 900 },
    deviceScaleFactor: 1,
    colorScheme: 'light',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15000);
  page = context.pages()[0] || (await context.newPage());
  page.on('request', (req) => {
    const u = req.url();
    if (!u.startsWith(env.http) && !u.startsWith('data:') && !u.startsWith('about:')) foreignRequests.push(u);
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
});

after(async () => {
  for (const c of clients) c.close();
  if (context) await context.close();
  if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
});

test('login page: a wrong password shows the API error, Enter logs in', { timeout: 60000 }, async () => {
  await page.goto(`${env.http}/admin/`);
  await page.getByRole('heading', { name: 'Log in to the admin console' }).waitFor();
  assert.match(page.url(), /#\/login/);
  // Keyboard only: the username field has focus; type, Tab, type, Enter.
  await page.keyboard.type(env.admin.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type('not-the-password');
  await shot('login');
  await page.keyboard.press('Enter');
  const alert = page.locator('.login-form [role=alert]');
  await alert.waitFor({ state: 'visible' });
  assert.match(await alert.innerText(), /wrong username or password/i);
  await shot('login-error');
  await page.getByLabel('Password').fill(env.admin.password);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  assert.match(await page.locator('.user').innerText(), new RegExp(env.admin.username));
});

test('dashboard draws live charts fed by the stream', { timeout: 60000 }, async () => {
  // A client so the charts have something to show.
  const warm = await GameClient.guest({ port: env.tcpPort, displayName: uniqueName('warm'), joinType: 'relay' });
  clients.push(warm);
  await page.locator('.live-dot.live-live').waitFor();
  for (const key of ['connections', 'messages', 'rooms', 'tick']) {
    await page.locator(`[data-chart="${key}"] canvas`).first().waitFor();
  }
  assert.equal(await page.locator('.chart .uplot').count(), 4, 'four uPlot charts');
  // Several samples arrive, one a second, and the values show up next to the titles.
  await page.waitForFunction(() => {
    const v = document.querySelector('[data-chart="connections"] .chart-value strong');
    return v && /\d/.test(v.textContent) && Number(v.textContent) >= 1;
  }, null, { timeout: 10000 });
  await page.waitForTimeout(4000);
  const note = await page.locator('main p.small[role=status]').innerText();
  const samples = Number(/(\d+) samples/.exec(note)?.[1] || 0);
  assert.ok(samples >= 4, `samples so far: ${note}`);
  await shot('dashboard');
});

test('a room appears on the Rooms page when a test client joins', { timeout: 60000 }, async () => {
  await page.getByRole('link', { name: 'Rooms' }).click();
  await page.getByRole('heading', { name: 'Rooms', exact: true }).waitFor();
  // The largest page, so the new room is listed however many rooms earlier tests left.
  await page.getByLabel('Page size').selectOption('100');
  await page.locator('table.data').waitFor();
  state.name = uniqueName('e2e');
  const c = await GameClient.guest({ port: env.tcpPort, displayName: state.name, joinType: 'spelltraction' });
  clients.push(c);
  state.client = c;
  state.roomId = c.roomId;
  state.playerId = c.playerId;
  // No reload: the page refreshes itself.
  const row = page.locator(`tr[data-room-id="${state.roomId}"]`);
  await row.waitFor({ timeout: 10000 });
  assert.match(await row.innerText(), /spelltraction/);
  await shot('rooms');
});

test('room detail lists the member; a broadcast from the page reaches the client', { timeout: 60000 }, async () => {
  await page.locator(`tr[data-room-id="${state.roomId}"] a`).first().click();
  await page.getByRole('heading', { name: new RegExp(`^Room ${state.roomId}`) }).waitFor();
  await page.locator('table[aria-label="Members"]').getByText(state.name).waitFor();
  const text = `hello from the console ${Date.now()}`;
  await page.getByLabel('Message').fill(text);
  await page.getByLabel('Message').press('Control+Enter');
  const ev = await state.client.waitFor((e) => e.msg === 'event' && e.event.kind === 'notice', 8000, 'Event.notice');
  assert.equal(ev.event.notice.text, text);
  await page.getByText('Broadcast sent.').waitFor();
  await shot('room-detail');
});

test('players page finds the player by name', { timeout: 60000 }, async () => {
  await page.getByRole('link', { name: 'Players' }).click();
  await page.getByRole('heading', { name: 'Players', exact: true }).waitFor();
  await page.getByLabel('Player name or id').fill(state.name);
  await page.getByLabel('Player name or id').press('Enter');
  const row = page.locator(`tr[data-player-id="${state.playerId}"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /online/);
  await shot('players');
});

test('kick from the player page disconnects the client', { timeout: 60000 }, async () => {
  await page.locator(`tr[data-player-id="${state.playerId}"] a`).first().click();
  await page.getByRole('heading', { name: new RegExp(state.name) }).waitFor();
  const status = page.locator('[data-testid=player-status]');
  await status.getByText('online', { exact: true }).waitFor();
  await shot('player-detail');
  await page.locator('form[aria-label="Kick player"]').getByLabel('Reason').fill('e2e kick');
  await page.getByRole('button', { name: 'Kick…' }).click();
  const dialog = page.getByRole('alertdialog');
  await dialog.waitFor();
  assert.match(await dialog.innerText(), /Kick/);
  await shot('kick-confirm');
  await dialog.getByRole('button', { name: 'Kick', exact: true }).click();
  assert.equal(await state.client.waitClosed(8000), true, `client still connected: ${state.client.summary()}`);
  assert.ok(state.client.errors().some((e) => e.code === 'KICKED'), state.client.summary());
  await status.getByText('offline', { exact: true }).waitFor({ timeout: 10000 });
});

test('ban from the player page refuses their next login', { timeout: 60000 }, async () => {
  const form = page.locator('form[aria-label="Ban player"]');
  await form.getByLabel('Duration').selectOption({ label: '1 day' });
  await form.getByLabel('Reason').fill('e2e ban');
  await form.getByRole('button', { name: 'Ban…' }).click();
  const dialog = page.getByRole('alertdialog');
  await dialog.waitFor();
  // Cancel first: nothing happens.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await apiAs('viewer', 'GET', `/api/v1/players/${state.playerId}`)).json.banned, false);
  // Then for real.
  await form.getByRole('button', { name: 'Ban…' }).click();
  await dialog.getByRole('button', { name: 'Ban', exact: true }).click();
  await page.locator('[data-testid=player-status]').getByText('banned', { exact: true }).waitFor({ timeout: 10000 });
  const d = await apiAs('viewer', 'GET', `/api/v1/players/${state.playerId}`);
  assert.equal(d.json.banned, true);
  assert.equal(d.json.ban_reason, 'e2e ban');
  assert.ok(d.json.banned_until_ms > Date.now() + 86000_000, 'about a day');
  // The next login with the same device is refused.
  const again = await GameClient.connect({ port: env.tcpPort });
  clients.push(again);
  await again.hello();
  const reply = await again.loginGuest(state.client.deviceId);
  assert.equal(reply.msg, 'error', again.describe(reply));
  assert.equal(errorName(reply.error.code), 'BANNED');
  await shot('player-banned');
});

test('audit log shows the broadcast, kick and ban', { timeout: 60000 }, async () => {
  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.getByRole('heading', { name: 'Audit log', exact: true }).waitFor();
  const table = page.locator('table[aria-label="Audit log"]');
  for (const action of ['player.ban', 'player.kick', 'room.broadcast']) {
    await table.locator('tr', { hasText: action }).first().waitFor();
  }
  const banRow = table.locator('tr', { hasText: 'player.ban' }).first();
  assert.match(await banRow.innerText(), new RegExp(`player:${state.playerId}`));
  assert.match(await banRow.innerText(), new RegExp(env.admin.username));
  await shot('audit');
});

test('server page: effective config and a guarded drain button', { timeout: 60000 }, async () => {
  await page.getByRole('link', { name: 'Server' }).click();
  await page.getByRole('heading', { name: 'Server', exact: true }).waitFor();
  const cfg = page.locator('table[aria-label="Configuration"]');
  await cfg.getByText('tcp_port', { exact: true }).waitFor();
  await page.locator('table[aria-label="Admin users"]').getByText(env.viewer.username).waitFor();
  await page.getByLabel('Filter').fill('http');
  await cfg.getByText('http_port', { exact: true }).waitFor();
  assert.equal(await cfg.getByText('tcp_port', { exact: true }).count(), 0, 'the filter hides other keys');
  await page.getByLabel('Filter').fill('');
  await shot('server');
  await page.getByRole('button', { name: 'Drain server…' }).click();
  const dialog = page.getByRole('alertdialog');
  await dialog.waitFor();
  // Focus starts on Cancel: Enter or Escape must not drain.
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel');
  await shot('drain-confirm');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  const ready = await call('GET', '/readyz');
  assert.equal(ready.status, 200, 'still serving after the cancelled drain');
});

test('a viewer sees pages but no action buttons', { timeout: 60000 }, async () => {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in to the admin console' }).waitFor();
  // The old session is gone: an API call with the browser's cookies is refused.
  const status = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
  assert.equal(status, 401);
  await page.getByLabel('Username').fill(env.viewer.username);
  await page.getByLabel('Password').fill(env.viewer.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  const room = await apiAs('operator', 'POST', '/api/v1/rooms', { type: 'relay', name: uniqueName('viewer') });
  await page.goto(`${env.http}/admin/#/rooms/${room.json.id}`);
  await page.getByRole('heading', { name: new RegExp(`^Room ${room.json.id}`) }).waitFor();
  await page.getByText('can view rooms but not act on them').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Close room…' }).count(), 0);
  await shot('viewer-room-detail');
  await page.goto(`${env.http}/admin/#/server`);
  await page.getByText('Only admins may drain the server').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Drain server…' }).count(), 0);
  await apiAs('operator', 'POST', `/api/v1/rooms/${room.json.id}/close`, { reason: 'test over' });
});

test('narrow screens: the dashboard reflows to one column', { timeout: 60000 }, async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${env.http}/admin/#/dashboard`);
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  await page.locator('[data-chart="tick"] canvas').first().waitFor();
  await page.waitForTimeout(1500);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no horizontal scrolling (${overflow}px too wide)`);
  await shot('dashboard-mobile');
  await page.setViewportSize({ width: 1366, height: 900 });
});

test('the console loaded nothing from outside the side-port and threw no errors', () => {
  assert.deepEqual(foreignRequests, []);
  assert.deepEqual(pageErrors, []);
  console.log(`screenshots:\n${shots.map((s) => `  ${s}`).join('\n')}`);
});

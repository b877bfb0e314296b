// The cluster in a browser: three players open SpellTraction from three different nodes and
// meet on one board, which lives on node a; the two from nodes b and c get there by redirects
// (join-or-create, and a join of the listed board). Then node a is killed: the redirected
// players come back to the lobby of the node their page came from, told why.
// Started by run.sh, which passes:
//   CLUSTER_PAGE_A, _B, _C   the game page as each node serves it (http://10.213.0.1x:port/)
//   CLUSTER_PID_A            node a's process id (killed by the last steps)
//   CLUSTER_ARTIFACTS        where screenshots go
//   CHROMIUM                 the browser binary (default /usr/bin/chromium)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const PAGES = { a: process.env.CLUSTER_PAGE_A, b: process.env.CLUSTER_PAGE_B, c: process.env.CLUSTER_PAGE_C };
const PID_A = Number(process.env.CLUSTER_PID_A ?? 0);
const ART = process.env.CLUSTER_ARTIFACTS ?? 'cluster-artifacts';
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const DESKTOP = { width: 1280, height: 880 };

if (!PAGES.a || !PAGES.b || !PAGES.c) throw new Error('CLUSTER_PAGE_A/B/C are not set: run tests/cluster/run.sh');
mkdirSync(ART, { recursive: true });

/** The WebSocket URL the page served at `pageUrl` connects to (its own host and port). */
const wsOf = (pageUrl) => pageUrl.replace(/^http/, 'ws');
const NODE_HOSTS = new Set(Object.values(PAGES).map((u) => new URL(u).host));

let browser;
const players = {}; // name -> { page, errors }
const shots = [];

async function openPlayer(name, node) {
  const context = await browser.newContext({ viewport: DESKTOP }); // its own localStorage: its own guest
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('request', (req) => {
    // The page and its sockets only ever go to the cluster's nodes.
    const u = new URL(req.url());
    if (u.protocol !== 'data:' && !NODE_HOSTS.has(u.host)) errors.push(`request outside the cluster: ${req.url()}`);
  });
  await page.goto(PAGES[node]);
  await page.waitForSelector('#name-input');
  await page.fill('#name-input', name);
  await page.click('#play-btn');
  await page.waitForSelector('body[data-screen="lobby"]', { timeout: 10_000 });
  players[name] = { page, errors };
  return page;
}

const snap = (page) => page.evaluate(() => window.__rookery.snapshot());

async function shot(page, file) {
  await page.screenshot({ path: join(ART, file) });
  shots.push(file);
}

/** Refreshes the page's room list until the board `roomId` is listed (the directory carries it). */
async function waitListed(page, roomId, timeoutMs = 10_000) {
  const row = `.room-row[data-room-id="${roomId}"]`;
  const deadline = Date.now() + timeoutMs;
  while (!(await page.$(row))) {
    if (Date.now() > deadline) assert.fail(`board ${roomId} is not listed on ${page.url()}`);
    await page.click('#refresh-rooms-btn');
    await page.waitForTimeout(250);
  }
  return row;
}

/** Waits until the page draws `count` markers and lists `count` players. */
async function waitPlayers(page, count) {
  await page.waitForFunction((n) => document.querySelectorAll('#board .marker').length === n, count, { timeout: 10_000 });
  await page.waitForFunction((n) => document.querySelectorAll('#scores .score-row').length === n, count, { timeout: 10_000 });
}

describe('SpellTraction on a cluster', { concurrency: false }, () => {
  let Ada; // opens the game from node a, where the board is made
  let Bob; // from node b, join-or-create
  let Cleo; // from node c, joins the listed board
  let roomId;

  before(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  after(async () => {
    await browser?.close();
    console.log(`# screenshots in ${ART}: ${shots.join(', ')}`);
  });

  test('each player opens the game from a different node and reaches its lobby', async () => {
    Ada = await openPlayer('Ada', 'a');
    Bob = await openPlayer('Bob', 'b');
    Cleo = await openPlayer('Cleo', 'c');
    for (const [page, node] of [[Ada, 'a'], [Bob, 'b'], [Cleo, 'c']]) {
      const s = await snap(page);
      assert.equal(s.url, wsOf(PAGES[node]), 'the page talks to the node that served it');
      assert.equal(s.status, 'open');
      assert.ok(s.playerId > 0);
    }
    const ids = new Set(await Promise.all([Ada, Bob, Cleo].map(async (p) => (await snap(p)).playerId)));
    assert.equal(ids.size, 3, 'three different guests');
  });

  test('a board made on node a is listed on nodes b and c', async () => {
    await Ada.fill('#create-name', 'Cluster board');
    await Ada.click('#create-btn');
    await Ada.waitForSelector('body[data-screen="game"]');
    const s = await snap(Ada);
    roomId = s.roomId;
    assert.ok(roomId > 0);
    assert.equal(s.url, wsOf(PAGES.a));
    assert.deepEqual(s.redirects, [], 'made at the node the page talks to');
    for (const page of [Bob, Cleo]) {
      const row = await waitListed(page, roomId);
      assert.match(await page.textContent(`${row} strong`), /Cluster board/);
    }
    await shot(Bob, '01-node-b-lobby-lists-board-on-a.png');
  });

  test('join-or-create on node b is sent to the board on node a', async () => {
    await Bob.click('#quick-play-btn');
    await Bob.waitForSelector('body[data-screen="game"]', { timeout: 10_000 });
    const s = await snap(Bob);
    assert.equal(s.roomId, roomId, 'the same board');
    assert.equal(s.url, wsOf(PAGES.a), 'now talking to node a');
    assert.equal(s.entryUrl, wsOf(PAGES.b));
    assert.equal(s.redirects.length, 1);
    assert.equal(s.redirects[0].node, 'node-a');
    assert.equal(s.redirects[0].roomId, roomId);
    assert.equal(await Bob.textContent('#room-title'), 'Cluster board');
    for (const page of [Ada, Bob]) await waitPlayers(page, 2);
    const [sa, sb] = [await snap(Ada), await snap(Bob)];
    assert.notEqual(sa.seat, sb.seat);
    assert.equal(sa.game.board, sb.game.board, 'both draw the same board');
    await Ada.waitForTimeout(300);
    await shot(Ada, '02-board-node-a-page.png');
    await shot(Bob, '02-board-node-b-page-redirected.png');
  });

  test('joining the listed board from node c is sent there too: three players, one board', async () => {
    const row = await waitListed(Cleo, roomId);
    await Cleo.click(`${row} .join-btn`);
    await Cleo.waitForSelector('body[data-screen="game"]', { timeout: 10_000 });
    const s = await snap(Cleo);
    assert.equal(s.roomId, roomId);
    assert.equal(s.url, wsOf(PAGES.a));
    assert.equal(s.entryUrl, wsOf(PAGES.c));
    for (const page of [Ada, Bob, Cleo]) {
      await waitPlayers(page, 3);
      const names = await page.$$eval('#scores .score-row .sname', (els) => els.map((e) => e.textContent.replace('(you)', '').trim()).sort());
      assert.deepEqual(names, ['Ada', 'Bob', 'Cleo']);
    }
    await Cleo.waitForTimeout(300);
    await shot(Cleo, '03-board-three-nodes.png');
  });

  test('a redirected player plays on the shared board: its move is seen from node a', async () => {
    const sb = await snap(Bob);
    const marker = sb.game.markers[sb.seat];
    const from = Math.min(3, Math.floor(marker.x / 100)) + 4 * Math.min(2, Math.floor(marker.y / 100));
    const target = from === 6 ? 5 : 6;
    await Bob.click(`#board .cell[data-cell="${target}"]`);
    await Ada.waitForFunction(([seat, cell]) => {
      const m = window.__rookery.snapshot().game?.markers[seat];
      return m && Math.min(3, Math.floor(m.x / 100)) + 4 * Math.min(2, Math.floor(m.y / 100)) === cell;
    }, [sb.seat, target], { timeout: 8000 });
  });

  test('the eviction after a redirect is not shown as "another tab or device"', async () => {
    for (const page of [Bob, Cleo]) {
      const s = await snap(page);
      assert.equal(s.banner, '', `no banner on ${s.entryUrl}`);
      assert.equal(s.status, 'open');
      assert.doesNotMatch(await page.textContent('body'), /another tab or device/);
    }
  });

  test('node a dies: the redirected players are back in their own node\'s lobby, told why', { skip: !PID_A && 'CLUSTER_PID_A not set' }, async () => {
    process.kill(PID_A, 'SIGKILL');
    // Their connections end at once; the reconnect loop tries node a, then the page's own node,
    // which logs them in again once node a has left the directory.
    for (const [page, node] of [[Bob, 'b'], [Cleo, 'c']]) {
      try {
        await page.waitForFunction(() => {
          const s = window.__rookery.snapshot();
          return s.screen === 'lobby' && s.status === 'open' && s.lobbyError !== '';
        }, null, { timeout: 30_000 });
      } catch (err) {
        assert.fail(`${err.message}\npage from node ${node}: ${JSON.stringify(await snap(page)).slice(0, 1500)}`);
      }
      assert.match(await page.textContent('#lobby-error'), /game server your board ran on has stopped/);
      const s = await snap(page);
      assert.equal(s.url, wsOf(PAGES[node]), 'back at the node the page came from');
      assert.equal(s.roomId, 0);
      assert.equal(s.banner, '', 'no reconnecting banner left');
      const last = s.reconnects.at(-1);
      assert.equal(last.seatRestored, false);
      assert.equal(last.previousUrl, wsOf(PAGES.a));
    }
    await shot(Bob, '04-node-a-died-back-in-node-b-lobby.png');
    // The board went with its node: it is listed nowhere.
    await Bob.click('#refresh-rooms-btn');
    await Bob.waitForTimeout(300);
    assert.equal(await Bob.$(`.room-row[data-room-id="${roomId}"]`), null);
    // Ada's page came from node a itself: it can only keep trying.
    assert.match(await Ada.textContent('#banner'), /reconnecting/i);
  });

  test('no page errors and nothing fetched from outside the cluster', () => {
    const all = Object.entries(players).flatMap(([name, p]) => p.errors.map((e) => `${name}: ${e}`))
      // Sockets to the killed node fail on purpose; chromium logs that.
      .filter((e) => !/WebSocket|ERR_CONNECTION_REFUSED/i.test(e));
    assert.deepEqual(all, []);
  });
});

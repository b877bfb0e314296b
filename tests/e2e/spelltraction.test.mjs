// End-to-end: the SpellTraction web client in headless chromium against a real rookery.
// Started by run.sh, which passes:
//   E2E_PAGE_URL   the page (served by rookery --web-root, or by static-server.mjs with ?server=)
//   E2E_ARTIFACTS  where screenshots go
//   E2E_HOLD_MS    the server's --spelltraction-hold-ms
//   CHROMIUM       the browser binary (default /usr/bin/chromium)
// The steps share two players (two browser contexts: separate localStorage, so separate guest
// devices) and run in order.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const PAGE_URL = process.env.E2E_PAGE_URL;
const ART = process.env.E2E_ARTIFACTS ?? 'e2e-artifacts';
const HOLD_MS = Number(process.env.E2E_HOLD_MS ?? 2000);
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const DESKTOP = { width: 1280, height: 880 };

if (!PAGE_URL) throw new Error('E2E_PAGE_URL is not set: run tests/e2e/run.sh');
mkdirSync(ART, { recursive: true });

let browser;
const pages = {}; // name -> { page, context, errors: [] }
const shots = [];

async function openPlayer(name, contextOptions = { viewport: DESKTOP }) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(`console: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => {
    // Anything fetched from elsewhere than the test server is a bundling mistake.
    const url = req.url();
    if (!url.startsWith('data:')) errors.push(`request failed: ${url} ${req.failure()?.errorText}`);
  });
  page.on('request', (req) => {
    const u = new URL(req.url());
    if (!['localhost', '127.0.0.1', '[::1]'].includes(u.hostname) && u.protocol !== 'data:') {
      errors.push(`external request: ${req.url()}`);
    }
  });
  pages[name] = { page, context, errors };
  return page;
}

async function shot(page, file, opts = {}) {
  const path = join(ART, file);
  await page.screenshot({ path, ...opts });
  shots.push(file);
}

const snap = (page) => page.evaluate(() => window.__rookery.snapshot());

function cellOf(m) {
  return Math.min(3, Math.max(0, Math.floor(m.x / 100))) + 4 * Math.min(2, Math.max(0, Math.floor(m.y / 100)));
}

/** Waits until the page's client sees `seat`'s marker resting in `cell`. */
function waitMarkerInCell(page, seat, cell, timeout = 8000) {
  return page.waitForFunction(([s, c]) => {
    const g = window.__rookery.snapshot().game;
    const m = g?.markers[s];
    if (!m) return false;
    const col = Math.min(3, Math.floor(m.x / 100));
    const row = Math.min(2, Math.floor(m.y / 100));
    return row * 4 + col === c && Math.abs(m.x - (col * 100 + 50)) <= 2 && Math.abs(m.y - (row * 100 + 50)) <= 2;
  }, [seat, cell], { timeout });
}

async function enterName(page, name) {
  await page.goto(PAGE_URL);
  await page.waitForSelector('#name-input');
  await page.fill('#name-input', name);
  await page.click('#play-btn');
  await page.waitForSelector('body[data-screen="lobby"]', { timeout: 10_000 });
}

/** Center of an element in page pixels. */
async function center(page, selector) {
  const box = await page.locator(selector).boundingBox();
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

describe('SpellTraction in the browser', { concurrency: false }, () => {
  let A;
  let B;
  let seatA;
  let seatB;
  let roomId;

  before(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      // playwright-core starts each launch with a fresh temporary --user-data-dir of its own.
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    A = await openPlayer('A');
    B = await openPlayer('B');
  });

  after(async () => {
    await browser?.close();
    console.log(`# screenshots in ${ART}: ${shots.join(', ')}`);
  });

  test('both players choose a name and reach the lobby', async () => {
    await enterName(A, 'Ada');
    await enterName(B, 'Bob');
    assert.equal(await A.textContent('#me-label'), 'Ada');
    assert.equal(await B.textContent('#me-label'), 'Bob');
    const [sa, sb] = [await snap(A), await snap(B)];
    assert.ok(sa.playerId > 0 && sb.playerId > 0 && sa.playerId !== sb.playerId, 'two different guest players');
    // Device ids are kept in localStorage.
    const dev = await A.evaluate(() => localStorage.getItem('rookery.deviceId'));
    assert.match(dev, /^web-[0-9a-f]{32}$/);
    await A.waitForSelector('#room-list li');
  });

  test('two players join the same board', async () => {
    await A.fill('#create-name', 'E2E board');
    await A.click('#create-btn');
    await A.waitForSelector('body[data-screen="game"]');
    const sa = await snap(A);
    roomId = sa.roomId;
    seatA = sa.seat;
    assert.ok(roomId > 0);
    assert.equal(await A.textContent('#room-title'), 'E2E board');

    // Bob finds the board in the room list (refresh) and joins it.
    await B.click('#refresh-rooms-btn');
    const row = `.room-row[data-room-id="${roomId}"]`;
    await B.waitForSelector(row);
    assert.match(await B.textContent(`${row} .pill`), /^1\/\d+$/);
    await shot(B, '01-lobby.png');
    await B.click(`${row} .join-btn`);
    await B.waitForSelector('body[data-screen="game"]');
    const sb = await snap(B);
    seatB = sb.seat;
    assert.equal(sb.roomId, roomId);
    assert.notEqual(seatA, seatB);

    // Both pages show both markers, names and a 12-letter board with three letters each.
    for (const page of [A, B]) {
      await page.waitForFunction(() => document.querySelectorAll('#board .marker').length === 2);
      await page.waitForFunction(() => document.querySelectorAll('#scores .score-row').length === 2);
      const s = await snap(page);
      assert.equal(s.game.board.length, 12);
      assert.equal(s.members.length, 2);
      assert.equal(s.game.players[s.seat].letters.length, 3);
      assert.equal((await page.textContent('#my-letters')).replace(/\d/g, '').length, 3);
    }
    const boardA = (await snap(A)).game.board;
    const cellTexts = await B.$$eval('#board .cell .letter', (els) => els.map((e) => e.textContent).join(''));
    assert.equal(cellTexts, boardA, 'both pages draw the same board');
    // Cells with one of my letters are highlighted.
    const mine = new Set((await snap(A)).game.players[seatA].letters);
    const highlighted = await A.$$eval('#board .cell.mine .letter', (els) => els.map((e) => e.textContent));
    assert.ok(highlighted.length > 0 || ![...boardA].some((l) => mine.has(l)));
    for (const l of highlighted) assert.ok(mine.has(l));
    await A.waitForTimeout(300);
    await shot(A, '02-board-two-players.png');
  });

  test("a move on one page appears on the other", async () => {
    const sa = await snap(A);
    const from = cellOf(sa.game.markers[seatA]);
    const target = from === 5 ? 6 : 5;
    await A.click(`#board .cell[data-cell="${target}"]`);
    await waitMarkerInCell(B, seatA, target);
    await waitMarkerInCell(A, seatA, target);
    // And it is drawn there on B (interpolated: give it a few frames to settle).
    await B.waitForTimeout(250);
    const dot = await center(B, `#board .marker[data-seat="${seatA}"] .dot`);
    const cell = await center(B, `#board .cell[data-cell="${target}"]`);
    assert.ok(Math.abs(dot.x - cell.x) < 8 && Math.abs(dot.y - cell.y) < 8,
      `marker drawn at ${JSON.stringify(dot)}, cell centre ${JSON.stringify(cell)}`);
  });

  test('gathering on a letter scores it and both pages see the new scores', async () => {
    const s = await snap(A);
    const lettersA = s.game.players[seatA].letters;
    const lettersB = s.game.players[seatB].letters;
    const board = s.game.board;
    // Prefer a letter both hold, then one either holds.
    const pick = (pred) => [...board].findIndex((l) => pred(l));
    let cell = pick((l) => lettersA.includes(l) && lettersB.includes(l));
    if (cell < 0) cell = pick((l) => lettersA.includes(l) || lettersB.includes(l));
    assert.ok(cell >= 0, `no board letter held by anyone: board ${board}, ${lettersA}, ${lettersB}`);
    const letter = board[cell];
    const holders = [seatA, seatB].filter((seat) => s.game.players[seat].letters.includes(letter));
    const before = { [seatA]: s.game.players[seatA].score, [seatB]: s.game.players[seatB].score };

    await A.click(`#board .cell[data-cell="${cell}"]`);
    await B.click(`#board .cell[data-cell="${cell}"]`);
    // The attractor comes to the crowded cell, holds it for hold_ms, and the letter is scored.
    await A.waitForFunction((c) => window.__rookery.snapshot().game.attractor.cell === c, cell, { timeout: 8000 });
    await A.waitForSelector(`#board .attractor[data-cell="${cell}"]:not([hidden])`);
    const scoredOn = (p) => p.waitForFunction(() => window.__rookery.snapshot().scored.length > 0, null, { timeout: HOLD_MS * 3 + 8000 });
    await scoredOn(A);
    await A.waitForTimeout(250); // the scored-letter effect at full size
    await shot(A, '03-scored.png');
    await scoredOn(B);
    // Step apart so no more letters are scored while we compare.
    await A.click('#board .cell[data-cell="0"]');
    await B.click('#board .cell[data-cell="11"]');

    const first = (await snap(A)).scored[0];
    assert.equal(first.cell, cell);
    assert.equal(first.letter, letter);
    assert.deepEqual([...first.seats].sort(), [...holders].sort());
    assert.deepEqual((await snap(B)).scored[0], first, 'both pages saw the same scoring');

    // Both pages agree on everyone's score, and the holders went up.
    await A.waitForTimeout(HOLD_MS + 500);
    const [fa, fb] = [await snap(A), await snap(B)];
    for (const seat of [seatA, seatB]) {
      assert.equal(fa.game.players[seat].score, fb.game.players[seat].score);
      const shownA = await A.textContent(`#scores .score-row[data-seat="${seat}"] .score`);
      const shownB = await B.textContent(`#scores .score-row[data-seat="${seat}"] .score`);
      assert.equal(shownA, String(fa.game.players[seat].score));
      assert.equal(shownB, shownA);
    }
    for (const seat of holders) assert.ok(fa.game.players[seat].score >= before[seat] + 1, `seat ${seat} scored`);
    assert.equal(await A.textContent('#my-score'), String(fa.game.players[seatA].score));
  });

  test('a dropped socket reconnects automatically to the same seat', async () => {
    // Close A's WebSocket without a Leave; hold the first retry so the banner can be seen.
    assert.equal(await A.evaluate(() => window.__rookery.dropSocket({ reconnectDelayMs: 1500 })), true);
    await A.waitForSelector('#banner:not([hidden])');
    assert.match(await A.textContent('#banner'), /disconnected\s+—\s+reconnecting/i);
    assert.equal(await A.getAttribute('body', 'data-conn'), 'reconnecting');
    // The other player sees A's seat held (disconnected) meanwhile.
    await B.waitForSelector(`#scores .score-row[data-seat="${seatA}"][data-connected="false"]`, { timeout: 5000 });
    await shot(A, '04-reconnecting.png');
    await shot(B, '04-other-player-sees-drop.png');

    // Back: same seat, the banner gone, the other page sees the player connected again.
    await A.waitForFunction(() => window.__rookery.snapshot().reconnects.length > 0, null, { timeout: 15_000 });
    await A.waitForSelector('#banner', { state: 'hidden' });
    const s = await snap(A);
    assert.equal(s.status, 'open');
    assert.equal(s.roomId, roomId);
    assert.equal(s.seat, seatA, 'same seat');
    assert.deepEqual(s.reconnects[0].resumed, true);
    assert.deepEqual(s.reconnects[0].seatRestored, true);
    await B.waitForSelector(`#scores .score-row[data-seat="${seatA}"][data-connected="true"]`, { timeout: 5000 });
    const other = (await snap(B)).members.find((m) => m.seat === seatA);
    assert.equal(other.connected, true);
    // The score survived (same seat, same game state).
    assert.equal(s.game.players[seatA].score, (await snap(B)).game.players[seatA].score);
    // And it still plays: a move after the reconnect reaches the other page.
    const to = cellOf(s.game.markers[seatA]) === 2 ? 1 : 2;
    await A.click(`#board .cell[data-cell="${to}"]`);
    await waitMarkerInCell(B, seatA, to);
  });

  test('the leaderboard shows the scores after the round', async (t) => {
    const final = (await snap(A)).game.players;
    const scoreA = final[seatA].score;
    const scoreB = final[seatB].score;
    await A.click('#leave-btn');
    await B.click('#leave-btn');
    await A.waitForSelector('body[data-screen="lobby"]');
    await B.waitForSelector('body[data-screen="lobby"]');
    // The room saves each player's stint when the seat is released; the store commits it.
    await A.evaluate(() => window.__rookery.refreshLeaderboard());
    const lb = (await snap(A)).leaderboard;
    if (lb.unavailable) {
      await shot(A, '05-leaderboard.png');
      t.skip('server answered GetLeaderboard with UNKNOWN_MESSAGE: leaderboard handler not in this build');
      return;
    }
    const ids = { A: (await snap(A)).playerId, B: (await snap(B)).playerId };
    const deadline = Date.now() + 8000;
    let entries = [];
    for (;;) {
      entries = (await snap(A)).leaderboard.entries;
      const ea = entries.find((e) => e.player_id === ids.A);
      const eb = entries.find((e) => e.player_id === ids.B);
      if (ea && eb && ea.total_score === scoreA && eb.total_score === scoreB) break;
      if (Date.now() > deadline) {
        assert.fail(`leaderboard ${JSON.stringify(entries)} lacks Ada=${scoreA}, Bob=${scoreB}`);
      }
      await A.waitForTimeout(300);
      await A.click('#screen-lobby .lb-refresh');
    }
    const rowA = `#screen-lobby .lb-row[data-player-id="${ids.A}"]`;
    await A.waitForSelector(rowA);
    assert.equal(await A.textContent(`${rowA} .lb-name`), 'Ada');
    assert.equal(await A.textContent(`${rowA} .lb-score`), String(scoreA));
    assert.ok(await A.$eval(rowA, (el) => el.classList.contains('me')));
    // Best first.
    const totals = entries.map((e) => e.total_score);
    assert.deepEqual(totals, [...totals].sort((x, y) => y - x));
    await shot(A, '05-leaderboard.png');
  });

  test('phone viewport: the page fits and a tap moves the marker', async () => {
    const P = await openPlayer('P', {
      viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    });
    await enterName(P, 'Cleo');
    await shot(P, '06-phone-lobby.png');
    await P.click('#quick-play-btn');
    await P.waitForSelector('body[data-screen="game"]');
    const width = await P.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `no horizontal scrolling (scrollWidth ${width})`);
    const box = await P.locator('#board').boundingBox();
    assert.ok(box.width >= 340 && box.x >= 0 && box.x + box.width <= 390, `board ${JSON.stringify(box)}`);
    const s = await snap(P);
    const target = cellOf(s.game.markers[s.seat]) === 9 ? 10 : 9;
    await P.tap(`#board .cell[data-cell="${target}"]`);
    await waitMarkerInCell(P, s.seat, target);
    await P.waitForTimeout(250);
    await shot(P, '06-phone.png');
    await shot(P, '06-phone-full.png', { fullPage: true });
  });

  test('no page errors and nothing fetched from outside', () => {
    const all = Object.entries(pages).flatMap(([name, p]) => p.errors.map((e) => `${name}: ${e}`))
      // The drop test closes a socket on purpose; chromium may log that.
      .filter((e) => !/WebSocket/i.test(e));
    assert.deepEqual(all, []);
  });
});

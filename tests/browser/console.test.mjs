// The proctor's console with 15 participants in every state a room sees: a tile each, coloured by
// what needs the proctor (not logged in, working, doubtful items left, finished, needs a login
// reset, offline), the token large, the list filtered and sorted by a plain form. Pushed live
// over server-sent events (no polling, no reload); a browser refused a live place (two per
// computer, eight in all) polls instead; without JavaScript the page refreshes itself. It fits 1366x768
// and 1024x600 without sideways scrolling. Screenshots: console-1366.png, console-1024.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  assertClean, startServer, launchBrowser, newContext, setupProctor, stepper, eventually, text,
  SHOTS, sleep, here,
} from './lib/harness.mjs';

const PASSWORD = 'pengawas-konsol-1';
const TOKEN = 'WXYZAB';
const SIZES = [[1366, 768], [1024, 600]];
let server;
let browser;
let pctx;
let page;
const others = [];
/** username -> {password, dob, name}, read from the dashboard's demo logins. */
const logins = {};
/** The participants' API handles by number (their computers' heartbeats). */
const apis = {};
/** The reserves' usernames. */
const reserves = [];
/** When the participant who goes silent made their last request. */
let silentSince = 0;

before(async () => {
  [server, browser] = await Promise.all([
    startServer({ openSession: 'H1S1', token: TOKEN, args: ['--demo-participants', '15'] }),
    launchBrowser(),
  ]);
  pctx = await newContext(browser);
  page = await pctx.newPage();
});

after(async () => {
  for (const c of [pctx, ...others]) assertClean(c);
  await browser?.close();
  await server?.stop();
});

const u = (n) => `DEMO${String(n).padStart(3, '0')}`;

/** A participant's JSON API in a browser context of their own (its own cookies). */
async function client() {
  const ctx = await newContext(browser);
  others.push(ctx);
  return async (m, p, data) => {
    const r = await ctx.request.fetch(`${server.url}/api/v1/${p}`, { method: m, data, failOnStatusCode: false });
    return { status: r.status(), body: await r.json().catch(() => null) };
  };
}

/** Takes participant n as far as `to`: 'login', 'practice', 'test' (with `answers` saved, the
 * first `doubtful` of them marked doubtful), or 'finished' (every test of the session). */
async function participant(n, to, { answers = 0, doubtful = 0 } = {}) {
  const who = logins[u(n)];
  const api = await client();
  const ok = (r, what) => assert.equal(r.status, 200, `${u(n)} ${what}: ${JSON.stringify(r.body)}`);
  ok(await api('POST', 'login', { username: u(n), password: who.password }), 'login');
  apis[n] = api;
  if (to === 'login') return api;
  ok(await api('POST', 'start', { name: who.name, birth_date: who.dob, token: TOKEN }), 'start');
  if (to === 'practice') return api;
  ok(await api('POST', 'practice/end'), 'practice end');
  for (let i = 0; i < answers; i++) {
    const [item, response] = RESPONSES[i];
    ok(await api('PUT', `answers/${item}`, { response, doubtful: i < doubtful, rev: 1 }), 'save');
  }
  if (to === 'test') return api;
  // Every test of the session: each finish logs out; the next test needs a login and the token.
  for (;;) {
    ok(await api('POST', 'finish', { confirm: true }), 'finish');
    const again = await api('POST', 'login', { username: u(n), password: who.password });
    if (again.status !== 200) break; // every test done: nothing left to log in for
    const me = await api('POST', 'start', { name: who.name, birth_date: who.dob, token: TOKEN });
    if (me.status !== 200) break;
    await api('POST', 'practice/end');
  }
  return api;
}

/** Answers to the demo test's items, by item id (the saves name items by id). */
const RESPONSES = [
  ['D01', { choice: 'A' }], ['D02', { choice: 'B' }], ['D06', { text: 'Jakarta' }],
  ['D07', { text: 'Candi itu dibangun oleh Wangsa Syailendra.' }], ['D03', { choices: ['A', 'B'] }],
];

const tileClass = (p, n) => p.$eval(`#tile-${u(n)}`, (e) => e.className);

test('the console: a room at a glance, live', async (t) => {
  const step = stepper(t);

  await step('the proctor reads every demo login from the dashboard', async () => {
    await setupProctor(page, server, PASSWORD);
    const rows = await page.$$eval('#demo-logins tbody tr', (r) => r.map((x) => [...x.cells].map((c) => c.textContent.trim())));
    for (const [username, password, dob, name] of rows) {
      logins[username] = { password, dob, name: name.replace(/ \(cadangan\)$/, '') };
      if (/\(cadangan\)$/.test(name)) reserves.push(username);
    }
    assert.equal(Object.keys(logins).length, 18, '15 participants and 3 reserves');
  });

  await step('15 participants in mixed states', async () => {
    // The one who goes silent first: their computer "crashes" after the test started.
    await participant(15, 'test', { answers: 1 });
    silentSince = Date.now();
    await participant(4, 'login');
    await participant(5, 'practice');
    for (const n of [6, 7, 8, 9]) await participant(n, 'test', { answers: n - 4 });
    for (const n of [10, 11]) await participant(n, 'test', { answers: 3, doubtful: 2 });
    for (const n of [12, 13]) await participant(n, 'finished', { answers: 2 });
    await participant(14, 'test', { answers: 1 });
    // DEMO014 moves to another computer without a reset: the login there is refused.
    const elsewhere = await client();
    const r = await elsewhere('POST', 'login', { username: u(14), password: logins[u(14)].password });
    assert.equal(r.status, 409, JSON.stringify(r.body));
    assert.equal(r.body.error, 'already_logged_in');
  });

  await step('a tile per participant, coloured by what needs the proctor', async () => {
    await page.goto(server.url + '/proctor');
    assert.equal((await page.$$('#tiles .tile')).length, 18);
    assert.match(await tileClass(page, 1), /lk-not_logged_in/);
    assert.match(await tileClass(page, 4), /lk-working/);
    assert.match(await text(page, `#tile-${u(4)} .t-look`), /Sudah login/);
    assert.match(await text(page, `#tile-${u(5)} .t-look`), /Latihan/);
    assert.match(await tileClass(page, 7), /lk-working/);
    assert.equal(await text(page, `#tile-${u(7)} .t-prog`), '3/7');
    assert.match(await text(page, `#tile-${u(7)} .t-rem`), /^\d\d:\d\d:\d\d$/);
    assert.match(await tileClass(page, 10), /lk-doubtful/);
    assert.match(await tileClass(page, 12), /lk-finished/);
    if (process.env.DBG) console.error(JSON.stringify((await (await page.request.get(server.url + '/proctor/status.json')).json()).rows.filter((r) => r.username === u(14))));
    assert.match(await tileClass(page, 14), /lk-needs_reset/);
    assert.equal(await text(page, `#tile-${u(14)} .t-look`), 'Perlu reset');
    // Without a seat table: those who came first come first.
    const order = await page.$$eval('#tiles .tile', (ts) => ts.map((x) => x.id.replace('tile-', '')));
    assert.equal(order[0], u(15), order.join(' '));
    assert.equal(order[1], u(4), order.join(' '));
    assert.equal(await text(page, '#token'), TOKEN);
    assert.equal(await text(page, '#c-done'), '2');
  });

  await step('the list: only what needs attention, sorted, by a plain form', async () => {
    await page.selectOption('#list-show', 'attention');
    await page.waitForURL(/show=attention/);
    const listed = await page.$$eval('table.participants tbody tr', (r) => r.map((x) => x.dataset.username));
    assert.deepEqual(listed.sort(), [u(10), u(11), u(14)], 'doubtful items and the refused login');
    await page.goto(server.url + '/proctor?show=&sort=answered');
    const answered = await page.$$eval('table.participants tbody tr .c-answered', (c) => c.map((x) => Number(x.innerText.split('/')[0])));
    assert.deepEqual(answered, [...answered].sort((a, b) => a - b));
    assert.equal(answered.length, 18);
    await page.goto(server.url + '/proctor');
  });

  await step('actions only where they apply: none on a finished attempt', async () => {
    const shown = (n, what) => page.isVisible(`#row-${u(n)} ${what}`);
    assert.equal(await shown(12, 'details.row-actions'), false, 'finished: no actions');
    assert.equal(await shown(1, 'details.row-actions'), false, 'not logged in: no actions');
    await page.click(`#row-${u(7)} details.row-actions summary`);
    assert.equal(await shown(7, 'form.act-finish'), true);
    assert.equal(await shown(7, 'form.act-extra'), true);
    await page.click(`#row-${u(7)} details.row-actions summary`);
    await page.click(`#row-${u(5)} details.row-actions summary`);
    assert.equal(await shown(5, 'form.act-finish'), true, 'practice can be ended');
    assert.equal(await shown(5, 'form.act-extra'), false, 'no extra time before the clock runs');
    await page.click(`#row-${u(5)} details.row-actions summary`);
    assert.equal(reserves.length, 3);
    assert.equal(await page.isVisible(`#row-${reserves[0]} details.row-actions`), true, 'a reserve can be activated');
  });

  await step('live over server-sent events: a login shows without a reload or a poll', async () => {
    const polls = [];
    page.on('request', (r) => { if (r.url().includes('/proctor/status.json')) polls.push(r.url()); });
    await page.evaluate(() => { window.__same = true; });
    await eventually(async () => assert.equal(await page.getAttribute('#dashboard', 'data-via'), 'live'));
    await participant(1, 'test', { answers: 2 });
    await eventually(async () => {
      assert.match(await tileClass(page, 1), /lk-working/);
      assert.equal(await text(page, `#tile-${u(1)} .t-prog`), '2/7');
      assert.equal(await text(page, `#row-${u(1)} .c-answered`), '2/7');
    }, { timeout: 8000, interval: 200 });
    assert.equal(await page.evaluate(() => window.__same), true, 'not reloaded');
    assert.deepEqual(polls, [], 'no polling while live');
  });

  await step('a third tab of the same browser polls instead (the browser keeps connections), and still follows', async () => {
    // The proctor's page holds one place of this browser's two.
    const second = await pctx.newPage();
    await second.goto(server.url + '/proctor');
    await eventually(async () => assert.equal(await second.getAttribute('#dashboard', 'data-via'), 'live'));
    const third = await pctx.newPage();
    await third.goto(server.url + '/proctor');
    await eventually(async () => assert.equal(await third.getAttribute('#dashboard', 'data-via'), 'poll'), { timeout: 8000 });
    await participant(2, 'practice');
    for (const p of [page, second, third]) {
      await eventually(async () => assert.match(await text(p, `#tile-${u(2)} .t-look`), /Latihan/), { timeout: 9000, interval: 250 });
    }
    await second.close();
    await third.close();
  });

  await step('without JavaScript the page shows the same console and refreshes itself', async () => {
    const nojs = await newContext(browser, { javaScriptEnabled: false });
    others.push(nojs);
    const p = await nojs.newPage();
    await setupProctorLogin(p);
    assert.equal(await p.getAttribute('meta[http-equiv="refresh"]', 'content'), '30');
    assert.match(await text(p, '#seatmap noscript, #seatmap p.hint'), /dimuat ulang setiap 30 detik/);
    assert.match(await tileClass(p, 3), /lk-not_logged_in/);
    await participant(3, 'login');
    // The page reloads itself (every 30 s) and shows the login.
    await eventually(async () => assert.match(await tileClass(p, 3), /lk-working/), { timeout: 36000, interval: 500 });
    await p.close();
  });

  await step('a computer silent for 45 s shows offline; the others beat on', async () => {
    const wait = silentSince + 47000 - Date.now();
    if (wait > 0) await sleep(wait);
    // Every other computer's page beats every 15 s: they are online.
    for (const [n, api] of Object.entries(apis)) if (Number(n) !== 15) await api('POST', 'heartbeat', {});
    await eventually(async () => assert.match(await tileClass(page, 15), /lk-offline/), { timeout: 8000, interval: 250 });
    assert.equal(await text(page, `#tile-${u(15)} .t-look`), 'Offline');
    await eventually(async () => {
      assert.match(await tileClass(page, 7), /lk-working/);
      assert.match(await tileClass(page, 10), /lk-doubtful/);
    }, { timeout: 8000, interval: 250 });
  });

  await step('fits 1366x768 and 1024x600 without sideways scrolling (screenshots)', async () => {
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      await page.goto(server.url + '/proctor');
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= width, `the console at ${width}: ${wide} px wide`);
      // The map and the token are in the first screen.
      const token = await page.$eval('#token', (e) => e.getBoundingClientRect().bottom);
      assert.ok(token < height, `the token in view at ${width}x${height}`);
      await page.screenshot({ path: path.join(SHOTS, `console-${width}.png`) });
    }
  });
});

/** Logs the proctor in on a page without JavaScript. */
async function setupProctorLogin(p) {
  await p.goto(server.url + '/proctor');
  await p.fill('#password', PASSWORD);
  await Promise.all([p.waitForNavigation(), p.click('button[type=submit]')]);
  assert.equal(here(p), '/proctor');
}

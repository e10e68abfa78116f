// The board's clock set from the proctor's browser (issue 18 item 2, issue 16 item 4). The server
// runs a simulated wall clock that starts in 1970, as a board without a clock battery does
// (`--wall-clock-at 0`; the machine's own clock is never touched), with the simulated panel that
// raises the "clock not set" attention. With JavaScript the form shows this computer's time and
// sends it; without, the proctor types the date and time. Screenshots (RUJI_SHOTS):
// proctor-clock-*.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  assertClean, startServer, launchBrowser, newContext, text, here, stepper, screenshot, eventually,
} from './lib/harness.mjs';

const PASSWORD = 'pengawas-ruang-9';
let browser;
const servers = [];
const contexts = [];

before(async () => { browser = await launchBrowser(); });

after(async () => {
  for (const c of contexts) assertClean(c);
  await browser?.close();
  for (const s of servers) await s.stop();
});

async function submit(page, selector = 'button[type=submit]') {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

/** A server at 1970 and a proctor logged in on it; the dashboard shows the clock's attention. */
async function proctorAt1970(js) {
  return proctorOn(js, ['--wall-clock-at', '0'], /Jam papan sekarang: 1970-01-01/);
}

/** A server started with `args` and a proctor logged in on it; the dashboard shows the clock's
 * attention, with the board's time matching `shown`. */
async function proctorOn(js, args, shown) {
  const server = await startServer({ args: ['--panel', 'sim', ...args] });
  servers.push(server);
  const ctx = await newContext(browser, { javaScriptEnabled: js });
  contexts.push(ctx);
  const page = await ctx.newPage();
  await page.goto(server.url + '/proctor');
  await page.fill('#code', server.setupCode);
  await page.fill('#password', PASSWORD);
  await page.fill('#password2', PASSWORD);
  await submit(page);
  assert.equal(here(page), '/proctor');
  // The panel's supervisor raises the reason within its 2 s round.
  await eventually(async () => {
    await page.goto(server.url + '/proctor');
    assert.ok(await page.$('#att-clock_not_set'), 'the clock attention is shown');
  }, { timeout: 30000, interval: 500 });
  assert.match(await text(page, '#att-clock_not_set'), shown);
  return { server, page };
}

async function attentionGone(page, url) {
  // The panel's supervisor reads the clock every 2 s; a busy test machine can take longer.
  await eventually(async () => {
    await page.goto(url + '/proctor');
    assert.equal(await page.$('#att-clock_not_set'), null, 'the clock attention is gone');
  }, { timeout: 30000, interval: 500 });
}

test('the clock from the browser, JavaScript on', async (t) => {
  const step = stepper(t);
  const { server, page } = await proctorAt1970(true);

  await step('the form shows this computer\'s time, ticking', async () => {
    const shown = await page.inputValue('#clock-local');
    const now = await page.evaluate(() => new Date().getFullYear());
    assert.match(shown, new RegExp(`^${now}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d$`));
    for (const [width, height] of [[1366, 768], [1024, 600]]) {
      await page.setViewportSize({ width, height });
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= width, `${wide} px wide at ${width}`);
      await screenshot(page, `proctor-clock-js-${width}.png`, { fullPage: false });
    }
  });

  await step('Set sends the browser\'s exact time; the attention clears; the log says so', async () => {
    const before = Date.now();
    await submit(page, '#clock-form button[type=submit]');
    assert.equal(here(page), '/proctor?ok=1');
    await attentionGone(page, server.url);
    await page.goto(server.url + '/proctor/audit');
    const log = await text(page, 'body');
    assert.match(log, /Jam papan disetel/);
    assert.match(log, /from 1970-01-01 00:00:\d\d UTC to \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC by the proctor's browser at 127\.0\.0\.1/);
    const year = new Date(before).getUTCFullYear();
    assert.ok(log.includes(`to ${year}-`), 'set to this computer\'s time');
  });
});

test('the clock typed by hand, JavaScript off', async (t) => {
  const step = stepper(t);
  const { server, page } = await proctorAt1970(false);

  await step('a date before this software is refused with what to do', async () => {
    await page.fill('#clock-local', '2001-01-01T08:00');
    await submit(page, '#clock-form button[type=submit]');
    assert.equal(here(page), '/proctor?e=clock_out_of_range');
    assert.match(await text(page, 'p.error'), /tidak mungkin benar/);
    await page.setViewportSize({ width: 1366, height: 768 });
    await screenshot(page, 'proctor-clock-refused-1366.png', { fullPage: false });
  });

  await step('a typed time in WITA sets it', async () => {
    await page.selectOption('#clock-zone', '480');
    await page.fill('#clock-local', '2027-03-15T10:30:00');
    await submit(page, '#clock-form button[type=submit]');
    assert.equal(here(page), '/proctor?ok=1');
    await attentionGone(page, server.url);
    await page.goto(server.url + '/proctor/audit');
    assert.match(await text(page, 'body'), /to 2027-03-15 02:30:00 UTC by the proctor's browser/);
  });
});

test('a clock put forward at boot to the last saved time: a guess, not set; a computer behind it is refused', async (t) => {
  const step = stepper(t);
  // The board was off overnight: ruji-clock put its clock forward to 18:00 yesterday (WIB) and
  // left its mark. Simulated: the clock reads that time; the mark is a temporary file.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ruji-clock-mark-'));
  const mark = path.join(dir, 'ruji-clock.restored');
  fs.writeFileSync(mark, '1');
  const guess = Date.UTC(2026, 11, 6, 11, 0, 0); // 2026-12-06 18:00 WIB
  const { server, page } = await proctorOn(false,
    ['--wall-clock-at', String(guess / 1000), '--clock-guess-mark', mark],
    /Jam papan sekarang: 2026-12-06 18:00:\d\d WIB/);

  await step('a time before the guess is refused: this computer is behind', async () => {
    await page.fill('#clock-local', '2026-12-06T15:00');
    await submit(page, '#clock-form button[type=submit]');
    assert.equal(here(page), '/proctor?e=clock_before_known');
    assert.match(await text(page, 'p.error'), /jam komputer ini tertinggal/);
    for (const [width, height] of [[1366, 768], [1024, 600]]) {
      await page.setViewportSize({ width, height });
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= width, `${wide} px wide at ${width}`);
      await screenshot(page, `proctor-clock-behind-${width}.png`, { fullPage: false });
    }
    assert.ok(fs.existsSync(mark), 'still a guess');
  });

  await step('the right time sets it; the attention clears and the mark is gone', async () => {
    await page.fill('#clock-local', '2026-12-07T07:05');
    await submit(page, '#clock-form button[type=submit]');
    assert.equal(here(page), '/proctor?ok=1');
    await attentionGone(page, server.url);
    assert.ok(!fs.existsSync(mark), 'a restart in this boot does not doubt it again');
  });
  fs.rmSync(dir, { recursive: true, force: true });
});

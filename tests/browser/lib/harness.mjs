// Shared helpers for the browser tests: a ruji server of our own on a free loopback port with a
// fresh data directory, a headless Debian Chromium driven by playwright-core (never a downloaded
// browser), and small polling assertions (playwright-core has no `expect`).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..', '..');
export const RUJI_BIN = process.env.RUJI_BIN
  ? path.resolve(REPO, process.env.RUJI_BIN)
  : path.join(REPO, 'target', 'debug', 'ruji');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SHOTS = process.env.RUJI_SHOTS || '/tmp/ruji-shots';

/** The demo's logins (printed by `ruji serve`; kept here so a test can name its user). */
export const DEMO = {
  1: { username: 'DEMO001', password: 'mawar01', dob: '2011-01-03', name: 'Adi Nugroho' },
  2: { username: 'DEMO002', password: 'melati02', dob: '2011-02-04', name: 'Siti Nurhaliza' },
  3: { username: 'DEMO003', password: 'kenanga03', dob: '2011-03-05', name: 'Budi Santoso' },
  4: { username: 'DEMO004', password: 'anggrek04', dob: '2011-04-06', name: 'Dewi Lestari' },
  5: { username: 'DEMO005', password: 'kamboja05', dob: '2011-05-07', name: 'Eko Prasetyo' },
};

/** `2011-01-03` → `03-01-2011`, the way the confirmation form asks for it. */
export function dmy(iso) {
  const [y, m, d] = iso.split('-');
  return `${d}-${m}-${y}`;
}

// ---------------------------------------------------------------------------------------------
// The server.

/**
 * Starts `ruji serve` on 127.0.0.1 with an OS-chosen port and a fresh data directory, and reads
 * its banner. Resolves to {url, port, setupCode, logins, stdout(), stop()}.
 */
export async function startServer({ openSession, token, args: extra = [] } = {}) {
  assert.ok(fs.existsSync(RUJI_BIN), `ruji binary not found at ${RUJI_BIN} (build it: cargo build -p ruji, or set RUJI_BIN)`);
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'ruji-browser-data-'));
  const args = ['serve', '--listen', '127.0.0.1:0', '--data', data];
  if (openSession) args.push('--open-session', openSession);
  if (token) args.push('--token', token);
  args.push(...extra);
  const proc = spawn(RUJI_BIN, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn', NO_COLOR: '1' },
  });
  if (process.env.RUJI_BROWSER_PIDS) {
    // The run script kills whatever is still listed here when it exits.
    fs.appendFileSync(process.env.RUJI_BROWSER_PIDS, `${proc.pid}\n`);
  }
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve({ code, sig })));
  const banner = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ruji did not print its banner in 20 s\nstdout:\n${out}\nstderr:\n${err}`)), 20000);
    proc.stdout.on('data', (d) => {
      out += d;
      // The banner ends with the demo logins (4 lines).
      if (/Login demo[^\n]*\n(?:[^\n]*\n){4}/.test(out)) { clearTimeout(timer); resolve(out); }
    });
    exited.then(({ code, sig }) => { clearTimeout(timer); reject(new Error(`ruji exited (${code ?? sig}) before it was ready\n${out}\n${err}`)); });
  });
  const m = banner.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
  assert.ok(m, `no address in the banner:\n${banner}`);
  const port = Number(m[1]);
  const code = banner.match(/setup code: (\d{4}-\d{4})/);
  const logins = [...banner.matchAll(/^\s+(DEMO\d+) \/ (\S+) \/ (\d{4}-\d\d-\d\d)\s+(.+)$/gm)].map((x) => ({
    username: x[1], password: x[2], dob: x[3], name: x[4].trim(),
  }));
  let stopped = false;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    data,
    setupCode: code ? code[1] : null,
    logins,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      fs.rmSync(data, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The browser.

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Belt and braces for "only 127.0.0.1": no host name resolves to anything.
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

/** Debian's Chromium, headless. Playwright gives each launch a fresh temporary profile. */
export async function launchBrowser() {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} is missing (apt-get install -y chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30000,
  });
}

/**
 * A browser context (its own cookies and storage) that talks Bahasa Indonesia by default and
 * refuses every request that is not for 127.0.0.1. `blocked` collects refused URLs.
 */
export async function newContext(browser, opts = {}) {
  const ctx = await browser.newContext({
    locale: 'id-ID',
    viewport: { width: 1280, height: 860 },
    ...opts,
  });
  ctx.blocked = [];
  ctx.pageErrors = [];
  ctx.on('page', (p) => p.on('pageerror', (e) => ctx.pageErrors.push(`${p.url()}: ${e.message}`)));
  await ctx.route((url) => url.protocol !== 'data:' && url.protocol !== 'about:' && url.hostname !== '127.0.0.1', (route) => {
    ctx.blocked.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  ctx.setDefaultTimeout(10000);
  ctx.setDefaultNavigationTimeout(15000);
  return ctx;
}

/** After a test: only 127.0.0.1 was asked for, and no page script threw. */
export function assertClean(ctx) {
  if (!ctx) return;
  assert.deepEqual(ctx.blocked, [], 'requests to hosts other than 127.0.0.1');
  assert.deepEqual(ctx.pageErrors, [], 'uncaught errors in page scripts');
}

/** Saves a screenshot (full page unless told) under SHOTS and returns its path. */
export async function screenshot(page, name, { fullPage = true } = {}) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const file = path.join(SHOTS, name);
  await page.screenshot({ path: file, fullPage });
  return file;
}

// ---------------------------------------------------------------------------------------------
// Assertions.

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export { sleep };

/** Retries `fn` (which throws on failure) until it passes or `timeout` ms have gone by. */
export async function eventually(fn, { timeout = 8000, interval = 100 } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > end) throw e;
      await sleep(interval);
    }
  }
}

/** Rendered text (innerText) of a selector, whitespace collapsed ('' when absent). */
export async function text(page, selector) {
  const el = await page.$(selector);
  return el ? (await el.innerText()).replace(/\s+/g, ' ').trim() : '';
}

/** Waits until the text of `selector` contains `want`. */
export async function waitText(page, selector, want, timeout = 8000) {
  return eventually(async () => {
    const t = await text(page, selector);
    assert.ok(t.includes(want), `${selector}: expected ${JSON.stringify(want)} in ${JSON.stringify(t)}`);
    return t;
  }, { timeout });
}

/** The class attribute of the n-th navigation grid cell (1-based). */
export async function cellClass(page, n) {
  return page.$eval(`.navgrid .cell:nth-child(${n})`, (e) => e.className);
}

/** Path (with query) of the page's current URL. */
export function here(page) {
  const u = new URL(page.url());
  return u.pathname + u.search;
}

/**
 * Runs steps in order as subtests; after a failure the remaining ones are skipped. A step with
 * `{ todo: 'why' }` checks a known server bug: node reports it as TODO, it does not fail the run,
 * and a failure there does not skip the steps after it.
 */
export function stepper(t) {
  let broken = null;
  return async (name, fn, opts = {}) => t.test(name, opts, async (st) => {
    if (broken) { st.skip(`an earlier step failed (${broken})`); return; }
    try {
      await fn(st);
    } catch (e) {
      if (!opts.todo) broken = name;
      throw e;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Proctor steps used by several tests.

/** The first proctor setup on a fresh server, with the code from its console; ends on the
 * dashboard. */
export async function setupProctor(page, server, password) {
  await page.goto(server.url + '/proctor');
  await page.fill('#code', server.setupCode);
  await page.fill('#password', password);
  await page.fill('#password2', password);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.equal(here(page), '/proctor');
}

// ---------------------------------------------------------------------------------------------
// Participant steps used by several tests.

/** Logs in on the login page; ends on the page the server sends to. */
export async function login(page, base, user) {
  if (!page.url().startsWith(base) || !/^\/(\?.*)?$/.test(here(page))) await page.goto(base + '/');
  await page.fill('#username', user.username);
  await page.fill('#password', user.password);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type=submit]')]);
}

/** Fills the confirmation form and presses Mulai; ends on the next page. */
export async function confirm(page, user, token, { name = user.name, dob = dmy(user.dob) } = {}) {
  await page.fill('#name', name);
  if (await page.$('#birth_date')) await page.fill('#birth_date', dob);
  await page.fill('#token', token);
  await Promise.all([page.waitForNavigation(), page.click('form[action="/confirm"] button[type=submit]')]);
}

/** The participant's answer to item n of the current phase, read from the JSON API. */
export async function serverAnswer(ctx, base, n) {
  const r = await ctx.request.get(`${base}/api/v1/items/${n}`, { headers: { Accept: 'application/json' } });
  assert.equal(r.status(), 200, `GET /api/v1/items/${n}: ${r.status()} ${await r.text()}`);
  const j = await r.json();
  return j.answer;
}

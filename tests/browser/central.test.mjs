// The package page with a central server: `ruji central` (plain HTTP on 127.0.0.1, which the
// board accepts only for loopback) hands out the example package, whose session 1 is long past
// and session 2 in 2099. The proctor presses "Ambil kunci dari server pusat": session 2 is
// refused with the time its key is given, nothing opens; session 1 opens, and its button goes.
// The same button works without JavaScript (a plain form).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertClean, startServer, launchBrowser, newContext, text, here, stepper, REPO, RUJI_BIN } from './lib/harness.mjs';

const PASSWORD = 'pengawas-ruang-9';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ruji-central-'));
let central;
let server;
let browser;
let ctx;
let nojs;
let page;

// Starts `ruji central` and resolves with its port once it listens.
function startCentral(pkgDir) {
  const proc = spawn(RUJI_BIN, ['central', '--key', path.join(work, 'dinas.key'), '--packages', pkgDir,
    '--listen', '127.0.0.1:0', '--plain-http', '--any-board'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'info', NO_COLOR: '1' },
  });
  if (process.env.RUJI_BROWSER_PIDS) fs.appendFileSync(process.env.RUJI_BROWSER_PIDS, `${proc.pid}\n`);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ruji central did not start:\n${out}`)), 20000);
    const read = (d) => {
      out += d;
      const m = out.match(/ruji central listening[^\n]*http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) { clearTimeout(timer); resolve({ proc, port: Number(m[1]), log: () => out }); }
    };
    proc.stdout.on('data', read);
    proc.stderr.on('data', read);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`ruji central exited ${code}:\n${out}`)); });
  });
}

before(async () => {
  const ruji = (...a) => execFileSync(RUJI_BIN, a, { cwd: work, encoding: 'utf8' });
  ruji('keygen', '--out', 'dinas.key');
  const folder = path.join(work, 'contoh');
  fs.cpSync(path.join(REPO, 'firmware/import/tests/fixtures/native/contoh'), folder, { recursive: true });
  const toml = fs.readFileSync(path.join(folder, 'paket.toml'), 'utf8')
    .replace('day = "2026-12-01"', 'day = "2000-01-03"')
    .replace('day = "2026-12-01"', 'day = "2099-01-01"');
  fs.writeFileSync(path.join(folder, 'paket.toml'), toml);
  fs.mkdirSync(path.join(work, 'paket'));
  ruji('pack', folder, '--key', 'dinas.key', '-o', path.join(work, 'paket', 'ujian.rujipkg'));
  central = await startCentral(path.join(work, 'paket'));
  const cfg = path.join(work, 'ruji.toml');
  fs.writeFileSync(cfg, `[central]\nurl = "http://127.0.0.1:${central.port}"\n`);
  const pub = fs.readFileSync(path.join(work, 'dinas.key.pub'), 'utf8').trim();
  [server, browser] = await Promise.all([
    startServer({ args: ['--trust-issuer', pub, '--config', cfg] }),
    launchBrowser(),
  ]);
  ctx = await newContext(browser);
  page = await ctx.newPage();
});

after(async () => {
  for (const c of [ctx, nojs]) assertClean(c);
  await browser?.close();
  await server?.stop();
  central?.proc.kill();
  fs.rmSync(work, { recursive: true, force: true });
});

const button = (p, name) => p.locator('form.central-row button').filter({ hasText: name });

test('session keys from the central server', async (t) => {
  const step = stepper(t);

  await step('the proctor imports the package; each sealed session has a central-server button', async () => {
    await page.goto(server.url + '/proctor');
    await page.fill('#code', server.setupCode);
    await page.fill('#password', PASSWORD);
    await page.fill('#password2', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await page.goto(server.url + '/proctor/package');
    await page.setInputFiles('#pkg-upload input[type=file]', path.join(work, 'paket', 'ujian.rujipkg'));
    await Promise.all([page.waitForURL('**/proctor/package?ok=imported'), page.click('#pkg-upload button[type=submit]')]);
    const body = await text(page, '#package-page');
    assert.match(body, new RegExp(`http://127\\.0\\.0\\.1:${central.port}`));
    assert.equal(await button(page, 'Hari 1 Sesi 1').count(), 1);
    assert.equal(await button(page, 'Hari 1 Sesi 2').count(), 1);
  });

  await step('session 2 (in 2099) is refused with the time its key is given; nothing opens', async () => {
    await Promise.all([page.waitForNavigation(), button(page, 'Hari 1 Sesi 2').click()]);
    const err = await text(page, 'div.error');
    assert.match(err, /belum memberikan kunci/);
    assert.match(err, /2098-12-31 16:00 \+07:00/);
    assert.match(err, /Tidak ada yang berubah/);
    assert.equal(((await text(page, '#package-page')).match(/Terkunci/g) || []).length, 2);
  });

  await step('without JavaScript, session 1 is released from the central server with a plain form', async () => {
    nojs = await newContext(browser, { javaScriptEnabled: false });
    await nojs.addCookies(await ctx.cookies());
    const p = await nojs.newPage();
    await p.goto(server.url + '/proctor/package');
    await Promise.all([p.waitForNavigation(), button(p, 'Hari 1 Sesi 1').click()]);
    assert.equal(here(p), '/proctor/package?ok=central');
    assert.match(await text(p, 'p.ok'), /diambil dari server pusat/);
    const body = await text(p, '#package-page');
    // BIN (session 1's test) is open; IPA (session 2 only) is still sealed.
    assert.equal((body.match(/Terkunci/g) || []).length, 1);
    assert.equal(await button(p, 'Hari 1 Sesi 1').count(), 0);
    assert.equal(await button(p, 'Hari 1 Sesi 2').count(), 1);
    assert.match(central.log(), /release code given/);
  });
});

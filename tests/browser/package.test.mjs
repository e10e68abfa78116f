// The proctor's package page: a signed package made with `ruji keygen` + `ruji pack` from the
// example authoring folder is uploaded with the progress bar (JS on, through XMLHttpRequest) and
// with a plain form post (JS off); a session is released with its code typed sloppily; the sync
// report shows times in the browser's time zone; the stimulus picture loads from /a/.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertClean, startServer, launchBrowser, newContext, text, here, stepper, REPO, RUJI_BIN } from './lib/harness.mjs';

const PASSWORD = 'pengawas-ruang-9';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ruji-pkg-'));
const pkg = path.join(work, 'ujian.rujipkg');
let server;
let browser;
let ctx;
let nojs;
let page;

before(async () => {
  const ruji = (...a) => execFileSync(RUJI_BIN, a, { cwd: work, encoding: 'utf8' });
  ruji('keygen', '--out', 'sekolah.key');
  ruji('pack', path.join(REPO, 'firmware/import/tests/fixtures/native/contoh'), '--key', 'sekolah.key', '-o', pkg);
  const pub = fs.readFileSync(path.join(work, 'sekolah.key.pub'), 'utf8').trim();
  [server, browser] = await Promise.all([startServer({ args: ['--trust-issuer', pub] }), launchBrowser()]);
  ctx = await newContext(browser);
  page = await ctx.newPage();
});

after(async () => {
  for (const c of [ctx, nojs]) assertClean(c);
  await browser?.close();
  await server?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test('package page', async (t) => {
  const step = stepper(t);
  const codes = Object.fromEntries(
    execFileSync(RUJI_BIN, ['release-code', pkg, '--key', path.join(work, 'sekolah.key')], { encoding: 'utf8' })
      .trim().split('\n').map((l) => l.split('\t').slice(0, 2)),
  );

  await step('the proctor sets the password and opens the package page from the dashboard', async () => {
    await page.goto(server.url + '/proctor');
    await page.fill('#code', server.setupCode);
    await page.fill('#password', PASSWORD);
    await page.fill('#password2', PASSWORD);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    await Promise.all([page.waitForNavigation(), page.click('a[href="/proctor/package"]')]);
    assert.equal(await text(page, 'h1'), 'Paket Soal');
  });

  await step('an upload with JS goes through XMLHttpRequest with a progress bar, then shows the sealed tests', async () => {
    const xhr = [];
    page.on('request', (r) => { if (r.url().endsWith('/proctor/package/upload')) xhr.push(r.resourceType()); });
    await page.setInputFiles('#pkg-upload input[type=file]', pkg);
    await Promise.all([page.waitForURL('**/proctor/package?ok=imported'), page.click('#pkg-upload button[type=submit]')]);
    assert.deepEqual(xhr, ['xhr']);
    assert.match(await text(page, 'p.ok'), /^Paket diimpor/);
    const body = await text(page, '#package-page');
    assert.match(body, /Penilaian Akhir Semester Ganjil Kelas IX/);
    assert.equal((body.match(/Terkunci/g) || []).length, 2);
  });

  await step('a typo in the release code is caught and nothing opens', async () => {
    const form = page.locator('form.release-row').filter({ hasText: 'Hari 1 Sesi 1' });
    const bad = codes.S1.slice(0, 3) + (codes.S1[3] === 'X' ? 'Y' : 'X') + codes.S1.slice(4);
    await form.locator('input[name=code]').fill(bad);
    await Promise.all([page.waitForNavigation(), form.locator('button').click()]);
    assert.match(await text(page, 'div.error'), /salah ketik/);
    assert.match(await text(page, 'div.error'), /Tidak ada yang berubah/);
  });

  await step('the right code, typed in lower case with spaces, releases session 1', async () => {
    const form = page.locator('form.release-row').filter({ hasText: 'Hari 1 Sesi 1' });
    await form.locator('input[name=code]').fill(codes.S1.toLowerCase().replace(/-/g, ' '));
    await Promise.all([page.waitForNavigation(), form.locator('button').click()]);
    assert.equal(here(page), '/proctor/package?ok=released');
    const body = await text(page, '#package-page');
    assert.equal((body.match(/Terkunci/g) || []).length, 1);
  });

  await step('the sync report shows the import and release times in the board\'s zone', async () => {
    await Promise.all([page.waitForNavigation(), page.click('a[href="/proctor/package/report"]')]);
    assert.equal(await text(page, 'h1'), 'Berita Acara Sinkronisasi');
    const body = await text(page, 'body');
    assert.match(body, /Waktu impor\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WIB/);
    assert.ok(await page.$('a[href="/proctor/package/report.pdf"]'), 'a PDF to download');
  });

  await step('the released stimulus picture is served from /a/ with a year of caching', async () => {
    const res = await page.request.get(server.url + '/proctor/package/report.json');
    const report = await res.json();
    assert.equal(report.tests.find((x) => x.id === 'BIN').sealed, false);
    const assets = fs.readdirSync(path.join(server.data, 'assets'));
    assert.equal(assets.length, 1);
    const img = await page.request.get(server.url + '/a/' + assets[0]);
    assert.equal(img.status(), 200);
    assert.match(img.headers()['cache-control'], /immutable/);
  });

  await step('without JS the same upload is a plain form post', async () => {
    nojs = await newContext(browser, { javaScriptEnabled: false });
    await nojs.addCookies(await ctx.cookies());
    const p = await nojs.newPage();
    await p.goto(server.url + '/proctor/package');
    await p.setInputFiles('#pkg-upload input[type=file]', pkg);
    await Promise.all([p.waitForNavigation(), p.click('#pkg-upload button[type=submit]')]);
    assert.equal(here(p), '/proctor/package?ok=imported');
    // Importing the same package again keeps session 1 released.
    const body = await text(p, '#package-page');
    assert.equal((body.match(/Terkunci/g) || []).length, 1);
  });
});

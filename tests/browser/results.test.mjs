// The proctor's results page ("Hasil & unggah") and the next-day gate, with a central server
// that is down at first. The example package has its two sessions on two days (S1 on
// 2000-01-03, S2 on 2000-01-04). A participant takes S1, the proctor ends the test and closes
// the session: the board's upload fails (nothing listens on the central server's port), the
// page says why, and S2 (the next day) cannot be opened, its row says whose receipt it waits
// for. The results are saved to a USB stick (a folder under --usb-dir: no helper, so the page
// asks to eject the stick). Then `ruji central --results` starts on that port, "Unggah
// sekarang" uploads at once, the row turns "diterima" and S2 can be opened. The teachers'
// report prints (HTML → A4 PDF) and downloads (XLSX); the page in English.
// Screenshots (RUJI_SHOTS): results-*.png, dashboard-*.png, report-a4.pdf (+ report-a4-N.png).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  assertClean, startServer, launchBrowser, newContext, login, confirm, text, waitText, here, stepper,
  eventually, screenshot, REPO, RUJI_BIN, SHOTS,
} from './lib/harness.mjs';

const PASSWORD = 'pengawas-ruang-8';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ruji-results-'));
const pkg = path.join(work, 'paket', 'ujian.rujipkg');
const stick = path.join(work, 'media', 'FLASHDISK');
// peserta.csv of the example folder: 12-05-2011 is day-month-year.
const ani = { username: 'IX-A-01', password: 'TKJ7MR2Q', name: 'Ani Lestari', dob: '2011-05-12' };
const SIZES = [[1366, 768], [1024, 600]];
let centralPort;
let central;
let server;
let browser;
let pctx; // the proctor
let qctx; // the participant
let ectx; // the proctor again, in English
let proctor;
let student;

/** A loopback port nothing listens on (asked of the OS, then let go). */
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** Starts `ruji central --results` on 127.0.0.1:port and resolves once it listens. */
function startCentral(port) {
  const proc = spawn(RUJI_BIN, ['central', '--key', path.join(work, 'dinas.key'), '--packages', path.dirname(pkg),
    '--listen', `127.0.0.1:${port}`, '--plain-http', '--any-board', '--results', path.join(work, 'collected')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: 'info', NO_COLOR: '1' },
  });
  if (process.env.RUJI_BROWSER_PIDS) fs.appendFileSync(process.env.RUJI_BROWSER_PIDS, `${proc.pid}\n`);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ruji central did not start:\n${out}`)), 20000);
    const read = (d) => {
      out += d;
      if (/ruji central listening/.test(out)) { clearTimeout(timer); resolve({ proc, log: () => out }); }
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
  // Session 1 on one day, session 2 on the next (named so).
  const toml = fs.readFileSync(path.join(folder, 'paket.toml'), 'utf8')
    .replace('day = "2026-12-01"', 'day = "2000-01-03"')
    .replace('name = "Hari 1 Sesi 2"\nday = "2026-12-01"\nstart = "10:00"', 'name = "Hari 2 Sesi 1"\nday = "2000-01-04"\nstart = "07:30"');
  assert.match(toml, /day = "2000-01-04"/, 'paket.toml of the example changed: fix the rewrite');
  fs.writeFileSync(path.join(folder, 'paket.toml'), toml);
  fs.mkdirSync(path.dirname(pkg));
  ruji('pack', folder, '--key', 'dinas.key', '-o', pkg);
  fs.mkdirSync(stick, { recursive: true });
  centralPort = await freePort();
  const cfg = path.join(work, 'ruji.toml');
  fs.writeFileSync(cfg, `[central]\nurl = "http://127.0.0.1:${centralPort}"\n`);
  const pub = fs.readFileSync(path.join(work, 'dinas.key.pub'), 'utf8').trim();
  [server, browser] = await Promise.all([
    // --panel sim: the dashboard shows the board's attention notices, as on a board.
    startServer({ args: ['--trust-issuer', pub, '--config', cfg, '--usb-dir', path.join(work, 'media'), '--panel', 'sim'] }),
    launchBrowser(),
  ]);
  pctx = await newContext(browser);
  qctx = await newContext(browser);
  proctor = await pctx.newPage();
  student = await qctx.newPage();
});

after(async () => {
  for (const c of [pctx, qctx, ectx]) assertClean(c);
  await browser?.close();
  await server?.stop();
  central?.proc.kill();
  fs.rmSync(work, { recursive: true, force: true });
});

/** Full-page screenshots of `page` at each size, named `${name}-${width}.png`. */
async function shots(page, name) {
  const files = [];
  for (const [width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    files.push(await screenshot(page, `${name}-${width}.png`));
  }
  await page.setViewportSize({ width: 1280, height: 860 });
  return files;
}

/** The row of session `id` on the results page, after a reload. */
async function bundleRow(id) {
  await proctor.goto(server.url + '/proctor/bundles');
  return proctor.locator(`tr#bundle-${id}`);
}

/** Answers the item on the page, whatever its type, and waits for the save. */
async function answerThisItem(p) {
  if (await p.$('input[name=choice]')) await p.check('input[name=choice] >> nth=0');
  else if (await p.$('input[name=choices]')) await p.check('input[name=choices] >> nth=0');
  else if (await p.$('.grid-tf input[type=radio]')) await p.check('.grid-tf input[value=true] >> nth=0');
  else if (await p.$('.grid-match select')) await p.selectOption('.grid-match select >> nth=0', { index: 1 });
  else await p.fill('#text', 'Jawaban Ani');
  await waitText(p, '#save-state', 'Jawaban tersimpan');
}

const sessionRow = (name) => proctor.locator('table.data tr', { hasText: name });

test('results page and the next-day gate', async (t) => {
  const step = stepper(t);
  const codes = Object.fromEntries(
    execFileSync(RUJI_BIN, ['release-code', pkg, '--key', path.join(work, 'dinas.key')], { encoding: 'utf8' })
      .trim().split('\n').map((l) => l.split('\t').slice(0, 2)),
  );
  let token;

  await step('the proctor sets up, imports the package and releases both sessions with their codes', async () => {
    assert.ok(codes.S1 && codes.S2, `release codes: ${JSON.stringify(codes)}`);
    await proctor.goto(server.url + '/proctor');
    await proctor.fill('#code', server.setupCode);
    await proctor.fill('#password', PASSWORD);
    await proctor.fill('#password2', PASSWORD);
    await Promise.all([proctor.waitForNavigation(), proctor.click('button[type=submit]')]);
    await proctor.goto(server.url + '/proctor/package');
    await proctor.setInputFiles('#pkg-upload input[type=file]', pkg);
    await Promise.all([proctor.waitForURL('**/proctor/package?ok=imported'), proctor.click('#pkg-upload button[type=submit]')]);
    for (const [id, name] of [['S1', 'Hari 1 Sesi 1'], ['S2', 'Hari 2 Sesi 1']]) {
      const form = proctor.locator('form.release-row').filter({ hasText: name });
      await form.locator('input[name=code]').fill(codes[id]);
      await Promise.all([proctor.waitForNavigation(), form.locator('button').click()]);
      assert.equal(here(proctor), '/proctor/package?ok=released', `releasing ${id}`);
    }
    assert.equal(((await text(proctor, '#package-page')).match(/Terkunci/g) || []).length, 0);
  });

  await step('before any results, the results page has no report and nothing to save', async () => {
    await proctor.goto(server.url + '/proctor');
    await Promise.all([proctor.waitForNavigation(), proctor.click('a[href="/proctor/bundles"] >> nth=0')]);
    assert.equal(await text(proctor, 'h1'), 'Hasil & unggah');
    assert.match(await text(proctor, '#results-page'), new RegExp(`http://127\\.0\\.0\\.1:${centralPort}`));
    assert.equal(await proctor.$('#reports-all'), null);
    assert.match(await text(proctor, '#results-page'), /Belum ada berkas hasil untuk disimpan/);
    // Before S1 has results, S2 is not held back.
    await proctor.goto(server.url + '/proctor');
    assert.equal(await proctor.$('#awaiting-S2'), null);
  });

  await step('S1 opens; Ani logs in, confirms with the token and answers an item', async () => {
    await proctor.goto(server.url + '/proctor');
    await Promise.all([proctor.waitForNavigation(), sessionRow('Hari 1 Sesi 1').locator('button', { hasText: 'Buka sesi' }).click()]);
    assert.equal(here(proctor), '/proctor?ok=1');
    token = await text(proctor, '#token');
    assert.match(token, /^[A-Z0-9]{6}$/);
    await login(student, server.url, ani);
    assert.equal(here(student), '/confirm');
    await confirm(student, ani, token);
    assert.equal(here(student), '/exam/1');
    // The one practice item, then the test.
    await Promise.all([student.waitForURL(/\/exam\/1$/), student.click('button[name=go][value=practice_end]')]);
    await eventually(async () => assert.equal(await student.$('.itemno .badge'), null, 'still in practice'));
    await answerThisItem(student);
    await eventually(async () => assert.equal(await text(proctor, '#row-IX-A-01 .c-answered'), '1/6'), { timeout: 9000, interval: 250 });
  });

  await step('the proctor ends Ani\'s test with a reason and closes S1', async () => {
    await proctor.click('#row-IX-A-01 details.row-actions summary');
    const form = proctor.locator('#row-IX-A-01 form[action$="/finish"]');
    await form.locator('input[name=reason]').fill('Waktu sesi habis');
    await Promise.all([proctor.waitForNavigation(), form.locator('button').click()]);
    assert.equal(here(proctor), '/proctor?ok=1');
    assert.equal(await text(proctor, '#row-IX-A-01 .c-state'), 'Selesai');
    await Promise.all([proctor.waitForNavigation(), sessionRow('Hari 1 Sesi 1').locator('button', { hasText: 'Tutup sesi' }).click()]);
    assert.equal(here(proctor), '/proctor?ok=1');
  });

  await step('with the central server down, S1 waits on the results page with the reason', async () => {
    const row = await eventually(async () => {
      const r = await bundleRow('S1');
      assert.match(await r.getAttribute('class'), /\brs-wait\b/);
      assert.match(await text(proctor, 'tr#bundle-S1 span.rs-problem'), /^Server pusat tidak dapat dihubungi/);
      return r;
    }, { timeout: 15000, interval: 500 });
    assert.match(await text(proctor, 'tr#bundle-S1 .c-central'), /menunggu koneksi ke server pusat \(\d+×\)/);
    assert.match(await row.innerText(), /Unduh berkas hasil/);
    assert.equal(await proctor.locator('tr#bundle-S2').getAttribute('class'), '');
    assert.ok(await proctor.$('#reports-all'), 'the reports of all sessions');
    assert.ok(await proctor.$('#stick-FLASHDISK'), 'the stick is listed');
    await shots(proctor, 'results-waiting');
  });

  await step('the dashboard holds S2 (the next day) back until S1\'s receipt', async () => {
    // The dashboard reloads itself once when the attention it was drawn with changes (S1's
    // results not uploaded, raised within the LED's 2 s round): read it once it stands still.
    await eventually(async () => {
      await proctor.goto(server.url + '/proctor');
      assert.equal(await text(proctor, '#awaiting-S2'), 'Menunggu tanda terima hasil: Hari 1 Sesi 1');
    }, { timeout: 15000, interval: 500 });
    const s2 = sessionRow('Hari 2 Sesi 1');
    assert.equal(await s2.locator('form[action$="/open"]').count(), 0, 'no open button for S2');
    assert.equal(await s2.locator('a[href="/proctor/bundles"]').count(), 1, 'a link to the results page');
    // And the server refuses it when asked directly.
    const csrf = await proctor.getAttribute('#dashboard', 'data-csrf');
    const r = await pctx.request.post(`${server.url}/proctor/sessions/S2/open`, { form: { csrf }, maxRedirects: 0 });
    assert.equal(r.status(), 303);
    assert.match(r.headers().location, /^\/proctor\?e=/);
    // The board's attention (the LED's, read every few seconds) names the missing upload.
    await eventually(async () => {
      await proctor.goto(server.url + '/proctor');
      assert.match(await text(proctor, '#att-results_not_uploaded'), /^Hasil belum diunggah/, await text(proctor, '#dashboard'));
    }, { timeout: 15000, interval: 1000 });
    await shots(proctor, 'dashboard-awaiting');
  });

  await step('"Simpan semua berkas hasil ke sini" writes S1\'s file to the stick', async () => {
    await proctor.goto(server.url + '/proctor/bundles');
    await Promise.all([proctor.waitForNavigation(), proctor.locator('#stick-FLASHDISK button', { hasText: 'Simpan semua berkas hasil ke sini' }).click()]);
    assert.equal(here(proctor), '/proctor/bundles?ok=usb_written&n=1');
    const ok = await text(proctor, 'p.ok');
    assert.match(ok, /^Berkas hasil tersimpan di flashdisk \(folder RUJI-HASIL\), jumlah berkas: 1\. /);
    assert.match(ok, /Lepaskan \(eject\) flashdisk/);
    const files = fs.readdirSync(path.join(stick, 'RUJI-HASIL'));
    assert.equal(files.filter((f) => f.endsWith('.rujihasil')).length, 1, `on the stick: ${files}`);
    assert.deepEqual(files.filter((f) => !f.endsWith('.rujihasil')), [], 'leftovers on the stick');
    await shots(proctor, 'results-usb-saved');
  });

  await step('the central server comes up; "Unggah sekarang" uploads and the row turns "diterima"', async () => {
    central = await startCentral(centralPort);
    await proctor.goto(server.url + '/proctor/bundles');
    await Promise.all([proctor.waitForNavigation(), proctor.click('form[action="/proctor/bundles/upload-now"] button')]);
    assert.equal(here(proctor), '/proctor/bundles?ok=upload');
    assert.match(await text(proctor, 'p.ok'), /Papan mencoba mengunggah sekarang/);
    await eventually(async () => {
      const r = await bundleRow('S1');
      assert.match(await r.getAttribute('class'), /\brs-ok\b/, await text(proctor, 'tr#bundle-S1'));
    }, { timeout: 20000, interval: 500 });
    assert.match(await text(proctor, 'tr#bundle-S1 .c-central'), /^diterima/);
    assert.equal(await proctor.$('tr#bundle-S1 span.rs-problem'), null);
    // The central server keeps the file.
    const kept = fs.readdirSync(path.join(work, 'collected'), { recursive: true }).filter((f) => String(f).endsWith('.rujihasil'));
    assert.equal(kept.length, 1, `collected: ${kept}`);
    await shots(proctor, 'results-received');
  });

  await step('with the receipt in, S2 can be opened on the dashboard', async () => {
    await proctor.goto(server.url + '/proctor');
    assert.equal(await proctor.$('#awaiting-S2'), null);
    await eventually(async () => {
      await proctor.goto(server.url + '/proctor');
      assert.equal(await proctor.$('#att-results_not_uploaded'), null, 'the attention is gone');
    }, { timeout: 15000, interval: 1000 });
    const s2 = sessionRow('Hari 2 Sesi 1');
    assert.equal(await s2.locator('form[action$="/open"] button', { hasText: 'Buka sesi' }).count(), 1);
    await shots(proctor, 'dashboard-received');
  });

  await step('"Cetak (HTML)" for all sessions opens the report, which prints to A4', async (st) => {
    await proctor.goto(server.url + '/proctor/bundles');
    const [rep] = await Promise.all([pctx.waitForEvent('page'), proctor.locator('#reports-all a', { hasText: 'Cetak (HTML)' }).click()]);
    await rep.waitForLoadState();
    const body = await rep.innerText('body');
    assert.match(body, /Analisis butir/);
    assert.match(body, /Ani Lestari/);
    await screenshot(rep, 'report-html.png');
    fs.mkdirSync(SHOTS, { recursive: true });
    const pdf = path.join(SHOTS, 'report-a4.pdf');
    await rep.pdf({ path: pdf, format: 'A4' });
    assert.equal(fs.readFileSync(pdf).subarray(0, 5).toString(), '%PDF-');
    await rep.close();
    try {
      execFileSync('pdftoppm', ['-png', '-r', '60', pdf, path.join(SHOTS, 'report-a4')]);
    } catch (e) {
      // The PNG pages are for a person to look at; the PDF itself was checked above.
      st.diagnostic(`pdftoppm: ${e.message} (apt-get install -y poppler-utils)`);
    }
  });

  await step('the XLSX report downloads as a zip (starts with "PK")', async () => {
    const [dl] = await Promise.all([proctor.waitForEvent('download'), proctor.locator('#reports-all a', { hasText: 'XLSX' }).click()]);
    const file = await dl.path();
    assert.equal(fs.readFileSync(file).subarray(0, 2).toString(), 'PK');
    assert.match(dl.suggestedFilename(), /\.xlsx$/);
  });

  await step('in English (Accept-Language), the results page is in English', async () => {
    ectx = await newContext(browser, { locale: 'en-US' });
    await ectx.addCookies(await pctx.cookies());
    const p = await ectx.newPage();
    await p.goto(server.url + '/proctor/bundles');
    assert.equal(await text(p, 'h1'), 'Results & upload');
    assert.match(await text(p, 'tr#bundle-S1 .c-central'), /^received/);
    await shots(p, 'results-english');
  });
});

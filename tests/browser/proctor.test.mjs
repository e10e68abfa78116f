// The proctor: first-run setup with the code from the server's console, opening a session, the
// token, the live dashboard, reset login and force finish, against a participant in another
// browser context.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertClean, startServer, launchBrowser, newContext, DEMO, login, confirm, text, waitText, here, stepper,
  eventually, serverAnswer, screenshot,
} from './lib/harness.mjs';

const PASSWORD = 'pengawas-ruang-7';
const user = DEMO[4];
let server;
let browser;
let pctx; // the proctor
let qctx; // the participant
let proctor;
let student;

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  pctx = await newContext(browser);
  qctx = await newContext(browser);
  proctor = await pctx.newPage();
  student = await qctx.newPage();
  student.on('response', (r) => { if (process.env.RUJI_DEBUG) console.error('RESP', r.status(), r.request().method(), r.url(), r.headers()['location'] || ''); });
});

after(async () => {
  for (const c of [pctx, qctx]) assertClean(c);
  await browser?.close();
  await server?.stop();
});

const row = `#row-${user.username}`;
const cell = (c) => text(proctor, `${row} .${c}`);

/** Waits for the dashboard row to show `state` (live, without a reload). */
async function rowShows(state, timeout = 9000) {
  return eventually(async () => assert.equal(await cell('c-state'), state), { timeout, interval: 250 });
}

/** Marks the dashboard page so that a reload is noticed. */
async function markPage() {
  await proctor.evaluate(() => { window.__sameDocument = true; });
}
async function notReloaded() {
  assert.equal(await proctor.evaluate(() => window.__sameDocument === true), true, 'the dashboard was reloaded');
}

test('proctor dashboard', async (t) => {
  const step = stepper(t);
  let token;
  const surveyStates = [];

  await step('a fresh server asks for the setup code, which comes from its console', async () => {
    assert.match(server.setupCode ?? '', /^\d{4}-\d{4}$/, 'setup code printed on stdout');
    await proctor.goto(server.url + '/proctor');
    assert.equal(await text(proctor, 'h1'), 'Buat password proktor');
    await proctor.fill('#code', '0000-0000' === server.setupCode ? '1111-1111' : '0000-0000');
    await proctor.fill('#password', PASSWORD);
    await proctor.fill('#password2', PASSWORD);
    await Promise.all([proctor.waitForNavigation(), proctor.click('button[type=submit]')]);
    assert.equal(here(proctor), '/proctor?e=setup_code');
    assert.match(await text(proctor, 'p.error'), /^Kode penyiapan salah/);
    await proctor.fill('#code', server.setupCode);
    await proctor.fill('#password', PASSWORD);
    await proctor.fill('#password2', PASSWORD + 'x');
    await Promise.all([proctor.waitForNavigation(), proctor.click('button[type=submit]')]);
    assert.equal(here(proctor), '/proctor?e=password_repeat');
    assert.match(await text(proctor, 'p.error'), /^Kedua password tidak sama/);
  });

  await step('the code and the password twice lead to the dashboard', async () => {
    await proctor.fill('#code', server.setupCode.replace('-', ''));
    await proctor.fill('#password', PASSWORD);
    await proctor.fill('#password2', PASSWORD);
    await Promise.all([proctor.waitForNavigation(), proctor.click('button[type=submit]')]);
    assert.equal(here(proctor), '/proctor');
    assert.ok(await proctor.$('#dashboard'), 'dashboard');
    assert.match(await text(proctor, '.tokencard'), /Belum ada sesi yang dibuka/);
    assert.match(await text(proctor, '#dashboard'), /Hari 1 Sesi 1/);
    // The code is spent: setup is not offered again.
    const again = await pctx.request.post(`${server.url}/proctor/setup`, {
      form: { code: server.setupCode, password: 'zzzzzzzzzz', password2: 'zzzzzzzzzz' }, maxRedirects: 0,
    });
    assert.equal(again.status(), 303);
    assert.equal(again.headers().location, '/proctor?e=already_setup');
  });

  await step('before the session is open a participant is told to wait', async () => {
    await login(student, server.url, user);
    assert.equal(here(student), '/?e=no_open_session');
    assert.match(await text(student, 'p.error'), /^Belum ada sesi ujian yang dibuka/);
  });

  await step('"Buka sesi" shows a large 6-character token', async () => {
    const tr = proctor.locator('table.data tr', { hasText: 'Hari 1 Sesi 1' });
    await Promise.all([proctor.waitForNavigation(), tr.locator('button', { hasText: 'Buka sesi' }).click()]);
    assert.equal(here(proctor), '/proctor?ok=1');
    assert.match(await text(proctor, '.tokencard h2'), /Token · Hari 1 Sesi 1/);
    token = await text(proctor, '#token');
    assert.match(token, /^[A-Z0-9]{6}$/);
    const size = await proctor.$eval('#token', (e) => parseFloat(getComputedStyle(e).fontSize));
    assert.ok(size >= 48, `token font size ${size}px`);
    assert.match(await text(proctor, '#rotates'), /^00:1[45]:\d\d$/);
    assert.equal(await cell('c-state'), 'Belum login');
    assert.equal(await cell('c-answered'), '0/7');
    assert.equal(await text(proctor, '#c-not'), '21', '18 participants and 3 reserves');
  });

  await step('after an action the dashboard confirms it ("Berhasil")', async () => {
    assert.equal(here(proctor), '/proctor?ok=1');
    assert.equal(await text(proctor, 'p.ok'), 'Berhasil');
  });

  await step('the row follows the participant live: "Sudah login", "Latihan", "Mengerjakan" with the count', async () => {
    await markPage();
    await login(student, server.url, user);
    assert.equal(here(student), '/confirm');
    await rowShows('Sudah login');
    assert.match(await proctor.$eval(row, (e) => e.className), /st-logged_in/);
    assert.equal(await cell('c-client'), '127.0.0.1');
    assert.ok(await proctor.$(`${row} .c-online .dot.on`), 'online dot');
    await confirm(student, user, token);
    assert.equal(here(student), '/exam/1');
    await rowShows('Latihan');
    await Promise.all([student.waitForURL(/\/exam\/2$/), student.click('button[name=go][value=next]')]);
    await Promise.all([student.waitForURL(/\/exam\/1$/), student.click('button[name=go][value=practice_end]')]);
    await student.check('input[name=choice][value=B]');
    await waitText(student, '#save-state', 'Jawaban tersimpan');
    await Promise.all([student.waitForURL(/\/exam\/2$/), student.click('button[name=go][value=next]')]);
    await student.check('input[name=choice][value=A]');
    await waitText(student, '#save-state', 'Jawaban tersimpan');
    await rowShows('Mengerjakan');
    await eventually(async () => assert.equal(await cell('c-answered'), '2/7'), { timeout: 9000 });
    assert.match(await cell('c-remaining'), /^00:(19|20):\d\d$/);
    assert.equal(await text(proctor, '#c-prog'), '1');
    assert.equal(await text(proctor, '#c-not'), '20');
    await notReloaded();
    await screenshot(proctor, 'proctor-dashboard.png');
    await screenshot(proctor, 'proctor-dashboard-top.png', { fullPage: false });
  });

  await step('"Reset login" sends the participant back to the login page, keeping an unsent answer', async () => {
    await proctor.click(`${row} details.row-actions summary`);
    await Promise.all([
      proctor.waitForNavigation(),
      proctor.locator(`${row} form[action$="/reset"] button`).click(),
    ]);
    assert.equal(here(proctor), '/proctor?ok=1');
    // The participant's next request (an autosave) is refused: the page keeps the answer in
    // the browser and goes to the login page, which says why.
    await student.check('input[name=choice][value=C]');
    await student.waitForURL((u) => u.pathname === '/', { timeout: 10000 });
    assert.equal(await text(student, 'h1'), 'Selamat Datang');
    await waitText(student, '.error', 'Login Anda tidak berlaku lagi');
    const pending = JSON.parse(await student.evaluate(() => sessionStorage.getItem('ruji_pending')));
    assert.deepEqual(pending.D02?.response, { choice: 'C' });
    // The test stays open, with no computer on it: offline, until the participant logs in again.
    await eventually(async () => {
      assert.equal(await cell('c-client'), '');
      assert.ok(await proctor.$(`${row} .c-online .dot.off`), 'offline dot');
      assert.equal(await cell('c-state'), 'Offline');
    }, { timeout: 9000, interval: 250 });
  });

  await step('logging in again resumes the test with the answers intact, and sends the kept one', async () => {
    await login(student, server.url, user);
    assert.equal(here(student), '/confirm');
    assert.match(await text(student, 'p.note'), /Anda melanjutkan tes/);
    await confirm(student, user, token);
    assert.equal(here(student), '/exam/1');
    assert.equal(await student.$('.itemno .badge'), null, 'back in the test, not in practice');
    assert.equal(await student.isChecked('input[name=choice][value=B]'), true);
    await waitText(student, '#save-state', 'Jawaban tersimpan');
    assert.equal(await student.evaluate(() => sessionStorage.getItem('ruji_pending')), '{}');
    assert.deepEqual((await serverAnswer(qctx, server.url, 1)).response, { choice: 'B' });
    assert.deepEqual((await serverAnswer(qctx, server.url, 2)).response, { choice: 'C' });
    await rowShows('Mengerjakan');
    assert.equal(await cell('c-answered'), '2/7');
  });

  await step('"Paksa selesai" needs a reason and ends the running test', async () => {
    await proctor.click(`${row} details.row-actions summary`);
    const form = proctor.locator(`${row} form[action$="/finish"]`);
    // The reason is required by the form; the server refuses a blank one too.
    const blank = await pctx.request.post(`${server.url}/proctor/participants/${user.username}/finish`, {
      form: { csrf: await proctor.getAttribute('#dashboard', 'data-csrf'), reason: '   ' }, maxRedirects: 0,
    });
    assert.equal(blank.headers().location, '/proctor?e=reason_required');
    await form.locator('input[name=reason]').fill('Komputer rusak, pindah ke ujian susulan');
    await Promise.all([proctor.waitForNavigation(), form.locator('button').click()]);
    assert.equal(here(proctor), '/proctor?ok=1');
    // The audit log has it, with the reason; so do the results.
    const audit = await pctx.newPage();
    await audit.goto(server.url + '/proctor/audit');
    assert.match(await text(audit, '#events'), /DEMO004 test DEMO reason: Komputer rusak, pindah ke ujian susulan/);
    await audit.close();
    const res = await (await pctx.request.get(`${server.url}/proctor/results/H1S1.json`)).json();
    const a = res.attempts.find((x) => x.username === user.username && x.test === 'DEMO');
    assert.equal(a.state, 'finished_proctor');
    assert.equal(a.reason, 'Komputer rusak, pindah ke ujian susulan');
  });

  await step('after "Paksa selesai" the row shows "Selesai"', async () => {
    assert.equal(await cell('c-state'), 'Selesai');
  });

  await step('the participant\'s page leaves the finished test', async () => {
    // click, not check: the refused save may undo the tick before the page leaves, and check()
    // would then keep clicking (each click another refused save) instead of waiting.
    await student.click('input[name=choice][value=D]');
    await student.waitForURL((u) => u.pathname === '/done', { timeout: 10000 });
    assert.equal(await text(student, 'h1'), 'Terima kasih');
  });

  await step('the participant is told that the proctor ended the test', async () => {
    assert.match(await text(student, '.card'), /diakhiri oleh proktor/);
    await Promise.all([student.waitForNavigation(), student.click('a.btn.primary')]);
    assert.equal(await text(student, 'h1'), 'Selamat Datang');
  });

  await step('the participant logs in again for the session\'s second test (the survey)', async () => {
    await login(student, server.url, user);
    assert.match(await text(student, 'table.data'), /Survei Karakter/);
    await confirm(student, user, token);
    assert.equal(here(student), '/exam/1');
    assert.match(await text(student, '.itemno'), /Soal nomor 1 \/ 1/);
    // What the fresh page says in its first 1.5 s (see the next step).
    for (let i = 0; i < 15; i++) {
      const st = await text(student, '#save-state').catch(() => '');
      if (st) surveyStates.push(st);
      await student.waitForTimeout(100);
    }
    await rowShows('Mengerjakan');
    await eventually(async () => assert.equal(await cell('c-answered'), '0/1'), { timeout: 9000 });
  });

  await step('the survey page shows no error about an answer left over from the ended test', async () => {
    // The answer clicked after the force finish (D01) was kept in the browser and is replayed
    // here; the server refuses it as finished, and this fresh page shows that error and reloads.
    assert.deepEqual([...new Set(surveyStates)], []);
  });

  await step('on the session\'s last test, "Paksa selesai" makes the row "Selesai"', async () => {
    await student.waitForURL(/\/exam\/1$/);
    await proctor.click(`${row} details.row-actions summary`);
    const form = proctor.locator(`${row} form[action$="/finish"]`);
    await form.locator('input[name=reason]').fill('Waktu habis untuk survei');
    await Promise.all([proctor.waitForNavigation(), form.locator('button').click()]);
    assert.equal(here(proctor), '/proctor?ok=1');
    assert.equal(await cell('c-state'), 'Selesai');
    assert.match(await proctor.$eval(row, (e) => e.className), /st-finished/);
    assert.equal(await text(proctor, '#c-done'), '1');
  });

  await step('"Ganti token" shows a new token; the full-screen token page shows it too', async () => {
    const old = await text(proctor, '#token');
    await Promise.all([proctor.waitForNavigation(), proctor.click('form[action="/proctor/token/rotate"] button')]);
    const now = await text(proctor, '#token');
    assert.match(now, /^[A-Z0-9]{6}$/);
    assert.notEqual(now, old);
    const big = await pctx.newPage();
    await big.goto(server.url + '/proctor/token');
    assert.equal(await text(big, '.hugetoken'), now);
    await big.close();
  });

});

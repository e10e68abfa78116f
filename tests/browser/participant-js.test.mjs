// Participant flow with JavaScript on: login, identity + token, practice, autosave, the
// navigation grid, ragu-ragu, font size, the countdown, and finishing.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertClean, startServer, launchBrowser, newContext, DEMO, login, confirm, text, waitText, cellClass,
  here, stepper, serverAnswer, screenshot, sleep,
} from './lib/harness.mjs';

const TOKEN = 'ABCDEF';
const user = DEMO[1];
let server;
let browser;
let ctx;
let page;

before(async () => {
  [server, browser] = await Promise.all([startServer({ openSession: 'H1S1', token: TOKEN }), launchBrowser()]);
  ctx = await newContext(browser);
  page = await ctx.newPage();
});

after(async () => {
  assertClean(ctx);
  await browser?.close();
  await server?.stop();
});

/** Clicks something that makes the page PUT an answer; waits for the reply and the status text. */
async function saves(action, itemId) {
  const [resp] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'PUT' && r.url().endsWith(`/api/v1/answers/${itemId}`)),
    action(),
  ]);
  assert.equal(resp.status(), 200, `PUT ${itemId}: ${resp.status()}`);
  await waitText(page, '#save-state', 'Jawaban tersimpan');
  assert.match(await page.$eval('#save-state', (e) => e.className), /\bsaved\b/);
  return resp.request().postDataJSON();
}

/** Follows a grid button (the page's script turns the submit into a navigation). */
async function gridTo(n) {
  await Promise.all([page.waitForURL(new RegExp(`/exam/${n}$`)), page.click(`.navgrid button[value="${n}"]`)]);
}

test('participant flow with JavaScript on', async (t) => {
  const step = stepper(t);

  await step('login page, then the confirmation page shows number and name', async () => {
    await page.goto(server.url + '/');
    assert.equal(await text(page, 'h1'), 'Selamat Datang');
    assert.equal(await page.getAttribute('html', 'lang'), 'id');
    await login(page, server.url, user);
    assert.equal(here(page), '/confirm');
    assert.equal(await text(page, 'h1'), 'Konfirmasi Data Peserta');
    const table = await text(page, 'table.data');
    assert.match(table, /Nomor peserta DEMO001/);
    assert.match(table, /Nama Adi Nugroho/);
    assert.match(table, /Kelas IX-A/);
    assert.match(table, /Tes Demo Literasi dan Numerasi/);
    assert.match(table, /20 menit/);
    assert.match(await text(page, '.topbar'), /DEMO001 - Adi Nugroho/);
  });

  await step('a wrong token is refused with the Indonesian message', async () => {
    await confirm(page, user, 'XXXXXX');
    assert.equal(here(page), '/confirm?e=wrong_token');
    assert.equal(await text(page, 'p.error'),
      'Token salah atau sudah tidak berlaku. Periksa token yang diumumkan proktor.');
    assert.equal(await page.getAttribute('p.error', 'role'), 'alert');
  });

  await step('the right token opens the practice items (badge "Latihan")', async () => {
    await confirm(page, user, TOKEN);
    assert.equal(here(page), '/exam/1');
    assert.equal(await text(page, '.itemno .badge'), 'Latihan');
    assert.match(await text(page, '.itemno'), /Soal nomor 1 \/ 2/);
    assert.match(await text(page, 'p.note'), /Ini soal latihan/);
    // The practice is timed (the guide's 10 minutes): its own countdown, not the test's.
    assert.match(await text(page, '.timer'), /^Sisa waktu latihan 00:(09:[45]\d|10:00)$/);
    assert.equal(await page.getAttribute('#item-form', 'data-practice'), 'timed');
    assert.match(await text(page, 'p.note'), /tes dimulai dengan sendirinya/);
    // JavaScript is on: the <noscript> hint is not shown.
    assert.equal(await page.isVisible('noscript p'), false);
  });

  await step('practice answers save, then "Selesai latihan, mulai tes" starts the test', async () => {
    await saves(() => page.check('input[name=choice][value=B]'), 'P01');
    assert.match(await cellClass(page, 1), /\banswered\b/);
    await Promise.all([page.waitForURL(/\/exam\/2$/), page.click('button[name=go][value=next]')]);
    assert.equal(await page.getAttribute('#item-form', 'data-kind'), 'short_answer');
    await page.fill('#text', 'Bandung');
    // Leave at once: the page must flush the typed text before it posts practice_end.
    await Promise.all([
      page.waitForURL(/\/exam\/1$/),
      page.click('button[name=go][value=practice_end]'),
    ]);
    assert.equal(await page.$('.itemno .badge'), null, 'no practice badge in the test');
    assert.match(await text(page, '.itemno'), /Soal nomor 1 \/ 7/);
    assert.match(await text(page, '#timer'), /^00:(19|20):\d\d$/);
    assert.equal(await page.getAttribute('#item-form', 'data-item'), 'D01');
    assert.equal(await page.$$eval('.navgrid .cell', (c) => c.length), 7);
  });

  await step('a multiple-choice answer autosaves: "Jawaban tersimpan" and the cell is "answered"', async () => {
    assert.match(await cellClass(page, 1), /\bunanswered\b/);
    // The stimulus is shown with the item.
    assert.equal(await text(page, '.stimulus h3'), 'Candi Borobudur');
    const body = await saves(() => page.click('label.option:has(input[value=B])'), 'D01');
    assert.deepEqual(body.response, { choice: 'B' });
    assert.equal(body.doubtful, false);
    assert.ok(body.rev >= 1);
    const cls = await cellClass(page, 1);
    assert.match(cls, /\banswered\b/);
    assert.match(cls, /\bcurrent\b/);
    assert.deepEqual((await serverAnswer(ctx, server.url, 1)).response, { choice: 'B' });
  });

  await step('"Ragu-ragu" marks the cell "doubtful"', async () => {
    const body = await saves(() => page.check('label.doubt input[name=doubtful]'), 'D01');
    assert.equal(body.doubtful, true);
    assert.deepEqual(body.response, { choice: 'B' });
    assert.match(await cellClass(page, 1), /\bdoubtful\b/);
    await screenshot(page, 'item-page.png');
    await page.reload();
    assert.match(await cellClass(page, 1), /\bdoubtful\b/, 'doubtful after a reload too');
    assert.equal(await page.isChecked('input[name=doubtful]'), true);
    assert.equal(await page.isChecked('input[name=choice][value=B]'), true);
  });

  await step('font-size buttons change the body class without a reload', async () => {
    assert.match(await page.getAttribute('body', 'class'), /\bfs2\b/);
    await page.evaluate(() => { window.__noReload = 'still here'; });
    const before = await page.$eval('.question', (e) => parseFloat(getComputedStyle(e).fontSize));
    await page.click('.fonts .f3');
    assert.match(await page.getAttribute('body', 'class'), /\bfs3\b/);
    assert.doesNotMatch(await page.getAttribute('body', 'class'), /\bfs2\b/);
    const bigger = await page.$eval('.question', (e) => parseFloat(getComputedStyle(e).fontSize));
    assert.ok(bigger > before, `font size ${before} -> ${bigger}`);
    await page.click('.fonts .f1');
    assert.match(await page.getAttribute('body', 'class'), /\bfs1\b/);
    assert.equal(await page.evaluate(() => window.__noReload), 'still here', 'the page was reloaded');
    assert.equal(here(page), '/exam/1');
    // The choice is remembered for the next pages (cookie read by the server).
    await page.click('.fonts .f3');
    await page.reload();
    assert.match(await page.getAttribute('body', 'class'), /\bfs3\b/);
  });

  await step('the countdown runs', async () => {
    const t0 = await text(page, '#timer');
    await sleep(2100);
    const t1 = await text(page, '#timer');
    assert.match(t1, /^00:(19|20):\d\d$/);
    assert.notEqual(t1, t0);
    const secs = (s) => s.split(':').reduce((a, b) => a * 60 + Number(b), 0);
    const d = secs(t0) - secs(t1);
    assert.ok(d >= 1 && d <= 4, `countdown went from ${t0} to ${t1}`);
  });

  await step('the other item types autosave through the grid', async () => {
    await gridTo(3);
    assert.equal(await page.getAttribute('#item-form', 'data-kind'), 'multiple_response');
    await saves(() => page.check('input[name=choices][value=A]'), 'D03');
    const mr = await saves(() => page.check('input[name=choices][value=D]'), 'D03');
    assert.deepEqual([...mr.response.choices].sort(), ['A', 'D']);

    await gridTo(4);
    assert.equal(await page.getAttribute('#item-form', 'data-kind'), 'true_false');
    await saves(() => page.check('input[name=tf0][value=true]'), 'D04');
    const tf = await saves(() => page.check('input[name=tf1][value=false]'), 'D04');
    assert.deepEqual(tf.response, { true_false: [true, false, null] });

    await gridTo(5);
    assert.equal(await page.getAttribute('#item-form', 'data-kind'), 'matching');
    await saves(() => page.selectOption('select[name=m_1]', 'B'), 'D05');
    const mt = await saves(() => page.selectOption('select[name=m_2]', 'C'), 'D05');
    assert.deepEqual(mt.response, { matching: [['1', 'B'], ['2', 'C']] });

    await gridTo(2);
    await saves(() => page.check('input[name=choice][value=B]'), 'D02');

    // Back on 3: what was saved is shown again.
    await gridTo(3);
    assert.equal(await page.isChecked('input[name=choices][value=A]'), true);
    assert.equal(await page.isChecked('input[name=choices][value=D]'), true);
    assert.equal(await page.isChecked('input[name=choices][value=B]'), false);
    for (const n of [1]) assert.match(await cellClass(page, n), /\bdoubtful\b/);
    for (const n of [2, 3, 4, 5]) assert.match(await cellClass(page, n), /\banswered\b/);
    for (const n of [6, 7]) assert.match(await cellClass(page, n), /\bunanswered\b/);
  });

  await step('short answer and essay text is saved and survives a reload', async () => {
    await gridTo(6);
    assert.equal(await page.getAttribute('#item-form', 'data-kind'), 'short_answer');
    const sa = await saves(() => page.fill('#text', '10'), 'D06');
    assert.deepEqual(sa.response, { text: '10' });
    assert.match(await cellClass(page, 6), /\banswered\b/);
    await page.reload();
    assert.equal(await page.inputValue('#text'), '10');
    assert.match(await cellClass(page, 6), /\banswered\b/);

    await gridTo(7);
    assert.equal(await page.getAttribute('#item-form', 'data-kind'), 'essay');
    const essay = 'Relief Borobudur merekam kehidupan masa lalu.\nKita bisa belajar sejarah & budaya "asli" <darinya>.';
    const es = await saves(() => page.fill('#text', essay), 'D07');
    assert.deepEqual(es.response, { text: essay });
    await page.reload();
    assert.equal(await page.inputValue('#text'), essay);
    assert.deepEqual((await serverAnswer(ctx, server.url, 7)).response, { text: essay });
  });

  await step('typing and leaving at once still saves the text', async () => {
    await gridTo(6);
    await page.fill('#text', '10 cm2');
    // No wait for the 800 ms typing pause: the grid click must flush the text first.
    await gridTo(7);
    assert.deepEqual((await serverAnswer(ctx, server.url, 6)).response, { text: '10 cm2' });
  });

  await step('finishing with an item marked ragu-ragu is refused', async () => {
    await Promise.all([page.waitForURL(/\/finish$/), page.click('button[name=go][value=finish]')]);
    assert.equal(await text(page, 'h1'), 'Selesai mengerjakan?');
    const summary = await text(page, 'table.data');
    assert.match(summary, /Dijawab 7/);
    assert.match(summary, /Belum dijawab 0/);
    assert.match(summary, /Ragu-ragu 1/);
    await page.check('input[name=confirm]');
    await Promise.all([page.waitForNavigation(), page.click('button.finish')]);
    assert.equal(here(page), '/finish?e=doubtful');
    assert.equal(await text(page, 'p.error'),
      'Masih ada soal yang ditandai ragu-ragu. Periksa dan hapus tanda ragu-ragu sebelum selesai.');
    // The countdown runs on the finish page too.
    assert.match(await text(page, '#timer'), /^00:(19|20):\d\d$/);
  });

  await step('un-marking ragu-ragu, then finishing, shows "Terima kasih" and leads back to login', async () => {
    await Promise.all([page.waitForURL(/\/exam\/1$/), page.click('a[href="/exam/1"]')]);
    const body = await saves(() => page.uncheck('input[name=doubtful]'), 'D01');
    assert.equal(body.doubtful, false);
    assert.deepEqual(body.response, { choice: 'B' });
    assert.match(await cellClass(page, 1), /\banswered\b/);
    await gridTo(7);
    await Promise.all([page.waitForURL(/\/finish$/), page.click('button[name=go][value=finish]')]);
    assert.match(await text(page, 'table.data'), /Ragu-ragu 0/);
    // The confirmation box is required by the form...
    await page.click('button.finish');
    assert.equal(here(page), '/finish', 'the browser does not send the form without the tick');
    // ...and by the server.
    await page.$eval('input[name=confirm]', (e) => { e.required = false; });
    await Promise.all([page.waitForNavigation(), page.click('button.finish')]);
    assert.equal(here(page), '/finish?e=not_confirmed');
    assert.equal(await text(page, 'p.error'), 'Centang kotak konfirmasi untuk mengakhiri tes.');
    await page.check('input[name=confirm]');
    await Promise.all([page.waitForNavigation(), page.click('button.finish')]);
    assert.equal(here(page), '/done?r=finished&t=SURVEI', 'the survey is still to do');
    assert.equal(await text(page, 'h1'), 'Terima kasih');
    assert.match(await text(page, '.card'), /Anda telah menyelesaikan tes/);
    await Promise.all([page.waitForNavigation(), page.click('a.btn.primary[href="/"]')]);
    assert.equal(here(page), '/');
    assert.equal(await text(page, 'h1'), 'Selamat Datang');
    // Logged out: the exam pages send back to the login page.
    await page.goto(server.url + '/exam/1');
    assert.equal(here(page), '/?e=not_logged_in');
    assert.equal(await text(page, 'p.error'), 'Silakan login terlebih dahulu.');
  });
});

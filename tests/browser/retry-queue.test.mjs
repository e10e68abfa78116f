// The autosave retry queue: while PUT /api/v1/answers fails at the network level the page keeps
// the answer, says "Koneksi terputus", and sends it once the network is back.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertClean, startServer, launchBrowser, newContext, DEMO, login, confirm, text, waitText, cellClass, here,
  stepper, eventually, serverAnswer,
} from './lib/harness.mjs';

const TOKEN = 'ABCDEF';
const user = DEMO[3];
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

const isAnswerPut = (url) => url.pathname.startsWith('/api/v1/answers/');

test('autosave retries after a network failure', async (t) => {
  const step = stepper(t);

  await step('into the test', async () => {
    await login(page, server.url, user);
    await confirm(page, user, TOKEN);
    assert.equal(here(page), '/exam/1');
    await Promise.all([page.waitForURL(/\/exam\/2$/), page.click('button[name=go][value=next]')]);
    await Promise.all([page.waitForURL(/\/exam\/1$/), page.click('button[name=go][value=practice_end]')]);
    assert.match(await text(page, '.itemno'), /Soal nomor 1 \/ 7/);
    // A first answer, saved normally.
    await page.check('input[name=choice][value=A]');
    await waitText(page, '#save-state', 'Jawaban tersimpan');
    assert.deepEqual((await serverAnswer(ctx, server.url, 1)).response, { choice: 'A' });
  });

  const failed = [];
  const abortPuts = (route) => {
    if (route.request().method() !== 'PUT') return route.fallback();
    failed.push(Date.now());
    return route.abort('connectionreset');
  };

  await step('while the network fails the page says "Koneksi terputus" and keeps the answer', async () => {
    await page.route(isAnswerPut, abortPuts);
    await page.check('input[name=choice][value=C]');
    await waitText(page, '#save-state', 'Koneksi terputus');
    assert.equal(await text(page, '#save-state'),
      'Koneksi terputus. Jawaban akan dikirim ulang otomatis; jangan tutup halaman ini.');
    assert.match(await page.$eval('#save-state', (e) => e.className), /\bretry\b/);
    // The grid already shows it answered; the answer waits in the page's queue.
    assert.match(await cellClass(page, 1), /\banswered\b/);
    const pending = JSON.parse(await page.evaluate(() => sessionStorage.getItem('ruji_pending')));
    assert.deepEqual(pending.D01.response, { choice: 'C' });
    // It keeps trying (1 s, then 2 s apart)...
    await eventually(() => assert.ok(failed.length >= 2, `${failed.length} tries`), { timeout: 6000 });
    // ...and the server still has the old answer.
    assert.deepEqual((await serverAnswer(ctx, server.url, 1)).response, { choice: 'A' });
    assert.match(await text(page, '#save-state'), /Koneksi terputus/);
  });

  await step('a second change while offline is queued too (latest wins)', async () => {
    await page.check('input[name=choice][value=D]');
    await page.check('input[name=doubtful]');
    const pending = JSON.parse(await page.evaluate(() => sessionStorage.getItem('ruji_pending')));
    assert.deepEqual(pending.D01.response, { choice: 'D' });
    assert.equal(pending.D01.doubtful, true);
    await eventually(async () => assert.match(await text(page, '#save-state'), /Koneksi terputus/));
  });

  await step('when the network is back the answer is sent: "Jawaban tersimpan"', async () => {
    const tries = failed.length;
    await page.unroute(isAnswerPut, abortPuts);
    const ok = await page.waitForResponse(
      (r) => r.request().method() === 'PUT' && r.url().endsWith('/api/v1/answers/D01') && r.status() === 200,
      { timeout: 15000 });
    assert.deepEqual(ok.request().postDataJSON().response, { choice: 'D' });
    await waitText(page, '#save-state', 'Jawaban tersimpan');
    assert.ok(failed.length >= tries);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('ruji_pending')), '{}');
  });

  await step('the answer is on the server (fresh page load)', async () => {
    const a = await serverAnswer(ctx, server.url, 1);
    assert.deepEqual(a.response, { choice: 'D' });
    assert.equal(a.doubtful, true);
    const fresh = await ctx.newPage();
    await fresh.goto(server.url + '/exam/1');
    assert.equal(await fresh.isChecked('input[name=choice][value=D]'), true);
    assert.equal(await fresh.isChecked('input[name=choice][value=C]'), false);
    assert.equal(await fresh.isChecked('input[name=doubtful]'), true);
    assert.match(await cellClass(fresh, 1), /\bdoubtful\b/);
    await fresh.close();
  });

  await step('an answer queued when the page was left offline is sent by the next page', async () => {
    // Offline again; the participant changes the answer and the page reloads (e.g. F5).
    await page.route(isAnswerPut, abortPuts);
    await page.check('input[name=choice][value=B]');
    await waitText(page, '#save-state', 'Koneksi terputus');
    page.once('dialog', (d) => d.accept()); // "leave the page?" while answers are pending
    await page.unroute(isAnswerPut, abortPuts);
    await page.reload();
    // The reloaded page takes the queued answer from sessionStorage and sends it.
    await waitText(page, '#save-state', 'Jawaban tersimpan', 15000);
    assert.deepEqual((await serverAnswer(ctx, server.url, 1)).response, { choice: 'B' });
  });

  await step('the reloaded page shows the answer it saved from its queue', async () => {
    // What the page shows must be what the server now has (B), not the older D.
    assert.equal(await page.isChecked('input[name=choice][value=D]'), false,
      'the page shows the older answer D while the server has B');
    assert.equal(await page.isChecked('input[name=choice][value=B]'), true);
  });

  await step('the next load shows the saved answer', async () => {
    await page.reload();
    assert.equal(await page.isChecked('input[name=choice][value=B]'), true);
    assert.equal(await page.isChecked('input[name=choice][value=D]'), false);
  });
});

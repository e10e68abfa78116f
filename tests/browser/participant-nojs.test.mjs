// The same participant flow with JavaScript disabled: plain forms and submit buttons only.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertClean, startServer, launchBrowser, newContext, DEMO, login, confirm, text, cellClass, here, stepper,
} from './lib/harness.mjs';

const TOKEN = 'ABCDEF';
const user = DEMO[2];
let server;
let browser;
let ctx;
let page;
const apiCalls = [];

before(async () => {
  [server, browser] = await Promise.all([startServer({ openSession: 'H1S1', token: TOKEN }), launchBrowser()]);
  ctx = await newContext(browser, { javaScriptEnabled: false });
  page = await ctx.newPage();
  page.on('request', (r) => { if (r.url().includes('/api/')) apiCalls.push(r.url()); });
});

after(async () => {
  assertClean(ctx);
  await browser?.close();
  await server?.stop();
});

/** Presses a submit button of the item form and waits for the page it leads to. */
async function press(go) {
  await Promise.all([page.waitForNavigation(), page.click(`#item-form button[name=go][value="${go}"]:not(.default-submit)`)]);
}

test('participant flow with JavaScript off', async (t) => {
  const step = stepper(t);

  await step('login, identity errors, then the token (typed in lower case)', async () => {
    await page.goto(server.url + '/');
    assert.equal(await text(page, 'h1'), 'Selamat Datang');
    await login(page, server.url, { ...user, password: 'salah' });
    assert.equal(here(page), '/?e=wrong_password');
    assert.equal(await text(page, 'p.error'), 'Username atau password salah. Periksa kartu peserta Anda.');
    await login(page, server.url, user);
    assert.equal(here(page), '/confirm');
    assert.match(await text(page, 'table.data'), /DEMO002/);
    assert.match(await text(page, 'table.data'), /Siti Nurhaliza/);
    await confirm(page, user, TOKEN, { name: 'Siti Aminah' });
    assert.equal(here(page), '/confirm?e=name_mismatch');
    assert.match(await text(page, 'p.error'), /^Nama yang Anda ketik tidak sesuai/);
    await confirm(page, user, TOKEN, { dob: '05-02-2011' });
    assert.equal(here(page), '/confirm?e=birth_date_mismatch');
    assert.match(await text(page, 'p.error'), /^Tanggal lahir tidak sesuai/);
    await confirm(page, user, 'XXXXXX');
    assert.equal(here(page), '/confirm?e=wrong_token');
    assert.match(await text(page, 'p.error'), /^Token salah/);
    // Name in other case/spacing, date as YYYY-MM-DD, token in lower case: all accepted.
    await confirm(page, user, TOKEN.toLowerCase(), { name: '  siti   NURHALIZA ', dob: user.dob });
    assert.equal(here(page), '/exam/1');
    assert.equal(await text(page, '.itemno .badge'), 'Latihan');
  });

  await step('practice: the answer persists across pages, the button ends practice', async () => {
    assert.equal(await text(page, 'noscript p'),
      'JavaScript mati: jawaban tersimpan setiap kali Anda menekan tombol.');
    await page.check('input[name=choice][value=B]');
    await press('next');
    assert.equal(here(page), '/exam/2');
    assert.match(await cellClass(page, 1), /\banswered\b/);
    await page.fill('#text', 'Bandung');
    await press('1');
    assert.equal(here(page), '/exam/1');
    assert.equal(await page.isChecked('input[name=choice][value=B]'), true);
    await press('2');
    assert.equal(await page.inputValue('#text'), 'Bandung');
    await press('practice_end');
    assert.equal(here(page), '/exam/1');
    assert.equal(await page.$('.itemno .badge'), null);
    assert.match(await text(page, '.itemno'), /Soal nomor 1 \/ 7/);
    assert.match(await text(page, '#timer'), /^00:(19|20):\d\d$/);
  });

  await step('test items: answers and ragu-ragu persist across pages', async () => {
    await page.check('input[name=choice][value=B]');
    await page.check('input[name=doubtful]');
    await press('next');
    assert.equal(here(page), '/exam/2');
    assert.match(await cellClass(page, 1), /\bdoubtful\b/);
    await page.check('input[name=choice][value=B]');
    await press('next');
    await page.check('input[name=choices][value=A]');
    await page.check('input[name=choices][value=B]');
    await press('next');
    await page.check('input[name=tf0][value=true]');
    await page.check('input[name=tf2][value=false]');
    await press('next');
    await page.selectOption('select[name=m_1]', 'B');
    await page.selectOption('select[name=m_3]', 'A');
    await press('prev');
    assert.equal(here(page), '/exam/4');
    assert.equal(await page.isChecked('input[name=tf0][value=true]'), true);
    assert.equal(await page.isChecked('input[name=tf1][value=true]'), false);
    assert.equal(await page.isChecked('input[name=tf1][value=false]'), false);
    assert.equal(await page.isChecked('input[name=tf2][value=false]'), true);
    await press('5');
    assert.equal(await page.inputValue('select[name=m_1]'), 'B');
    assert.equal(await page.inputValue('select[name=m_2]'), '');
    assert.equal(await page.inputValue('select[name=m_3]'), 'A');
    await press('3');
    assert.equal(await page.isChecked('input[name=choices][value=A]'), true);
    assert.equal(await page.isChecked('input[name=choices][value=B]'), true);
    assert.equal(await page.isChecked('input[name=choices][value=C]'), false);
    await press('6');
    await page.fill('#text', '10');
    await press('save');
    assert.equal(here(page), '/exam/6');
    assert.equal(await page.inputValue('#text'), '10');
    await press('7');
    await page.fill('#text', 'Baris satu.\nBaris dua.');
    await press('1');
    assert.equal(await page.isChecked('input[name=choice][value=B]'), true);
    assert.equal(await page.isChecked('input[name=doubtful]'), true);
    const classes = [];
    for (let n = 1; n <= 7; n++) classes.push((await cellClass(page, n)).replace(/\b(cell|current)\b/g, '').trim());
    assert.deepEqual(classes, ['doubtful', 'answered', 'answered', 'answered', 'answered', 'answered', 'answered']);
    await press('7');
    assert.equal(await page.inputValue('#text'), 'Baris satu.\nBaris dua.');
  });

  await step('font size buttons work without JavaScript', async () => {
    assert.match(await page.getAttribute('body', 'class'), /\bfs2\b/);
    await Promise.all([page.waitForNavigation(), page.click('.fonts .f3')]);
    assert.equal(here(page), '/exam/7');
    assert.match(await page.getAttribute('body', 'class'), /\bfs3\b/);
  });

  await step('finish: refused while ragu-ragu, then accepted', async () => {
    await press('finish');
    assert.equal(here(page), '/finish');
    assert.match(await text(page, 'table.data'), /Ragu-ragu 1/);
    await page.check('input[name=confirm]');
    await Promise.all([page.waitForNavigation(), page.click('button.finish')]);
    assert.equal(here(page), '/finish?e=doubtful');
    assert.match(await text(page, 'p.error'), /^Masih ada soal yang ditandai ragu-ragu/);
    await Promise.all([page.waitForNavigation(), page.click('a[href="/exam/1"]')]);
    await page.uncheck('input[name=doubtful]');
    await press('7');
    assert.match(await cellClass(page, 1), /\banswered\b/);
    await press('finish');
    assert.match(await text(page, 'table.data'), /Dijawab 7/);
    assert.match(await text(page, 'table.data'), /Ragu-ragu 0/);
    await page.check('input[name=confirm]');
    await Promise.all([page.waitForNavigation(), page.click('button.finish')]);
    assert.equal(here(page), '/done?r=finished&t=SURVEI', 'the survey is still to do');
    assert.equal(await text(page, 'h1'), 'Terima kasih');
    await Promise.all([page.waitForNavigation(), page.click('a.btn.primary[href="/"]')]);
    assert.equal(here(page), '/');
    assert.equal(await text(page, 'h1'), 'Selamat Datang');
  });

  await step('no script ran: the pages never called the JSON API', async () => {
    assert.deepEqual(apiCalls, []);
  });

  await step('logging in again offers the next test of the session', async () => {
    // Log in again: the next test of the session (the survey) is offered; the finished one is
    // not reopened.
    await login(page, server.url, user);
    assert.equal(here(page), '/confirm');
    assert.match(await text(page, 'table.data'), /Survei Karakter/);
    const res = await ctx.request.get(`${server.url}/api/v1/me`);
    assert.equal(res.status(), 200);
    assert.equal((await res.json()).test.id, 'SURVEI');
  });
});

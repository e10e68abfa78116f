// The language switch: Bahasa Indonesia by default, English on request (link, cookie,
// Accept-Language), on the participant pages and the proctor's.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertClean, startServer, launchBrowser, newContext, DEMO, login, confirm, text, here, stepper,
} from './lib/harness.mjs';

const TOKEN = 'ABCDEF';
const user = DEMO[5];
let server;
let browser;
const contexts = [];

before(async () => {
  [server, browser] = await Promise.all([startServer({ openSession: 'H1S1', token: TOKEN }), launchBrowser()]);
});

after(async () => {
  for (const c of contexts) assertClean(c);
  await browser?.close();
  await server?.stop();
});

async function fresh(opts) {
  const c = await newContext(browser, opts);
  contexts.push(c);
  return [c, await c.newPage()];
}

test('language switch', async (t) => {
  const step = stepper(t);
  let ctx;
  let page;

  await step('Bahasa Indonesia by default; "English" switches the page to English', async () => {
    [ctx, page] = await fresh();
    await page.goto(server.url + '/');
    assert.equal(await text(page, 'h1'), 'Selamat Datang');
    assert.equal(await text(page, 'a.lang'), 'English');
    await Promise.all([page.waitForNavigation(), page.click('a.lang')]);
    assert.equal(here(page), '/');
    assert.equal(await text(page, 'h1'), 'Welcome');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    assert.match(await text(page, '.card'), /Enter the username and password from your login card\./);
    assert.equal(await text(page, 'label[for=username]'), 'Username');
    assert.equal(await text(page, 'form[action="/login"] button'), 'LOG IN');
    assert.equal(await text(page, 'a.lang'), 'Bahasa Indonesia');
    assert.equal(await page.title(), 'Welcome - Ruji');
  });

  await step('errors and the next pages are in English too', async () => {
    await login(page, server.url, { ...user, password: 'wrong' });
    assert.equal(await text(page, 'p.error'), 'Wrong username or password. Check your login card.');
    await login(page, server.url, user);
    assert.equal(here(page), '/confirm');
    assert.equal(await text(page, 'h1'), 'Confirm participant data');
    assert.match(await text(page, 'table.data'), /Participant number DEMO005/);
    assert.match(await text(page, 'table.data'), /Sex Male/);
    await confirm(page, user, 'XXXXXX');
    assert.equal(await text(page, 'p.error'), 'Wrong or expired token. Check the token the proctor announced.');
    await confirm(page, user, TOKEN);
    assert.equal(here(page), '/exam/1');
    assert.equal(await text(page, '.itemno .badge'), 'Practice');
    assert.match(await text(page, '.itemno'), /Question 1 \/ 2/);
    assert.equal(await text(page, '.navbar .btn.primary'), 'Next »');
    assert.match(await text(page, 'label.doubt'), /Not sure/);
    await page.check('input[name=choice][value=B]');
    await page.waitForFunction(() => document.getElementById('save-state').textContent === 'Answer saved');
  });

  await step('switching back on an item page returns to the same item, in Indonesian', async () => {
    assert.equal(await text(page, 'a.lang'), 'Bahasa Indonesia');
    await Promise.all([page.waitForNavigation(), page.click('a.lang')]);
    assert.equal(here(page), '/exam/1');
    assert.equal(await text(page, '.itemno .badge'), 'Latihan');
    assert.equal(await page.isChecked('input[name=choice][value=B]'), true);
    assert.match(await text(page, 'label.doubt'), /Ragu-ragu/);
  });

  await step('a browser set to English gets English without the switch; the proctor pages too', async () => {
    const [, en] = await fresh({ locale: 'en-US' });
    await en.goto(server.url + '/');
    assert.equal(await text(en, 'h1'), 'Welcome');
    await en.goto(server.url + '/proctor');
    assert.equal(await text(en, 'h1'), 'Create the proctor password');
    await Promise.all([en.waitForNavigation(), en.click('a.lang')]);
    assert.equal(here(en), '/proctor');
    assert.equal(await text(en, 'h1'), 'Buat password proktor');
  });
});

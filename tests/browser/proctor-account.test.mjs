// The proctor's account in two browsers (a laptop and a phone): the password change page, which
// ends every other login on the server; logging out ends that login too. Then the invigilator's
// read-only account on a third (a tablet), and signing out everywhere. Screenshots
// (RUJI_SHOTS): proctor-password-*.png, proctor-password-changed-*.png,
// proctor-invigilator-*.png (the invigilator's dashboard).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertClean, startServer, launchBrowser, newContext, text, here, stepper, screenshot,
} from './lib/harness.mjs';

const PASSWORD = 'pengawas-ruang-9';
const NEW_PASSWORD = 'pengawas-baru-10';
const SIZES = [[1366, 768], [1024, 600]];
let server;
let browser;
let lctx; // the laptop
let mctx; // the phone
let tctx; // the invigilator's tablet
let laptop;
let phone;
let tablet;

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  lctx = await newContext(browser);
  mctx = await newContext(browser);
  tctx = await newContext(browser);
  laptop = await lctx.newPage();
  phone = await mctx.newPage();
  tablet = await tctx.newPage();
});

after(async () => {
  for (const c of [lctx, mctx, tctx]) assertClean(c);
  await browser?.close();
  await server?.stop();
});

/** Screenshots of `page` at each size; the page must not scroll sideways. */
async function shots(page, name) {
  for (const [width, height] of SIZES) {
    await page.setViewportSize({ width, height });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= width, `${name} at ${width}: ${wide} px wide`);
    await screenshot(page, `${name}-${width}.png`);
  }
  await page.setViewportSize({ width: 1280, height: 860 });
}

async function submit(page) {
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

async function logIn(page, password) {
  await page.goto(server.url + '/proctor');
  await page.fill('#password', password);
  await submit(page);
}

test('proctor password change and logout', async (t) => {
  const step = stepper(t);

  await step('the laptop makes the password; the phone logs in with it', async () => {
    await laptop.goto(server.url + '/proctor');
    await laptop.fill('#code', server.setupCode);
    await laptop.fill('#password', PASSWORD);
    await laptop.fill('#password2', PASSWORD);
    await submit(laptop);
    assert.equal(here(laptop), '/proctor');
    await logIn(phone, PASSWORD);
    assert.equal(here(phone), '/proctor');
  });

  await step('the dashboard links to the password page', async () => {
    await Promise.all([laptop.waitForNavigation(), laptop.click('a[href="/proctor/password"]')]);
    assert.equal(here(laptop), '/proctor/password');
    assert.equal(await text(laptop, 'h1'), 'Akun');
    assert.match(await text(laptop, 'p.hint'), /semua browser lain yang login sebagai proktor akan keluar/);
    await shots(laptop, 'proctor-password');
  });

  await step('a wrong current password is refused on the page', async () => {
    await laptop.fill('#current', 'salah-sekali');
    await laptop.fill('#password', NEW_PASSWORD);
    await laptop.fill('#password2', NEW_PASSWORD);
    await submit(laptop);
    assert.equal(here(laptop), '/proctor/password?e=proctor_password');
    assert.equal(await text(laptop, 'p.error'), 'Password proktor salah.');
  });

  await step('the right one changes it: this browser stays, the phone is logged out', async () => {
    await laptop.fill('#current', PASSWORD);
    await laptop.fill('#password', NEW_PASSWORD);
    await laptop.fill('#password2', NEW_PASSWORD);
    await submit(laptop);
    assert.equal(here(laptop), '/proctor/password?ok=password');
    assert.match(await text(laptop, '#changed'), /^Password sudah diganti/);
    await shots(laptop, 'proctor-password-changed');
    await laptop.goto(server.url + '/proctor');
    assert.ok(await laptop.$('#dashboard'), 'the laptop still sees the dashboard');
    await phone.reload();
    assert.equal(await text(phone, 'h1'), 'Login proktor', 'the phone must log in again');
  });

  await step('the old password no longer works; the new one does', async () => {
    await logIn(phone, PASSWORD);
    assert.equal(here(phone), '/proctor?e=proctor_password');
    await logIn(phone, NEW_PASSWORD);
    assert.equal(here(phone), '/proctor');
  });

  await step('logging out on the laptop ends its login, not the phone\'s', async () => {
    const cookies = await lctx.cookies();
    await Promise.all([laptop.waitForNavigation(), laptop.click('form[action="/proctor/logout"] button')]);
    assert.equal(await text(laptop, 'h1'), 'Login proktor');
    // A copy of the laptop's old cookie, put back, does not log it in again.
    await lctx.addCookies(cookies);
    await laptop.goto(server.url + '/proctor');
    assert.equal(await text(laptop, 'h1'), 'Login proktor', 'a copied cookie is dead');
    await phone.reload();
    assert.ok(await phone.$('#dashboard'), 'the phone is still logged in');
  });
});

const INVIGILATOR = 'pengawas-lab-1';

test('the invigilator watches, read-only; signing out everywhere', async (t) => {
  const step = stepper(t);

  await step('the proctor gives the invigilator a password on the account page', async () => {
    await laptop.goto(server.url + '/proctor');
    await logIn(laptop, NEW_PASSWORD);
    await laptop.goto(server.url + '/proctor/password');
    assert.match(await text(laptop, '#invigilator-state'), /Belum ada akun pengawas/);
    await laptop.fill('#inv-password', INVIGILATOR);
    await laptop.fill('#inv-password2', INVIGILATOR);
    await Promise.all([laptop.waitForNavigation(), laptop.click('form[action="/proctor/invigilator"] button')]);
    assert.equal(here(laptop), '/proctor/password?ok=invigilator');
    assert.match(await text(laptop, '#invigilator-state'), /Akun pengawas aktif/);
  });

  await step('the invigilator logs in on the same page and sees the room without actions', async () => {
    await laptop.goto(server.url + '/proctor');
    await Promise.all([laptop.waitForNavigation(), laptop.click('form[action$="/open"] button')]);
    await logIn(tablet, INVIGILATOR);
    assert.match(await text(tablet, '#token'), /^[A-Z0-9]{6}$/, 'the token to announce');
    assert.equal(here(tablet), '/proctor');
    assert.match(await text(tablet, '#read-only'), /hanya melihat/);
    assert.equal(await tablet.$$eval('form[method=post]', (f) => f.map((x) => x.getAttribute('action')).join(' ')),
      '/proctor/logout', 'the only form that changes anything is logging out');
    assert.equal(await tablet.getAttribute('#list-form', 'method'), 'get', 'the list\'s filter only reads');
    await shots(tablet, 'proctor-invigilator');
    // Typing an action's address is refused in the invigilator's language.
    await tablet.goto(server.url + '/proctor/password');
    assert.match(await text(tablet, 'body'), /Akun pengawas hanya untuk melihat/);
  });

  await step('signing out everywhere ends every browser\'s login', async () => {
    await laptop.goto(server.url + '/proctor/password');
    await Promise.all([laptop.waitForNavigation(), laptop.click('form[action="/proctor/sign-out-everywhere"] button')]);
    assert.equal(await text(laptop, 'h1'), 'Login proktor');
    for (const p of [phone, tablet]) {
      await p.goto(server.url + '/proctor');
      assert.equal(await text(p, 'h1'), 'Login proktor');
    }
  });
});

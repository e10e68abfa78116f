// The proctor's account in two browsers (a laptop and a phone): the password change page, which
// ends every other login on the server; logging out ends that login too. Screenshots
// (RUJI_SHOTS): proctor-password-*.png, proctor-password-changed-*.png.

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
let laptop;
let phone;

before(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  lctx = await newContext(browser);
  mctx = await newContext(browser);
  laptop = await lctx.newPage();
  phone = await mctx.newPage();
});

after(async () => {
  for (const c of [lctx, mctx]) assertClean(c);
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
    assert.equal(await text(laptop, 'h1'), 'Ganti password');
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
    assert.equal(here(laptop), '/proctor/password?ok=1');
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

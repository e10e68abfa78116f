// A login that waits in the queue (issue 20), as a participant sees it, with JavaScript on and
// off, at 1366x768 and 1024x600. The server is started with `--login-wait-ms 0`, so every login
// shows the "being processed" page before it lands on the token page.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertClean, startServer, launchBrowser, newContext, DEMO, text, here, screenshot, sleep,
} from './lib/harness.mjs';

let server;
let browser;
const contexts = [];

before(async () => {
  [server, browser] = await Promise.all([
    startServer({ openSession: 'H1S1', token: 'ABCDEF', args: ['--login-wait-ms', '0'] }),
    launchBrowser(),
  ]);
});

after(async () => {
  for (const c of contexts) assertClean(c);
  await browser?.close();
  await server?.stop();
});

const SIZES = [{ width: 1366, height: 768 }, { width: 1024, height: 600 }];

for (const js of [true, false]) {
  for (const [i, viewport] of SIZES.entries()) {
    const user = DEMO[(js ? 1 : 3) + i];
    test(`a queued login, JavaScript ${js ? 'on' : 'off'}, ${viewport.width}x${viewport.height}`, async () => {
      const ctx = await newContext(browser, { javaScriptEnabled: js, viewport });
      contexts.push(ctx);
      const page = await ctx.newPage();
      await page.goto(server.url + '/');
      await page.fill('#username', user.username);
      await page.fill('#password', user.password);
      if (js) {
        // Pressed twice inside the page, with the form's sending stopped by a listener after
        // Ruji's: the first press turns the button into "being processed", the second would
        // send nothing.
        const seen = await page.evaluate(() => {
          const sent = [];
          const f = document.getElementById('login-form');
          f.addEventListener('submit', (e) => { sent.push(!e.defaultPrevented); e.preventDefault(); });
          const b = f.querySelector('button');
          b.click();
          const label = b.textContent;
          b.click();
          return { label, sent };
        });
        assert.equal(seen.label, 'Sedang diproses…');
        assert.deepEqual(seen.sent, [true, false], 'the second press is not sent');
        await screenshot(page, `login-sending-${viewport.width}x${viewport.height}.png`, { fullPage: false });
        // Then the real press, on a fresh page.
        await page.goto(server.url + '/');
        await page.fill('#username', user.username);
        await page.fill('#password', user.password);
      }
      await Promise.all([page.waitForNavigation(), page.click('form[action="/login"] button[type=submit]')]);
      // The waiting page: says what happens and what not to do, and asks again by itself.
      assert.equal(await text(page, 'h1'), 'Login sedang diproses');
      assert.match(await text(page, '[role=status]'), /jangan menekan LOGIN lagi/);
      const noSideways = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
      assert.ok(noSideways, 'no sideways scrolling');
      await screenshot(page, `login-wait-${js ? 'js' : 'nojs'}-${viewport.width}x${viewport.height}.png`, { fullPage: false });
      await page.waitForURL((u) => u.pathname === '/confirm', { timeout: 15000 });
      assert.equal(here(page), '/confirm');
      assert.match(await text(page, 'table.data'), new RegExp(user.username));
    });
  }
}

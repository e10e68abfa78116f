// The participant's page on the screens a lab has (1366x768 and 1024x600): while a long reading
// text scrolls, the time left, the item list and the previous/next buttons stay in view; the
// chosen option is highlighted (with the script and without); without JavaScript, a font size
// change keeps an essay being typed; the thank-you page names the session's next test.
// Screenshots (RUJI_SHOTS): exam-scrolled-*.png, exam-chosen-nojs.png, done-next-test.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  assertClean, startServer, launchBrowser, newContext, DEMO, text, here, stepper, SHOTS,
} from './lib/harness.mjs';

const TOKEN = 'KMNPQR';
const SIZES = [[1366, 768], [1024, 600]];
let server;
let browser;
let js;
let nojs;

before(async () => {
  [server, browser] = await Promise.all([startServer({ openSession: 'H1S1', token: TOKEN }), launchBrowser()]);
  js = await newContext(browser);
  nojs = await newContext(browser, { javaScriptEnabled: false });
});

after(async () => {
  for (const c of [js, nojs]) assertClean(c);
  await browser?.close();
  await server?.stop();
});

/** Logs `user` in through the JSON API in `ctx` (its cookie), past the token and practice. */
async function inTest(ctx, user) {
  const api = (p, data) => ctx.request.post(`${server.url}/api/v1/${p}`, { data });
  assert.equal((await api('login', { username: user.username, password: user.password })).status(), 200);
  assert.equal((await api('start', { name: user.name, birth_date: user.dob, token: TOKEN })).status(), 200);
  assert.equal((await api('practice/end', {})).status(), 200);
}

/** Is the element's box wholly inside the window? */
async function inView(page, selector) {
  return page.$eval(selector, (el) => {
    const r = el.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth;
  });
}

test('the exam page on a lab\'s screens', async (t) => {
  const step = stepper(t);
  const page = await js.newPage();

  await step('a long reading text scrolls; the time, the list and the buttons stay in view', async () => {
    await inTest(js, DEMO[3]);
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      await page.goto(server.url + '/exam/1');
      await page.$eval('.prompt', (p) => {
        for (let i = 0; i < 40; i++) {
          const para = document.createElement('p');
          para.textContent = `Paragraf bacaan ${i + 1}: candi Borobudur dibangun pada abad ke-8 dan ke-9 `
            + 'oleh wangsa Syailendra; reliefnya menceritakan kehidupan sehari-hari dan ajaran Buddha.';
          p.appendChild(para);
        }
      });
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight / 2));
      await page.waitForTimeout(100);
      assert.ok(await page.evaluate(() => window.scrollY > 200), 'the page did scroll');
      for (const sel of ['#timer', '.itemno', '.navgrid .cell.current', '.navbar button[value=next]']) {
        assert.ok(await inView(page, sel), `${sel} in view at ${width}x${height}`);
      }
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= width, `no sideways scroll at ${width}: ${wide}`);
      await page.screenshot({ path: path.join(SHOTS, `exam-scrolled-${width}.png`) });
    }
  });

  await step('the chosen option is highlighted, not only its radio button', async () => {
    await page.goto(server.url + '/exam/1');
    const options = page.locator('label.option');
    assert.ok(await options.count() >= 2, 'item 1 has options');
    await options.nth(1).click();
    assert.match(await options.nth(1).getAttribute('class'), /\bchosen\b/);
    assert.doesNotMatch(await options.nth(0).getAttribute('class'), /\bchosen\b/);
    await options.nth(0).click();
    assert.match(await options.nth(0).getAttribute('class'), /\bchosen\b/);
    assert.doesNotMatch(await options.nth(1).getAttribute('class'), /\bchosen\b/);
  });
});

test('without JavaScript: chosen options, font size, the next test', async (t) => {
  const step = stepper(t);
  const page = await nojs.newPage();
  await page.setViewportSize({ width: 1024, height: 600 });

  await step('a saved choice comes back highlighted', async () => {
    await inTest(nojs, DEMO[4]);
    await page.goto(server.url + '/exam/1');
    await page.locator('label.option input').nth(2).check();
    await Promise.all([page.waitForNavigation(), page.click('.savebar button[value=save]')]);
    assert.match(await page.locator('label.option').nth(2).getAttribute('class'), /\bchosen\b/);
    await page.$eval('label.option.chosen', (el) => el.scrollIntoView({ block: 'center' }));
    await page.screenshot({ path: path.join(SHOTS, 'exam-chosen-nojs.png') });
  });

  await step('a larger font keeps the essay being typed', async () => {
    let n = 0;
    for (let k = 1; k <= 7 && !n; k++) {
      await page.goto(`${server.url}/exam/${k}`);
      if (await page.$('textarea#text')) n = k;
    }
    assert.ok(n, 'the demo has an essay');
    const essay = 'Relief Borobudur mengajarkan sejarah dan budi pekerti kepada kita semua.';
    await page.fill('textarea#text', essay);
    await Promise.all([page.waitForNavigation(), page.click('.fonts button[value=fs3]')]);
    assert.equal(here(page), `/exam/${n}`);
    assert.match(await page.getAttribute('body', 'class'), /\bfs3\b/);
    assert.equal(await page.inputValue('textarea#text'), essay);
  });

  await step('Enter in a short answer saves it; it does not change the font size', async () => {
    let n = 0;
    for (let k = 1; k <= 7 && !n; k++) {
      await page.goto(`${server.url}/exam/${k}`);
      if (await page.$('input#text')) n = k;
    }
    assert.ok(n, 'the demo has a short answer');
    await page.fill('input#text', '10');
    await Promise.all([page.waitForNavigation(), page.press('input#text', 'Enter')]);
    assert.equal(here(page), `/exam/${n}`);
    assert.match(await page.getAttribute('body', 'class'), /\bfs3\b/, 'the size chosen before stays');
    assert.equal(await page.inputValue('input#text'), '10', 'saved');
  });

  await step('the thank-you page names the session\'s next test', async () => {
    await page.goto(server.url + '/finish');
    const tick = await page.$('form[action="/finish"] input[type=checkbox][name=confirm]');
    if (tick) await tick.check();
    await Promise.all([page.waitForNavigation(), page.click('form[action="/finish"] button[type=submit]')]);
    assert.match(here(page), /^\/done/);
    assert.match(await text(page, '#next-test'), /Masih ada tes berikutnya di sesi ini: Survei Karakter/);
    await page.screenshot({ path: path.join(SHOTS, 'done-next-test.png') });
  });
});

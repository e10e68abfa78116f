// The paper of an exam day in a real browser: the session report page (the proctor's notes),
// the login cards page and its reissued cards, the attendance list; each printable printed to
// an A4 PDF by Chromium and read back with poppler. Screenshots (RUJI_SHOTS):
// printables-report-*.png, printables-cards-*.png, and the first printed page of each as
// print-*-1.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  assertClean, startServer, launchBrowser, newContext, text, here, stepper, SHOTS, setupProctor,
} from './lib/harness.mjs';

const PASSWORD = 'proktor-kertas-1';
const SIZES = [[1366, 768], [1024, 600]];
let server;
let browser;
let ctx;
let page;

before(async () => {
  [server, browser] = await Promise.all([startServer({ openSession: 'H1S1' }), launchBrowser()]);
  ctx = await newContext(browser);
  page = await ctx.newPage();
});

after(async () => {
  assertClean(ctx);
  await browser?.close();
  await server?.stop();
});

async function submit(p, selector = 'button[type=submit]') {
  await Promise.all([p.waitForNavigation(), p.click(selector)]);
}

async function shots(p, name) {
  for (const [width, height] of SIZES) {
    await p.setViewportSize({ width, height });
    const wide = await p.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= width, `${name} at ${width}: ${wide} px wide`);
    await p.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
  }
  await p.setViewportSize({ width: 1280, height: 860 });
}

/** Prints the page as Chromium does to A4; the text of each page, and a PNG of the first. */
async function printed(p, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  const pdf = path.join(SHOTS, `print-${name}.pdf`);
  await p.pdf({ path: pdf, format: 'A4', preferCSSPageSize: true, printBackground: true });
  const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
  assert.match(info, /\(A4\)/);
  const n = Number(info.match(/Pages:\s+(\d+)/)[1]);
  execFileSync('pdftoppm', ['-png', '-r', '70', '-f', '1', '-l', '1', pdf, path.join(SHOTS, `print-${name}`)]);
  return Array.from({ length: n }, (_, i) => execFileSync(
    'pdftotext', ['-layout', '-f', String(i + 1), '-l', String(i + 1), pdf, '-'], { encoding: 'utf8' },
  ));
}

test('the exam day\'s paper', async (t) => {
  const step = stepper(t);

  await step('the proctor logs in; each session links to its attendance list and report', async () => {
    await setupProctor(page, server, PASSWORD);
    assert.ok(await page.$('a[href="/proctor/sessions/H1S1/attendance"]'));
    assert.ok(await page.$('a[href="/proctor/sessions/H1S1/report"]'));
  });

  await step('the attendance list prints on A4 with a signature column', async () => {
    await page.goto(server.url + '/proctor/sessions/H1S1/attendance');
    await shots(page, 'printables-attendance');
    const pages = await printed(page, 'attendance');
    assert.match(pages[0], /Daftar Hadir Peserta/);
    assert.match(pages[0], /Tanda tangan/);
    assert.doesNotMatch(pages.join(''), /Unduh PDF/, 'no links on paper');
    assert.match(pages.at(-1), /Proktor[\s\S]*Pengawas/);
  });

  await step('the report page takes the proctor\'s notes; the report prints them', async () => {
    await page.goto(server.url + '/proctor/sessions/H1S1/report');
    await page.fill('#notes', 'Listrik padam 5 menit pukul 08.10; server tetap menyala dengan UPS.');
    await submit(page);
    assert.equal(here(page), '/proctor/sessions/H1S1/report?ok=1');
    assert.match(await text(page, '#notes-saved'), /Catatan tersimpan/);
    await shots(page, 'printables-report');
    await Promise.all([page.waitForNavigation(), page.click('#report-print')]);
    const pages = await printed(page, 'report');
    const all = pages.join('\n');
    assert.match(all, /Berita Acara Pelaksanaan/);
    assert.match(all, /Listrik padam 5 menit/);
    assert.match(all, /rangkap tiga/);
  });

  await step('new login cards for a class: the page to print, eight to a sheet', async () => {
    await page.goto(server.url + '/proctor/cards');
    await shots(page, 'printables-cards');
    await page.selectOption('#card-class', 'IX-A');
    await page.check('#card-confirm');
    await submit(page, 'button[name=format][value=html]');
    const cards = await page.$$eval('.card', (c) => c.length);
    assert.equal(cards, 12, 'the demo\'s IX-A: 9 main participants and 3 reserves');
    await shots(page, 'printables-new-cards');
    const href = await page.getAttribute('a[download]', 'href');
    assert.match(href, /^data:application\/pdf;base64,/);
    const pages = await printed(page, 'cards');
    assert.equal(pages.length, 2);
    assert.equal((pages[0].match(/Password/g) || []).length, 8);
    assert.equal((pages[1].match(/Password/g) || []).length, 4);
  });
});

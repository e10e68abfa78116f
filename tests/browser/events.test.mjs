// The event log as a proctor reads it, and its print: a session with five participants (their
// saves folded into one line each), a force finish and a reset; the filters; every line printed
// on A4 with no row split across pages. The sync report printed the same way. Screenshots
// (RUJI_SHOTS): events-*.png, and the PDFs' first pages as events-print-*.png and
// sync-report-print-*.png.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  assertClean, startServer, launchBrowser, newContext, DEMO, text, here, stepper, SHOTS, setupProctor,
} from './lib/harness.mjs';

const PASSWORD = 'proktor-catatan-1';
const TOKEN = 'KJHGFD';
const SIZES = [[1366, 768], [1024, 600]];
let server;
let browser;
let pctx;
let page;
let cfgDir;
const others = [];

before(async () => {
  [server, browser] = await Promise.all([
    startServer({ openSession: 'H1S1', token: TOKEN, args: ['--config', writeConfig()] }),
    launchBrowser(),
  ]);
  pctx = await newContext(browser);
  page = await pctx.newPage();
});

after(async () => {
  for (const c of [pctx, ...others]) assertClean(c);
  await browser?.close();
  await server?.stop();
  if (cfgDir) fs.rmSync(cfgDir, { recursive: true, force: true });
});

/** A ruji.toml naming the school and the room (the printables' heading). */
function writeConfig() {
  cfgDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ruji-events-cfg-'));
  const file = path.join(cfgDir, 'ruji.toml');
  fs.writeFileSync(file, '[school]\nname = "SMP Negeri 1 Contoh"\nroom = "Lab Komputer 1"\ntime_zone = "WITA"\n');
  return file;
}

/** A participant through the JSON API in a context of their own: login, token, practice, saves. */
async function participant(user, saves) {
  const ctx = await newContext(browser);
  others.push(ctx);
  const api = (m, p, data) => ctx.request.fetch(`${server.url}/api/v1/${p}`, { method: m, data });
  assert.equal((await api('POST', 'login', { username: user.username, password: user.password })).status(), 200);
  const r = await api('POST', 'start', { name: user.name, birth_date: user.dob, token: TOKEN });
  assert.equal(r.status(), 200, await r.text());
  assert.equal((await api('POST', 'practice/end')).status(), 200);
  for (let i = 0; i < saves; i++) {
    const n = (i % 2) + 1;
    const item = await (await api('GET', `items/${n}`)).json();
    const s = await api('PUT', `answers/${item.item.id}`, { response: { choice: 'B' }, doubtful: false, rev: i + 1 });
    assert.equal(s.status(), 200, await s.text());
  }
}

async function submit(p, selector = 'button[type=submit]') {
  await Promise.all([p.waitForNavigation(), p.click(selector)]);
}

/** Prints the page to an A4 PDF; returns the text of each page (poppler's pdftotext -layout). */
async function printed(p, name) {
  const pdf = path.join(SHOTS, `${name}.pdf`);
  fs.mkdirSync(SHOTS, { recursive: true });
  await p.emulateMedia({ media: 'print' });
  await p.pdf({ path: pdf, format: 'A4', printBackground: true, preferCSSPageSize: true });
  await p.emulateMedia({ media: 'screen' });
  const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
  assert.match(info, /Page size:.*\(A4\)/);
  const pages = Number(info.match(/Pages:\s+(\d+)/)[1]);
  execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '2', pdf, path.join(SHOTS, `${name}-print`)]);
  return Array.from({ length: pages }, (_, i) => execFileSync(
    'pdftotext', ['-layout', '-f', String(i + 1), '-l', String(i + 1), pdf, '-'], { encoding: 'utf8' },
  ));
}

test('the event log: filters, summaries, print', async (t) => {
  const step = stepper(t);

  await step('a session: five participants save answers; the proctor changes the token often', async () => {
    for (let i = 1; i <= 5; i++) await participant(DEMO[i], 3 + i);
    await setupProctor(page, server, PASSWORD);
    for (let i = 0; i < 40; i++) await submit(page, 'form[action="/proctor/token/rotate"] button');
    await page.click('#row-DEMO002 details.row-actions summary');
    await page.locator('#row-DEMO002 form[action$="/finish"] input[name=reason]').fill('Listrik padam di meja 2');
    await submit(page, '#row-DEMO002 form[action$="/finish"] button');
    await page.click('#row-DEMO003 details.row-actions summary');
    await submit(page, '#row-DEMO003 form[action$="/reset"] button');
  });

  await step('the log reads in Indonesian with WITA times, one line per run of saves', async () => {
    await page.goto(server.url + '/proctor/audit');
    const rows = await page.$$eval('#events tbody tr', (r) => r.map((x) => [x.dataset.code, x.innerText]));
    const saves = rows.filter(([c]) => c === 'answer');
    assert.equal(saves.length, 5, 'one line per participant');
    assert.match(saves.find(([, t]) => t.includes('DEMO005'))[1], /8 kali simpan, 2 soal/);
    assert.match(await text(page, '#events thead'), /Waktu \(WITA\)/);
    assert.match(await text(page, 'table.heading'), /SMP Negeri 1 Contoh[\s\S]*Lab Komputer 1/);
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= width, `the log at ${width}: ${wide} px wide`);
      await page.screenshot({ path: path.join(SHOTS, `events-${width}.png`) });
    }
  });

  await step('incidents only, by the filter form', async () => {
    await page.selectOption('#ev-kind', 'incident');
    await submit(page, 'form.filters button');
    assert.equal(here(page), '/proctor/audit?session=&participant=&kind=incident');
    const codes = await page.$$eval('#events tbody tr', (r) => r.map((x) => x.dataset.code));
    assert.deepEqual(codes, ['reset_login', 'force_finish']);
    assert.match(await text(page, '#events'), /Listrik padam di meja 2 \(Siti Nurhaliza\)/);
  });

  await step('every line printed on A4, no row split, the header on every page', async () => {
    await page.goto(server.url + '/proctor/audit?all=1');
    const seqs = await page.$$eval('#events tbody tr td:first-child', (c) => c.map((x) => x.innerText.trim()));
    const times = await page.$$eval('#events tbody tr td.t', (c) => c.map((x) => x.innerText.trim()));
    const pages = await printed(page, 'events');
    assert.ok(pages.length >= 2, `${pages.length} pages`);
    for (const [i, p] of pages.entries()) {
      assert.match(p, /#\s+Waktu \(WITA\)\s+Oleh\s+Kejadian\s+Rincian/, `header on page ${i + 1}`);
      assert.doesNotMatch(p, /Kembali|Unduh CSV/, 'no links on paper');
    }
    // Each row's number and time share a line of one page: the row is whole on that page.
    for (const [i, seq] of seqs.entries()) {
      const on = pages.filter((p) => p.split('\n').some((l) => l.trim().startsWith(`${seq} `) && l.includes(times[i])));
      assert.equal(on.length, 1, `row ${seq} (${times[i]}) printed whole on one page`);
    }
  });

  await step('the sync report prints the same way', async () => {
    await page.goto(server.url + '/proctor/package/report');
    const pages = await printed(page, 'sync-report');
    assert.equal(pages.length, 1);
    assert.match(pages[0], /Berita Acara Sinkronisasi/);
    assert.match(pages[0], /SMP Negeri 1 Contoh\s+Ruang\s+Lab Komputer 1/);
    assert.match(pages[0], /Dicetak\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d WITA/);
    assert.match(pages[0], /Proktor\s+Teknisi\s+Kepala Sekolah/);
    assert.doesNotMatch(pages[0], /Kembali/);
  });
});

// Opens the HTML reports of a batch (`tonewatch analyze ... --out DIR`) in
// headless Chromium and checks what a reviewer would see: the pages load
// with no console errors and no network requests, every plot has drawn
// paths, and the index sorts when a column header is clicked. Saves
// screenshots next to DIR (or where SHOTS says).
//
//   node report.mjs OUT_DIR [SHOT_DIR]
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const out = resolve(process.argv[2] ?? '');
const shots = resolve(process.argv[3] ?? out);
if (!process.argv[2] || !existsSync(join(out, 'index.html'))) {
  console.error(`report.mjs: no index.html in ${out}`);
  process.exit(2);
}

const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

const profile = mkdtempSync(join(tmpdir(), 'tonewatch-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
  viewport: { width: 1200, height: 900 },
});

try {
  const page = await context.newPage();
  const errors = [];
  const requests = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    requests.push(url);
    return route.abort();
  });

  // The index.
  await page.goto(pathToFileURL(join(out, 'index.html')).href);
  const rows = await page.locator('#calls tbody tr').count();
  check(rows > 0, `index lists calls (${rows})`);
  const column = async (i) => page.$$eval(`#calls tbody tr td:nth-child(${i + 1})`,
    (tds) => tds.map((td) => td.getAttribute('data-v') ?? td.textContent.trim()));
  const peak = await page.$eval('th[data-kind="num"]:text-is("peak anger")', (th) => +th.dataset.col);
  const numbers = (v) => v.filter((x) => x !== '' && x !== '–').map(Number);
  const sortedDesc = (v) => v.every((x, i) => i === 0 || v[i - 1] >= x);
  const sortedAsc = (v) => v.every((x, i) => i === 0 || v[i - 1] <= x);
  const alerts = numbers(await column(3));
  check(sortedDesc(alerts), 'index opens worst escalations first (most anger alerts first)');
  await page.click(`th[data-col="${peak}"]`);
  const desc = numbers(await column(peak));
  check(desc.length > 0 && sortedDesc(desc), 'clicking "peak anger" sorts it, highest first');
  await page.click(`th[data-col="${peak}"]`);
  const asc = numbers(await column(peak));
  check(asc.length > 0 && sortedAsc(asc), 'clicking it again reverses the order');
  await page.click('th[data-col="0"]');
  const names = await column(0);
  check(names.every((x, i) => i === 0 || names[i - 1].toLowerCase() <= x.toLowerCase()),
    'clicking "call" sorts by name');
  await page.screenshot({ path: join(shots, 'report-index.png'), fullPage: true });

  // Every call page linked from the index (at most 5, the first ones).
  const links = (await page.$$eval('#calls tbody a', (as) => as.map((a) => a.href))).slice(0, 5);
  check(links.length > 0, `index links call pages (${links.length} checked)`);
  for (const [k, href] of links.entries()) {
    await page.goto(href);
    const plots = await page.locator('svg.plot').count();
    check(plots >= 4, `${href.split('/').pop()}: ${plots} plots`);
    const drawn = await page.$$eval('svg.plot', (svgs) => svgs.map((svg) =>
      [...svg.querySelectorAll('path.series')]
        .filter((p) => { const b = p.getBBox(); return p.getTotalLength() > 0 && (b.width > 0 || b.height > 0); })
        .length));
    check(drawn.slice(1).every((n) => n > 0), `${href.split('/').pop()}: every measure plot has drawn lines (${drawn.join(', ')})`);
    if (k < 2) {
      await page.screenshot({ path: join(shots, `report-call-${k}.png`), fullPage: true });
    }
  }
  check(errors.length === 0, `no console errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
  check(requests.length === 0, `no network requests${requests.length ? ': ' + requests.join(' ') : ''}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

console.log(`screenshots: ${readdirSync(shots).filter((f) => f.startsWith('report-')).map((f) => join(shots, f)).join(' ')}`);
if (failures.length) {
  console.log(`${failures.length} browser check(s) failed`);
  process.exit(1);
}
console.log('all browser checks passed');

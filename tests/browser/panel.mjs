// End-to-end test of the agent panel in headless Chromium, driven by the
// real product: `tonewatch live --replay FILE --panel` and `tonewatch demo
// --panel` (target/release/tonewatch). Checks: the gauge rises and the anger
// alert is shown within 1 s of the monitor publishing it (the `sent_ms` the
// panel server stamps); publish → shown latency p95 ≤ 100 ms; no console
// errors and no request leaves the panel's origin; the language switch is
// remembered; the "disconnected" banner when the monitor stops and the
// reconnection (with a fresh snapshot) when it comes back on the same port;
// the token; an escalating call built from the shared corpora (`tonewatch
// eval calls --write-calls`, skipped without the corpora); JS heap ≤ 60 MB
// over a 1-hour two-party replay at 100× speed.
// The WAVs it replays are built from `tonewatch demo --record`: a stereo call
// (channel 0 customer = the demo call, channel 1 agent = its calm opening,
// quieter and shifted) and 90 copies of it (1 hour).
// Screenshots (360 px wide) go to target/browser/.
//
//   node tests/browser/panel.mjs            (after cargo build --release)
//   PANEL_SKIP_LONG=1 node tests/browser/panel.mjs   (without the 1-hour run)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = process.env.TONEWATCH_BIN || path.join(root, 'target/release/tonewatch');
const outDir = path.join(root, 'target/browser');
fs.mkdirSync(outDir, { recursive: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tonewatch-panel-'));
const QUIET = ['--quiet', '--no-notify', '--panel'];

// ---- the recordings replayed ----
function run(args, env) {
  const r = spawnSync(bin, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  return r;
}
function readWavMono16(file) {
  const b = fs.readFileSync(file);
  let at = 12, rate = 0, channels = 0, bits = 0;
  while (at + 8 <= b.length) {
    const id = b.toString('ascii', at, at + 4), len = b.readUInt32LE(at + 4);
    if (id === 'fmt ') { channels = b.readUInt16LE(at + 10); rate = b.readUInt32LE(at + 12); bits = b.readUInt16LE(at + 22); }
    if (id === 'data') {
      if (channels !== 1 || bits !== 16) throw new Error(`${file}: expected mono 16-bit, got ${channels} ch ${bits} bit`);
      return { rate, samples: new Int16Array(b.buffer.slice(b.byteOffset + at + 8, b.byteOffset + at + 8 + len)) };
    }
    at += 8 + len + (len & 1);
  }
  throw new Error(`${file}: no data chunk`);
}
function writeWavStereo16(file, rate, left, right, repeat) {
  const frames = left.length * repeat, bytes = frames * 4;
  const b = Buffer.alloc(44 + bytes);
  b.write('RIFF', 0); b.writeUInt32LE(36 + bytes, 4); b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(2, 22); b.writeUInt32LE(rate, 24);
  b.writeUInt32LE(rate * 4, 28); b.writeUInt16LE(4, 32); b.writeUInt16LE(16, 34); b.write('data', 36); b.writeUInt32LE(bytes, 40);
  const pcm = new Int16Array(b.buffer, b.byteOffset + 44, frames * 2);
  for (let r = 0; r < repeat; r++) {
    const off = r * left.length * 2;
    for (let i = 0; i < left.length; i++) { pcm[off + 2 * i] = left[i]; pcm[off + 2 * i + 1] = right[i]; }
  }
  fs.writeFileSync(file, b);
}
const demoWav = path.join(work, 'demo.wav');
const rec = run(['demo', '--speed', '100', '--quiet', '--no-notify', '--record', demoWav]);
if (rec.status !== 0) throw new Error(`tonewatch demo --record failed: ${rec.stderr}`);
const demo = readWavMono16(demoWav);
// The agent: the calm opening (before DEMO_ESCALATION_S = 20 s) looped,
// 6 dB quieter, shifted by 3 s so the two parties do not speak in unison.
const calm = 20 * demo.rate, shift = 3 * demo.rate;
const agent = new Int16Array(demo.samples.length);
for (let i = 0; i < agent.length; i++) agent[i] = demo.samples[(i + shift) % calm] >> 1;
const stereoWav = path.join(work, 'stereo.wav');
writeWavStereo16(stereoWav, demo.rate, demo.samples, agent, 1);

let passed = 0, failed = 0;
const figures = {};
function check(name, ok, detail) {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail === undefined ? '' : ': ' + detail}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function percentile(list, q) {
  if (!list.length) return NaN;
  const s = [...list].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.round((s.length - 1) * q))];
}

const monitors = new Set();
function startMonitor(args, env) {
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  monitors.add(proc);
  const lines = [];
  const exited = new Promise((resolve) => proc.on('exit', (code) => { monitors.delete(proc); resolve(code); }));
  const url = new Promise((resolve, reject) => {
    readline.createInterface({ input: proc.stdout }).on('line', (line) => {
      lines.push(line);
      if (line.startsWith('panel: ')) resolve(line.slice(7).trim());
    });
    proc.on('error', reject);
    exited.then((code) => reject(new Error(`tonewatch ${args[0]} exited (${code}) before printing the panel URL`)));
  });
  return { proc, url, lines, exited };
}
const replay = (file, ...rest) => startMonitor(['live', '--replay', file, ...QUIET, ...rest]);
const demoPanel = (...rest) => startMonitor(['demo', ...QUIET, ...rest]);

async function waitFor(page, fn, arg, timeout) {
  await page.waitForFunction(fn, arg, { timeout, polling: 50 });
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tonewatch-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
  viewport: { width: 360, height: 780 },
});

const consoleErrors = [];
const external = [];
let origin = '';
let expectRefused = false;
let expectUnauthorized = false;
function watch(page) {
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // While the monitor is deliberately down, the browser logs its refused reconnects.
    if (expectRefused && /ERR_CONNECTION_REFUSED|events/.test(m.text() + (m.location().url || ''))) return;
    // The deliberate request without the token (and the favicon the browser asks for then).
    if (expectUnauthorized && /401/.test(m.text())) return;
    consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('data:')) external.push(u);
  });
}

try {
  // ---- 1. the demo call, escalating, at 2× speed, with an agent party (stereo replay) ----
  const feed = replay(stereoWav, '--speed', '2', '--panel-addr', '127.0.0.1:0', '--panel-wait', '--panel-linger', '4');
  const url = await feed.url;
  origin = new URL(url).origin;
  const port = new URL(url).port;
  const page = await context.newPage();
  watch(page);
  await page.goto(url);
  await waitFor(page, () => window.tonewatchPanel && window.tonewatchPanel.stats.connected, null, 10000);

  // Sample what the agent sees while the call plays.
  const samples = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      // A sample taken across the reload below is lost, not an error.
      const sample = await page.evaluate(() => ({
        gauge: document.getElementById('gauge-num').textContent,
        state: document.getElementById('state').dataset.state,
        alert: !document.getElementById('alert').hidden,
        t: (window.tonewatchPanel.state().points.customer || {}).time_s,
      })).catch(() => null);
      if (sample) samples.push(sample);
      await sleep(200);
    }
  })();
  await waitFor(page, () => window.tonewatchPanel.stats.alerts.some((a) => a.kind === 'anger_rising'), null, 60000);
  await sleep(600); // let the card settle for the picture
  await page.screenshot({ path: path.join(outDir, 'panel.png'), fullPage: true });
  const shown = await page.evaluate(() => window.tonewatchPanel.stats.alerts.find((a) => a.kind === 'anger_rising'));
  const alertDelay = shown.shown_ms - shown.sent_ms;
  figures.alert_publish_to_shown_ms = +alertDelay.toFixed(1);
  check('anger alert shown within 1 s of publishing', alertDelay <= 1000, `${alertDelay.toFixed(1)} ms`);
  const card = await page.evaluate(() => ({
    title: document.getElementById('alert-title').textContent,
    msg: document.getElementById('alert-msg').textContent,
    advice: document.getElementById('alert-advice').textContent,
  }));
  check('alert card shows evidence and advice', /upset/i.test(card.title) && /baseline/.test(card.msg) && card.advice.length > 40, JSON.stringify(card.title));

  // Language: switch to Chinese, remembered across a reload.
  await page.click('#lang');
  await waitFor(page, () => document.documentElement.lang === 'zh-CN', null, 2000);
  const zh = await page.evaluate(() => ({ state: document.getElementById('state').textContent, advice: document.getElementById('alert-advice').textContent, saved: localStorage.getItem('tonewatch.lang') }));
  check('中文 switch shows Chinese state and advice', /[\u4e00-\u9fff]/.test(zh.state) && /[\u4e00-\u9fff]/.test(zh.advice) && zh.saved === 'zh', JSON.stringify(zh.state));
  await page.screenshot({ path: path.join(outDir, 'panel-zh.png'), fullPage: true });
  const latenciesBeforeReload = await page.evaluate(() => window.tonewatchPanel.stats.latencies);
  await page.reload();
  await waitFor(page, () => window.tonewatchPanel && window.tonewatchPanel.stats.connected, null, 10000);
  check('language choice survives a reload', await page.evaluate(() => document.documentElement.lang) === 'zh-CN');
  // The snapshot is drawn on the next animation frame: give it up to 2 s.
  await waitFor(page, () => !document.getElementById('alert').hidden && document.getElementById('gauge-num').textContent !== '–', null, 2000).catch(() => {});
  const afterReload = await page.evaluate(() => ({ alert: !document.getElementById('alert').hidden, gauge: document.getElementById('gauge-num').textContent, snapshots: window.tonewatchPanel.stats.snapshots }));
  check('a reloaded page gets the current state at once (snapshot)', afterReload.alert && afterReload.gauge !== '–', JSON.stringify(afterReload));
  await page.click('#lang'); // back to English for the rest

  const agentShown = await page.evaluate(() => !document.getElementById('agent').hidden && document.querySelector('#agent-measures .now').textContent !== '–');
  check('agent section shown with the agent party present', agentShown);

  // The end of the call, then the monitor stops: the banner says so.
  await waitFor(page, () => /ended/i.test(document.getElementById('banner').textContent), null, 60000);
  sampling = false;
  await sampler;
  // Both page loads' publish → shown times.
  const latencies = latenciesBeforeReload.concat(await page.evaluate(() => window.tonewatchPanel.stats.latencies));
  const p50 = percentile(latencies, 0.5), p95 = percentile(latencies, 0.95), max = Math.max(...latencies);
  Object.assign(figures, { latency_events: latencies.length, latency_p50_ms: +p50.toFixed(1), latency_p95_ms: +p95.toFixed(1), latency_max_ms: +max.toFixed(1) });
  check('publish → shown latency p95 ≤ 100 ms', p95 <= 100, `p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${max.toFixed(1)} ms over ${latencies.length} events`);

  const numbers = samples.filter((s) => s.gauge !== '–' && s.t !== undefined).map((s) => ({ g: Number(s.gauge), t: s.t, state: s.state }));
  const early = numbers.filter((s) => s.t < 18).map((s) => s.g);
  const late = numbers.filter((s) => s.t >= 28).map((s) => s.g);
  const earlyMax = early.length ? Math.max(...early) : NaN, lateMax = late.length ? Math.max(...late) : NaN;
  figures.gauge_calm_max = earlyMax; figures.gauge_escalated_max = lateMax;
  check('gauge rises from the calm part to the escalation', lateMax >= 50 && lateMax >= earlyMax + 20, `calm part max ${earlyMax}, escalation max ${lateMax} (${numbers.length} samples)`);
  check('state reaches tense/angry after calm', numbers.some((s) => s.state === 'calm') && numbers.some((s) => s.state === 'angry' || s.state === 'tense'));

  expectRefused = true;
  await feed.exited;
  await waitFor(page, () => /disconnected/i.test(document.getElementById('banner').textContent), null, 8000);
  await page.screenshot({ path: path.join(outDir, 'panel-disconnected.png'), fullPage: true });
  check('banner says the monitor is disconnected when it stops', true);

  // ---- 2. the monitor restarts on the same port: the page finds it again ----
  const before = await page.evaluate(() => window.tonewatchPanel.stats.snapshots);
  const again = demoPanel('--speed', '20', '--panel-addr', `127.0.0.1:${port}`, '--panel-linger', '2');
  await again.url;
  await waitFor(page, (n) => window.tonewatchPanel.stats.snapshots > n && document.getElementById('banner').hidden, before, 10000);
  check('reconnects by itself to a restarted monitor, with a fresh snapshot', true);
  expectRefused = false;
  await again.exited;
  await page.close();

  // ---- 2b. with a token: the page and its stream carry it; without it, refused ----
  const tokened = demoPanel('--speed', '20', '--panel-addr', '127.0.0.1:0', '--panel-token', 'panel-test-token-0123', '--panel-wait', '--panel-linger', '1');
  const tokenUrl = await tokened.url;
  origin = new URL(tokenUrl).origin;
  const tp = await context.newPage();
  watch(tp);
  expectUnauthorized = true;
  const bare = await tp.goto(tokenUrl.split('?')[0]);
  check('without the token the page is refused', bare.status() === 401, `HTTP ${bare.status()}`);
  await sleep(300);
  expectUnauthorized = false;
  await tp.goto(tokenUrl);
  await waitFor(tp, () => window.tonewatchPanel && window.tonewatchPanel.stats.connected && window.tonewatchPanel.stats.events > 0, null, 10000);
  check('with the token the page streams events', true);
  await tp.close();
  tokened.proc.kill();
  await tokened.exited;

  // ---- 3. an escalating call built from the shared corpora (when present) ----
  const dataDir = process.env.TONEWATCH_DATA || path.join(root, '../shared/data');
  const callsDir = path.join(work, 'calls');
  let call = null;
  if (!fs.existsSync(dataDir)) {
    console.log(`skip corpus call: no corpora at ${dataDir} (set TONEWATCH_DATA to the shared data folder)`);
  } else {
    const w = run(['eval', 'calls', '--write-calls', callsDir], { TONEWATCH_DATA: dataDir });
    check('eval calls --write-calls writes the corpus calls', w.status === 0 && fs.existsSync(path.join(callsDir, 'calls.csv')), w.status === 0 ? undefined : w.stderr.trim().split('\n').pop());
    if (w.status === 0) {
      const rows = fs.readFileSync(path.join(callsDir, 'calls.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
      const r = rows.find((x) => x[1] === 'Escalation');
      if (r) call = { file: path.join(callsDir, r[0]), name: r[0].replace(/\.wav$/, ''), turn: Number(r[3]) };
      check('the corpus calls include an escalation', !!call);
    }
  }
  if (call) {
    const corpusEvents = path.join(work, 'corpus-events.jsonl');
    const corpus = replay(call.file, '--events', corpusEvents, '--speed', '4', '--panel-addr', '127.0.0.1:0', '--panel-wait', '--panel-linger', '1');
    const corpusUrl = await corpus.url;
    const m = [null, call.name];
    const turn = call.turn;
    origin = new URL(corpusUrl).origin;
    const p = await context.newPage();
    watch(p);
    await p.goto(corpusUrl);
    await waitFor(p, () => window.tonewatchPanel && window.tonewatchPanel.stats.connected, null, 10000);
    const seen = [];
    let on = true;
    const sampler2 = (async () => {
      while (on) {
        const g = await p.evaluate(() => ({ g: document.getElementById('gauge-num').textContent, t: (window.tonewatchPanel.state().points.customer || {}).time_s })).catch(() => null);
        if (g && g.g !== '–' && g.t !== undefined) seen.push({ g: Number(g.g), t: g.t });
        await sleep(100);
      }
    })();
    await waitFor(p, () => window.tonewatchPanel.stats.alerts.some((a) => a.kind === 'anger_rising'), null, 60000);
    await sleep(400);
    on = false;
    await sampler2;
    await p.screenshot({ path: path.join(outDir, 'panel-corpus.png'), fullPage: true });
    const a = await p.evaluate(() => window.tonewatchPanel.stats.alerts.find((x) => x.kind === 'anger_rising'));
    const lat = await p.evaluate(() => window.tonewatchPanel.stats.latencies);
    const calmMax = Math.max(...seen.filter((x) => x.t < turn).map((x) => x.g));
    const lastG = seen.length ? seen[seen.length - 1].g : NaN;
    Object.assign(figures, { corpus_call: m && m[1], corpus_alert_publish_to_shown_ms: +(a.shown_ms - a.sent_ms).toFixed(1), corpus_gauge_calm_max: calmMax, corpus_gauge_at_alert: lastG, corpus_latency_p95_ms: +percentile(lat, 0.95).toFixed(1) });
    check(`corpus call ${m && m[1]}: anger alert shown within 1 s of publishing`, a.shown_ms - a.sent_ms <= 1000, `${(a.shown_ms - a.sent_ms).toFixed(1)} ms`);
    check('corpus call: gauge rises after the anger begins', lastG >= 50 && lastG > calmMax, `before ${turn} s max ${calmMax}, at the alert ${lastG}`);
    await p.close();
    await corpus.exited;
    const emitted = fs.readFileSync(corpusEvents, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.type === 'alert' && e.kind === 'anger_rising');
    check('corpus call: the monitor\'s first anger alert comes after the anger begins', emitted && emitted.time_s >= turn, `alert at ${emitted && emitted.time_s} s of audio, anger from ${turn} s`);
  }

  // ---- 4. one hour of events at 100× speed: the page's memory stays bounded ----
  if (!process.env.PANEL_SKIP_LONG) {
    const hourWav = path.join(work, 'hour.wav');
    writeWavStereo16(hourWav, demo.rate, demo.samples, agent, 90); // 90 × 40 s = 1 h
    const long = replay(hourWav, '--speed', '100', '--panel-addr', '127.0.0.1:0', '--panel-wait', '--panel-linger', '2');
    const longUrl = await long.url;
    origin = new URL(longUrl).origin;
    const p = await context.newPage();
    watch(p);
    const cdp = await context.newCDPSession(p);
    await cdp.send('Performance.enable');
    const heap = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return metrics.find((m) => m.name === 'JSHeapUsedSize').value / 1048576;
    };
    await p.goto(longUrl);
    await waitFor(p, () => window.tonewatchPanel && window.tonewatchPanel.stats.connected, null, 10000);
    const start = await heap();
    let peak = start;
    let ended = false;
    long.exited.then(() => { ended = true; });
    while (!ended) {
      peak = Math.max(peak, await heap());
      if (await p.evaluate(() => /ended/i.test(document.getElementById('banner').textContent))) break;
      await sleep(1000);
    }
    peak = Math.max(peak, await heap());
    const end = await heap();
    await cdp.send('HeapProfiler.collectGarbage');
    const afterGc = await heap();
    const st = await p.evaluate(() => ({ endTime: (window.tonewatchPanel.state().points.customer || {}).time_s, events: window.tonewatchPanel.stats.events, trend: window.tonewatchPanel.state().trend.customer.length, lat: window.tonewatchPanel.stats.latencies }));
    await long.exited;
    const lp95 = percentile(st.lat, 0.95);
    Object.assign(figures, { hour_events: st.events, hour_heap_start_mb: +start.toFixed(2), hour_heap_peak_mb: +peak.toFixed(2), hour_heap_end_mb: +end.toFixed(2), hour_heap_after_gc_mb: +afterGc.toFixed(2), hour_trend_points: st.trend, hour_latency_p95_ms: +lp95.toFixed(1), hour_audio_s: st.endTime });
    check('JS heap ≤ 60 MB over 1 h of events (100×)', peak <= 60, `start ${start.toFixed(1)} MB, peak ${peak.toFixed(1)} MB, end ${end.toFixed(1)} MB, after GC ${afterGc.toFixed(1)} MB; ${st.events} events, trend kept ${st.trend} points`);
    check('trend stays bounded (10 min)', st.trend <= 3000, `${st.trend}`);
    await p.screenshot({ path: path.join(outDir, 'panel-hour.png'), fullPage: true });
    await p.close();
  }

  check('no console errors', consoleErrors.length === 0, consoleErrors.slice(0, 5).join(' | '));
  check('no request leaves the panel', external.length === 0, external.slice(0, 5).join(' '));
} catch (e) {
  check('browser test ran to the end', false, e && e.stack ? e.stack.split('\n').slice(0, 3).join(' ') : String(e));
} finally {
  for (const m of monitors) m.kill();
  fs.rmSync(work, { recursive: true, force: true });
  await context.close();
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
console.log('figures: ' + JSON.stringify(figures));
console.log(`panel: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);

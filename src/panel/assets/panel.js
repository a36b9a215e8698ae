// tonewatch agent panel: renders the monitor's events (Server-Sent Events
// from /events). Every list is bounded so the page stays small over a long
// call; rendering happens once per animation frame, however fast events come.
'use strict';
(() => {
  const TREND_S = 600;          // seconds of trend kept (as the server)
  const TREND_MAX = 3000;
  const ALERTS_MAX = 20;
  const CUES_MAX = 20;
  const LATENCIES_MAX = 5000;   // for the latency figure
  const STALE_MS = 12000;       // no message for this long: the monitor is gone
  const RETRY_MS = 2000;        // when the browser gives up on its own
  const PAST_S = 60;            // calm this long after an alert: it is history

  const T = {
    en: {
      caller: 'Caller', trend: 'Tension trend', vsbaseline: "Compared with the caller's usual voice",
      rate: 'Speech rate', volume: 'Volume', pitchvar: 'Pitch variation', pitch: 'Pitch',
      style: 'Caller style', you: 'You', lang: '中文',
      learning: 'Getting to know the voice', calm: 'Calm', tense: 'Getting tense', angry: 'Upset',
      hint_learning: 'Listening to the first seconds of speech',
      hint_calm: 'As usual for this caller', hint_tense: 'A little more strained than usual',
      hint_angry: 'Clearly more strained than usual', hint_none: 'Waiting for the monitor',
      alert_anger: 'The caller is getting upset', alert_profile: 'Caller style recognised',
      alert_other: 'Notice', earlier: 'Earlier',
      disconnected: 'Monitor disconnected — reconnecting…',
      ended: 'Call ended', conf: 'confidence',
      at: 'at', min: 'min', s: 's', usual: 'usual',
      eagle: 'Eagle — direct', peacock: 'Peacock — expressive', dove: 'Dove — amiable', owl: 'Owl — analytical',
      undetermined: 'Not clear yet',
      latency: 'latency p99', drops: 'dropped', notconnected: 'audio not connected',
      customer: 'caller', agent: 'you',
    },
    zh: {
      caller: '来电者', trend: '紧张度走势', vsbaseline: '与来电者平时的声音相比',
      rate: '语速', volume: '音量', pitchvar: '语调变化', pitch: '音调',
      style: '来电者类型', you: '您自己', lang: 'English',
      learning: '正在熟悉声音', calm: '平静', tense: '有些紧张', angry: '情绪激动',
      hint_learning: '正在聆听开头几秒的讲话',
      hint_calm: '与平时一样', hint_tense: '比平时稍显紧绷', hint_angry: '明显比平时紧绷',
      hint_none: '等待监控数据',
      alert_anger: '来电者的情绪在升温', alert_profile: '已识别来电者类型', alert_other: '提示', earlier: '此前',
      disconnected: '监控已断开 — 正在重新连接…',
      ended: '通话已结束', conf: '把握',
      at: '于', min: '分钟', s: '秒', usual: '平时',
      eagle: '老鹰型 — 直接', peacock: '孔雀型 — 外向', dove: '鸽子型 — 随和', owl: '猫头鹰型 — 严谨',
      undetermined: '尚未确定',
      latency: '延迟 p99', drops: '丢失', notconnected: '音频未连接',
      customer: '来电者', agent: '您',
    },
  };

  const $ = (id) => document.getElementById(id);
  const stats = {
    events: 0, snapshots: 0, connects: 0,
    latencies: [],          // publish → shown, ms (last LATENCIES_MAX)
    alerts: [],             // {kind, role, sent_ms, shown_ms} of alerts shown
    connected: false,
  };
  let lang = 'en';
  try { lang = localStorage.getItem('tonewatch.lang') || ''; } catch (_) { lang = ''; }
  if (lang !== 'en' && lang !== 'zh') lang = (navigator.language || '').startsWith('zh') ? 'zh' : 'en';

  let S = empty();
  let pending = [];             // live events received since the last frame
  let frame = 0;
  let lastMessage = 0;
  let es = null;
  let retryTimer = 0;

  function empty() {
    return { start: null, end: null, status: null, points: {}, summaries: {}, alerts: [], cues: [], trend: {} };
  }
  function bounded(list, item, max) {
    list.push(item);
    if (list.length > max) list.splice(0, list.length - max);
  }
  function pushTrend(role, t, score) {
    const tr = S.trend[role] || (S.trend[role] = []);
    tr.push([t, score]);
    let drop = 0;
    while (drop < tr.length && (tr.length - drop > TREND_MAX || tr[drop][0] < t - TREND_S)) drop++;
    if (drop) tr.splice(0, drop);
  }

  function apply(ev) {
    const role = ev.role || 'customer';
    switch (ev.type) {
      case 'start': S = empty(); S.start = ev; break;
      case 'end': S.end = ev; break;
      case 'status': S.status = ev; break;
      case 'point': S.points[role] = ev; pushTrend(role, ev.time_s, ev.anger_score); break;
      case 'summary': S.summaries[role] = ev; break;
      case 'alert':
        if (ev.profile) S.summaries[role] = Object.assign({}, S.summaries[role], { profile: ev.profile });
        bounded(S.alerts, ev, ALERTS_MAX);
        break;
      case 'cue': bounded(S.cues, ev, CUES_MAX); break;
      default: break;
    }
  }

  function applySnapshot(snap) {
    S = empty();
    S.start = snap.start; S.end = snap.end; S.status = snap.status;
    S.points = snap.points || {}; S.summaries = snap.summaries || {};
    S.alerts = (snap.alerts || []).slice(-ALERTS_MAX);
    S.cues = (snap.cues || []).slice(-CUES_MAX);
    for (const [role, list] of Object.entries(snap.trend || {})) S.trend[role] = list.slice(-TREND_MAX);
    stats.snapshots++;
    pending.length = 0;
    schedule();
  }

  function schedule() { if (!frame) frame = requestAnimationFrame(render); }

  // ---------- rendering ----------
  const fmt = (v, d) => (v === null || v === undefined || !isFinite(v)) ? '–' : Number(v).toFixed(d);
  function setText(el, text) { if (el.textContent !== text) el.textContent = text; }
  function tr(key) { return (T[lang] && T[lang][key]) || T.en[key] || key; }
  function pick(obj, en, zh) { return obj ? (lang === 'zh' ? (obj[zh] || obj[en] || '') : (obj[en] || obj[zh] || '')) : ''; }

  function deltaCell(td, now, base, kind) {
    let text = '–', cls = 'same';
    if (now !== null && now !== undefined && base !== null && base !== undefined) {
      let d, unit, small;
      if (kind === 'rate') { d = base > 0 ? (now / base - 1) * 100 : null; unit = ' %'; small = 5; }
      else if (kind === 'level') { d = now - base; unit = ' dB'; small = 1; }
      else if (kind === 'pitch') { d = base > 0 && now > 0 ? 12 * Math.log2(now / base) : null; unit = ' st'; small = 0.5; }
      else { d = now - base; unit = ' st'; small = 0.3; }
      if (d !== null && isFinite(d)) {
        const arrow = Math.abs(d) < small ? '≈' : (d > 0 ? '↑' : '↓');
        cls = Math.abs(d) < small ? 'same' : (d > 0 ? 'up' : 'down');
        const v = Number(d.toFixed(kind === 'rate' ? 0 : 1));
        text = `${arrow} ${v > 0 ? '+' : v < 0 ? '−' : '±'}${Math.abs(v).toFixed(kind === 'rate' ? 0 : 1)}${unit}`;
      }
    }
    setText(td, text);
    if (td.className !== `delta ${cls}`) td.className = `delta ${cls}`;
  }

  function renderMeasures(table, p) {
    const b = (p && p.baseline) || {};
    const rows = {
      rate: [p && p.speech_rate_syl_s, b.speech_rate_syl_s, 1, lang === 'zh' ? ' 音节/秒' : ' syl/s'],
      level: [p && p.active_level_dbfs, b.active_level_dbfs, 1, ' dBFS'],
      pitchsd: [p && p.pitch_sd_st, b.pitch_sd_st, 1, ' st'],
      pitch: [p && p.pitch_median_hz, b.pitch_median_hz, 0, ' Hz'],
    };
    for (const row of table.rows) {
      const [now, base, d, unit] = rows[row.dataset.m];
      setText(row.cells[1], now === null || now === undefined ? '–' : fmt(now, d) + unit);
      deltaCell(row.cells[2], now, base, row.dataset.m);
    }
  }

  function renderGauge(p) {
    const state = p ? p.state : 'none';
    const score = p ? p.anger_score : null;
    const pct = score === null || score === undefined ? 0 : Math.max(0, Math.min(1, score)) * 100;
    const fill = $('gauge-fill');
    const dash = `${pct.toFixed(1)} 100`;
    if (fill.getAttribute('stroke-dasharray') !== dash) fill.setAttribute('stroke-dasharray', dash);
    const colour = { calm: 'var(--calm)', tense: 'var(--tense)', angry: 'var(--angry)' }[state] || 'var(--learning)';
    if (fill.style.stroke !== colour) fill.style.stroke = colour;
    setText($('gauge-num'), score === null || score === undefined ? '–' : String(Math.round(pct)));
    const st = $('state');
    if (st.dataset.state !== state) st.dataset.state = state;
    setText(st, state === 'none' ? '–' : tr(state));
    setText($('state-hint'), tr('hint_' + state));
  }

  function renderTrend() {
    const canvas = $('trend');
    const w = canvas.clientWidth || 320, h = canvas.clientHeight || 44;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * dpr)) { canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr); }
    const g = canvas.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const list = S.trend.customer || [];
    g.strokeStyle = '#dde3e7'; g.lineWidth = 1;
    g.beginPath(); g.moveTo(0, h - 0.5); g.lineTo(w, h - 0.5); g.stroke();
    if (!list.length) { setText($('trend-span'), ''); return; }
    const t1 = list[list.length - 1][0];
    const span = Math.min(TREND_S, Math.max(60, t1 - list[0][0]));
    const t0 = t1 - span;
    const p = S.points.customer;
    const state = p ? p.state : 'calm';
    g.strokeStyle = { tense: '#b99a4a', angry: '#c7834a' }[state] || '#4f8f8a';
    g.lineWidth = 1.5;
    g.beginPath();
    let pen = false;
    for (const [t, s] of list) {
      if (t < t0) continue;
      if (s === null || s === undefined) { pen = false; continue; }
      const x = ((t - t0) / span) * w, y = h - 2 - s * (h - 4);
      if (pen) g.lineTo(x, y); else g.moveTo(x, y);
      pen = true;
    }
    g.stroke();
    setText($('trend-span'), `(${span >= 120 ? Math.round(span / 60) + ' ' + tr('min') : Math.round(span) + ' ' + tr('s')})`);
  }

  function renderAlert() {
    let a = null;
    for (let i = S.alerts.length - 1; i >= 0; i--) {
      if ((S.alerts[i].role || 'customer') === 'customer') { a = S.alerts[i]; break; }
    }
    const card = $('alert');
    if (!a) { card.hidden = true; return; }
    card.hidden = false;
    // Once the caller has been calm again for a while, the alert is history:
    // it stays readable but stops drawing the eye.
    const p = S.points.customer;
    const past = !!p && p.state === 'calm' && p.time_s - a.time_s > PAST_S;
    card.classList.toggle('past', past);
    const title = a.kind === 'anger_rising' ? tr('alert_anger') : a.kind === 'profile' ? tr('alert_profile') : tr('alert_other');
    setText($('alert-title'), past ? `${tr('earlier')}: ${title}` : title);
    setText($('alert-time'), `${tr('at')} ${formatTime(a.time_s)}`);
    setText($('alert-msg'), pick(a, 'message', 'message_zh'));
    setText($('alert-advice'), pick(a, 'advice_en', 'advice_zh'));
    if (card.dataset.kind !== a.kind) card.dataset.kind = a.kind;
  }

  function formatTime(t) {
    if (t === null || t === undefined) return '';
    const m = Math.floor(t / 60), s = Math.floor(t % 60);
    return `${m}:${String(s).padStart(2, '0')}`;
  }

  function renderProfile() {
    const sum = S.summaries.customer;
    const p = sum && sum.profile;
    setText($('profile-type'), p ? tr(p.type) : '–');
    setText($('profile-conf'), p && p.type !== 'undetermined' && isFinite(p.confidence) ? `${tr('conf')} ${Math.round(p.confidence * 100)} %` : '');
    setText($('profile-reasons'), pick(p, 'reasons_en', 'reasons_zh'));
    setText($('profile-advice'), pick(p, 'advice_en', 'advice_zh'));
  }

  function agentPresent() {
    if (S.points.agent || S.cues.some((c) => (c.role || 'agent') === 'agent')) return true;
    const parties = (S.start && S.start.parties) || [];
    return parties.some((p) => p.role === 'agent');
  }

  function renderAgent() {
    const card = $('agent');
    const present = agentPresent();
    card.hidden = !present;
    if (!present) return;
    renderMeasures($('agent-measures'), S.points.agent);
    const cues = [];
    for (const c of S.cues) if ((c.role || 'agent') === 'agent') cues.push(c);
    for (const a of S.alerts) if (a.role === 'agent') cues.push(a);
    cues.sort((x, y) => (y.time_s || 0) - (x.time_s || 0));
    const ul = $('cues');
    const items = cues.slice(0, 3).map((c) => `${formatTime(c.time_s)} ${pick(c, 'message', 'message_zh') || c.kind || ''}`);
    const key = items.join('\n');
    if (ul.dataset.key !== key) {
      ul.dataset.key = key;
      ul.replaceChildren(...items.map((text) => { const li = document.createElement('li'); li.textContent = text; return li; }));
    }
  }

  function renderStatus() {
    const parts = [];
    const st = S.status;
    if (st) {
      if (st.latency && isFinite(st.latency.p99_ms)) parts.push(`${tr('latency')} ${fmt(st.latency.p99_ms, 1)} ms`);
      for (const p of st.parties || []) {
        if (p.overflows > 0) parts.push(`${tr(p.role)}: ${tr('drops')} ${p.overflows}`);
        if (p.connected === false) parts.push(`${tr(p.role)}: ${tr('notconnected')}`);
      }
    }
    setText($('status'), parts.join(' · '));
    const src = S.start ? String(S.start.source || '') : '';
    setText($('source'), src);
  }

  function renderBanner() {
    const banner = $('banner');
    let text = '';
    if (!stats.connected) text = tr('disconnected');
    else if (S.end) text = `${tr('ended')}${S.end.reason ? ' — ' + S.end.reason : ''}`;
    banner.hidden = !text;
    setText(banner, text);
    document.body.classList.toggle('stale', !stats.connected);
  }

  function renderLanguage() {
    document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
    for (const el of document.querySelectorAll('[data-i18n]')) setText(el, tr(el.dataset.i18n));
    setText($('lang'), tr('lang'));
  }

  function render() {
    frame = 0;
    renderLanguage();
    renderGauge(S.points.customer);
    renderTrend();
    renderMeasures($('measures'), S.points.customer);
    renderAlert();
    renderProfile();
    renderAgent();
    renderStatus();
    renderBanner();
    // Everything above is in the DOM and painted with this frame.
    const shown = performance.timeOrigin + performance.now();
    for (const ev of pending) {
      if (typeof ev.sent_ms === 'number') bounded(stats.latencies, shown - ev.sent_ms, LATENCIES_MAX);
      if (ev.type === 'alert') bounded(stats.alerts, { kind: ev.kind, role: ev.role, sent_ms: ev.sent_ms, shown_ms: shown }, 50);
    }
    pending.length = 0;
  }

  // ---------- the stream ----------
  function setConnected(on) {
    if (stats.connected !== on) { stats.connected = on; schedule(); }
  }

  function connect() {
    clearTimeout(retryTimer);
    if (es) es.close();
    es = new EventSource('events' + location.search);
    es.addEventListener('snapshot', (e) => {
      lastMessage = Date.now();
      stats.connects++;
      setConnected(true);
      applySnapshot(JSON.parse(e.data));
    });
    es.addEventListener('ping', () => { lastMessage = Date.now(); setConnected(true); });
    es.onmessage = (e) => {
      lastMessage = Date.now();
      let ev;
      try { ev = JSON.parse(e.data); } catch (_) { return; }
      stats.events++;
      apply(ev);
      // Measured only for live events; bounded should frames stop (hidden tab).
      if (pending.length < 1000) pending.push(ev);
      schedule();
    };
    es.onerror = () => {
      setConnected(false);
      // The browser retries by itself after a network error; after an HTTP
      // error it gives up, so try again ourselves.
      if (es.readyState === EventSource.CLOSED) retryTimer = setTimeout(connect, RETRY_MS);
    };
  }

  // A silent stream (a half-open connection) also means the monitor is gone.
  setInterval(() => {
    if (stats.connected && Date.now() - lastMessage > STALE_MS) { setConnected(false); connect(); }
  }, 2000);

  document.addEventListener('DOMContentLoaded', () => {
    $('lang').addEventListener('click', () => {
      lang = lang === 'zh' ? 'en' : 'zh';
      try { localStorage.setItem('tonewatch.lang', lang); } catch (_) { /* private mode */ }
      schedule();
    });
    window.addEventListener('resize', schedule);
    schedule();
    connect();
  });

  // For the browser test and for curious trainers: state and figures.
  window.tonewatchPanel = { stats, state: () => S };
})();

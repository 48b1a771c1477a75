/*
 * Sluice UI: helpers shared by the pages (no build step, no dependencies). The token the page
 * was opened with (?token=...) is added to every API and event-stream URL and to links, since a
 * UI with a token refuses any request without it.
 */
'use strict';
(function () {
  const params = new URLSearchParams(location.search);
  const token = params.get('token');

  /** `path` (relative to the page) with the page's token added. */
  function withToken(path) {
    if (!token) return path;
    return path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token);
  }

  /** GET a JSON endpoint; rejects with the server's message on an error status. */
  async function getJson(path) {
    const res = await fetch(withToken(path), { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const error = new Error(body.message || res.status + ' ' + res.statusText);
      error.status = res.status;
      throw error;
    }
    return body;
  }

  const pad = (n, w = 2) => String(n).padStart(w, '0');

  /** Spark's UI date format, yyyy/MM/dd HH:mm:ss (local time), with milliseconds if asked. */
  function formatDate(ms, withMillis) {
    const d = new Date(ms);
    const s = `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    return withMillis ? `${s}.${pad(d.getMilliseconds(), 3)}` : s;
  }

  function formatClock(ms, withMillis) {
    const d = new Date(ms);
    const s = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    return withMillis ? `${s}.${pad(d.getMilliseconds(), 3)}` : s;
  }

  /** Spark's `formatDuration`: 12 ms, 0.3 s, 4 s, 1.5 min, 2.0 h. */
  function formatDuration(ms) {
    if (ms === undefined || ms === null) return '-';
    if (ms < 100) return `${Math.round(ms)} ms`;
    const seconds = ms / 1000;
    if (seconds < 1) return `${seconds.toFixed(1)} s`;
    if (seconds < 60) return `${seconds.toFixed(0)} s`;
    const minutes = seconds / 60;
    if (minutes < 10) return `${minutes.toFixed(1)} min`;
    if (minutes < 60) return `${minutes.toFixed(0)} min`;
    return `${(minutes / 60).toFixed(1)} h`;
  }

  /** Spark's `formatDurationVerbose`: "100 ms", "1 second", "2 minutes 5 seconds". */
  function formatDurationVerbose(ms) {
    ms = Math.max(0, Math.floor(ms));
    const unit = (n, name) => (n === 0 ? '' : n === 1 ? `1 ${name}` : `${n} ${name}s`);
    const second = 1000, minute = 60 * second, hour = 60 * minute, day = 24 * hour, week = 7 * day;
    const millis = ms >= second && ms % second === 0 ? '' : `${ms % second} ms`;
    const secs = unit(Math.floor((ms % minute) / second), 'second');
    const mins = unit(Math.floor((ms % hour) / minute), 'minute');
    const hours = unit(Math.floor((ms % day) / hour), 'hour');
    const days = unit(Math.floor((ms % week) / day), 'day');
    const weeks = unit(Math.floor(ms / week), 'week');
    const join = (...parts) => parts.filter((p) => p !== '').join(' ') || '0 ms';
    if (ms < second) return millis;
    if (ms < minute) return join(secs, millis);
    if (ms < hour) return join(mins, secs);
    if (ms < day) return join(hours, mins, secs);
    if (ms < week) return join(days, hours, mins);
    return join(weeks, days, hours);
  }

  function formatNumber(n, digits) {
    if (n === undefined || n === null || Number.isNaN(n)) return '-';
    return digits === undefined ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  function formatBytes(n) {
    if (n === undefined || n === null) return '-';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
  }

  /** An element with attributes and children (strings become text nodes: never HTML). */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  /** Replaces the rows of `tbody` (or shows `empty` in one row spanning `columns`). */
  function setRows(tbody, rows, columns, empty) {
    if (rows.length === 0) tbody.replaceChildren(el('tr', { class: 'empty' }, el('td', { colspan: columns }, empty)));
    else tbody.replaceChildren(...rows);
  }

  function setText(id, text) {
    const e = document.getElementById(id);
    if (e && e.textContent !== String(text)) e.textContent = String(text);
  }

  const byId = (id) => document.getElementById(id);

  /** The connection badge (#conn): its state (styling) and text. */
  function setConnection(state, text) {
    const c = byId('conn');
    c.dataset.state = state;
    c.textContent = text;
  }

  window.Sluice = { token, withToken, getJson, formatDate, formatClock, formatDuration, formatDurationVerbose, formatNumber, formatBytes, el, setRows, setText, byId, setConnection };
})();

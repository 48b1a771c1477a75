/*
 * Sluice UI, main page: Spark's Streaming tab plus the engine's own view. The page keeps a model
 * fed by the event stream (a snapshot on connect, then one update per batch or receiver event)
 * and redraws at most five times a second. Nothing is polled.
 */
'use strict';
(function () {
  const { el, setRows, setText, byId, setConnection, withToken, formatDate, formatClock, formatDuration, formatDurationVerbose, formatNumber, formatBytes } = window.Sluice;
  const Charts = window.SluiceCharts;
  const MAX_TABLE_ROWS = 200; // rows drawn in the completed table (the REST API has all retained)
  const MAX_WORKER_SAMPLES = 300;

  const model = {
    ready: false,
    appName: '',
    running: true,
    stopped: false,
    batchDuration: 1000,
    retained: 1000,
    serverTime: 0, // the server clock at the last event ...
    receivedAt: 0, // ... and when the page got it
    statistics: {},
    receivers: new Map(), // streamId -> summary
    eventRates: new Map(), // streamId -> Map(batchTime -> records/s)
    rateLimits: new Map(), // streamId -> Map(batchTime -> limit)
    batches: new Map(), // batchId -> BatchInfo (REST shape)
    graph: undefined,
    workerSamples: [], // [time, utilization]
  };

  // ------------------------------------------------------------------ model

  function applySnapshot(snap) {
    model.ready = true;
    model.appName = snap.appName;
    model.running = snap.running;
    model.batchDuration = snap.batchDuration;
    model.retained = snap.retainedBatches;
    model.serverTime = Date.parse(snap.time);
    model.receivedAt = Date.now();
    model.statistics = snap.statistics;
    model.receivers = new Map(snap.receivers.map((r) => [r.streamId, r]));
    model.eventRates = new Map(snap.receivers.map((r) => [r.streamId, new Map(r.eventRates)]));
    model.rateLimits = new Map(snap.receivers.map((r) => [r.streamId, new Map(r.rateLimits)]));
    model.batches = new Map(snap.batches.map((b) => [b.batchId, b]));
    model.graph = snap.graph;
    sampleWorkers(snap.graph);
  }

  function applyUpdate(u) {
    model.running = u.running;
    model.serverTime = Date.parse(u.time);
    model.receivedAt = Date.now();
    model.statistics = u.statistics;
    for (const r of u.receivers) model.receivers.set(r.streamId, { ...model.receivers.get(r.streamId), ...r });
    if (u.batch) model.batches.set(u.batch.batchId, u.batch);
    if (u.inputs && u.batch) {
      const rates = new Map(u.inputs.map((i) => [i.streamId, i]));
      for (const id of model.receivers.keys()) {
        if (!model.eventRates.has(id)) model.eventRates.set(id, new Map());
        model.eventRates.get(id).set(u.batch.batchId, rates.get(id)?.rate ?? 0);
        const limit = rates.get(id)?.rateLimit;
        if (limit !== undefined) {
          if (!model.rateLimits.has(id)) model.rateLimits.set(id, new Map());
          model.rateLimits.get(id).set(u.batch.batchId, limit);
        }
      }
    }
    if (u.graph) {
      model.graph = u.graph;
      sampleWorkers(u.graph);
    }
    trim();
  }

  function sampleWorkers(graph) {
    if (graph && graph.workers.utilization !== undefined) {
      model.workerSamples.push([Date.parse(graph.time), graph.workers.utilization * 100]);
      if (model.workerSamples.length > MAX_WORKER_SAMPLES) model.workerSamples.shift();
    }
  }

  /** Keeps what the server keeps: the last `retained` completed batches (and their rates). */
  function trim() {
    const completed = [...model.batches.values()].filter((b) => b.status === 'COMPLETED').sort((a, b) => a.batchId - b.batchId);
    const excess = completed.length - model.retained;
    if (excess <= 0) return;
    for (let i = 0; i < excess; i++) model.batches.delete(completed[i].batchId);
    const oldest = completed[excess].batchId;
    for (const series of [...model.eventRates.values(), ...model.rateLimits.values()]) {
      for (const t of series.keys()) if (t < oldest) series.delete(t);
    }
  }

  // ------------------------------------------------------------------ rendering

  // Events can come dozens of times a second (several per batch): redraw at most every 200 ms.
  const MIN_RENDER_INTERVAL_MS = 200;
  let scheduled = false;
  let lastRender = 0;
  function scheduleRender() {
    if (scheduled) return;
    scheduled = true;
    const wait = Math.max(0, lastRender + MIN_RENDER_INTERVAL_MS - Date.now());
    setTimeout(() => {
      requestAnimationFrame(() => {
        scheduled = false;
        lastRender = Date.now();
        render();
      });
    }, wait);
  }

  const subSecond = () => model.batchDuration % 1000 !== 0;
  const batchTimeText = (ms) => formatDate(ms, subSecond());
  const clockText = (ms) => formatClock(ms, subSecond());
  const rateText = (v) => formatNumber(v, 2);
  /** Milliseconds on a chart axis: exact below a second (250 ms), then seconds (1.5 s). */
  const msText = (v) => (v < 1000 ? `${Math.round(v)} ms` : `${Charts.compact(v / 1000)} s`);

  function serverNow() {
    return model.stopped ? model.serverTime : model.serverTime + (Date.now() - model.receivedAt);
  }

  function renderHeader() {
    const st = model.statistics;
    setText('app-name', model.appName);
    document.title = `${model.appName} · Sluice Streaming`;
    setText('run-verb', model.stopped ? 'Ran' : 'Running');
    setText('batch-interval', formatDurationVerbose(model.batchDuration));
    const start = st.startTime ? Date.parse(st.startTime) : undefined;
    setText('uptime', start === undefined ? '-' : formatDurationVerbose(serverNow() - start));
    setText('start-time', start === undefined ? '-' : formatDate(start));
    setText('completed-count', formatNumber(st.numTotalCompletedBatches ?? 0));
    setText('records-count', formatNumber(st.numReceivedRecords ?? 0));
    byId('completed-count').dataset.value = String(st.numTotalCompletedBatches ?? 0);
    byId('records-count').dataset.value = String(st.numReceivedRecords ?? 0);
    byId('stopped-banner').hidden = !model.stopped;
  }

  function renderStatistics(retained, xMin, xMax) {
    const st = model.statistics;
    setText('receivers-active', st.numActiveReceivers ?? 0);
    setText('receivers-total', st.numReceivers ?? 0);
    setText('avg-input-rate', st.avgInputRate === undefined ? '-' : rateText(st.avgInputRate));
    setText('avg-scheduling-delay', formatDuration(st.avgSchedulingDelay));
    setText('avg-processing-time', formatDuration(st.avgProcessingTime));
    setText('avg-total-delay', formatDuration(st.avgTotalDelay));

    const interval = model.batchDuration;
    const rates = retained.map((b) => [b.batchId, (b.inputSize * 1000) / interval]);
    const rateMax = Charts.niceMax(Math.max(0, ...rates.map((p) => p[1])));
    Charts.timeline(byId('timeline-input-rate'), { points: rates, xMin, xMax, yMax: rateMax, format: (v) => `${Charts.compact(v)}/s`, formatX: clockText });
    Charts.histogram(byId('histogram-input-rate'), { values: rates.map((p) => p[1]), yMax: rateMax, format: (v) => `${Charts.compact(v)}/s` });

    const delayCharts = [
      ['scheduling-delay', (b) => b.schedulingDelay, undefined],
      ['processing-time', (b) => b.processingTime, { value: interval, label: `batch interval ${formatDuration(interval)}` }],
      ['total-delay', (b) => b.totalDelay, undefined],
    ];
    for (const [name, get, mark] of delayCharts) {
      const points = retained.filter((b) => get(b) !== undefined).map((b) => [b.batchId, get(b)]);
      const yMax = Charts.niceMax(Math.max(1, ...points.map((p) => p[1]), mark ? mark.value : 0));
      Charts.timeline(byId(`timeline-${name}`), { points, xMin, xMax, yMax, mark, format: msText, formatX: clockText });
      Charts.histogram(byId(`histogram-${name}`), { values: points.map((p) => p[1]), yMax, mark, format: msText });
    }
  }

  function renderSourceCharts(xMin, xMax) {
    const container = byId('source-charts');
    const ids = [...model.receivers.keys()].sort((a, b) => a - b);
    const existing = new Map([...container.children].map((c) => [Number(c.dataset.streamId), c]));
    for (const [id, row] of existing) if (!ids.includes(id)) row.remove();
    ids.forEach((id, i) => {
      const r = model.receivers.get(id);
      let row = existing.get(id);
      if (!row) {
        const svgNs = 'http://www.w3.org/2000/svg';
        const tl = document.createElementNS(svgNs, 'svg');
        tl.setAttribute('class', 'timeline');
        const hist = document.createElementNS(svgNs, 'svg');
        hist.setAttribute('class', 'histogram');
        row = el('div', { class: 'source-chart', 'data-stream-id': id }, el('div', { class: 'source-label' }), tl, hist);
        container.append(row);
      }
      row.querySelector('.source-label').textContent = `${r.streamName} [${id}] · avg ${r.avgEventRate === undefined ? '-' : rateText(r.avgEventRate)} records/s`;
      const points = [...(model.eventRates.get(id) || new Map()).entries()].sort((a, b) => a[0] - b[0]);
      const yMax = Charts.niceMax(Math.max(0, ...points.map((p) => p[1])));
      const color = Charts.PALETTE[i % Charts.PALETTE.length];
      const [tl, hist] = row.querySelectorAll('svg');
      Charts.timeline(tl, { points, xMin, xMax, yMax, color, format: (v) => `${Charts.compact(v)}/s`, formatX: clockText });
      Charts.histogram(hist, { values: points.map((p) => p[1]), yMax, color, format: (v) => `${Charts.compact(v)}/s` });
    });
  }

  function renderSources() {
    const rows = [...model.receivers.values()]
      .sort((a, b) => a.streamId - b.streamId)
      .map((r) => {
        const rates = [...(model.eventRates.get(r.streamId) || new Map()).entries()].sort((a, b) => a[0] - b[0]);
        const lastRate = rates.length ? rates[rates.length - 1][1] : undefined;
        const error = r.lastErrorMessage
          ? el('span', { class: 'error-text', title: r.lastError || r.lastErrorMessage }, `${r.lastErrorTime ? formatClock(Date.parse(r.lastErrorTime)) + ' ' : ''}${r.lastErrorMessage}`)
          : '-';
        return el(
          'tr',
          { 'data-stream-id': r.streamId },
          el('td', {}, `${r.streamName} `, el('span', { class: 'muted' }, `[${r.streamId}]${r.hasReceiver ? ' receiver' : ''}`)),
          el('td', { class: 'status' }, el('span', { class: `badge ${r.isActive ? 'ok' : 'off'}` }, r.isActive ? 'ACTIVE' : 'INACTIVE')),
          num(lastRate, rateText),
          num(r.avgEventRate, rateText),
          num(r.rateLimit, (v) => formatNumber(v, 0)),
          num(r.numRecords, formatNumber),
          num(r.malformedRecords, formatNumber, r.malformedRecords > 0 ? 'warn' : ''),
          num(r.deadLetteredRecords, formatNumber),
          num(r.droppedRecords, formatNumber, r.droppedRecords > 0 ? 'warn' : ''),
          num(r.bufferedBytes, formatBytes),
          el('td', { class: 'last-error' }, error),
        );
      });
    setRows(byId('sources-table').tBodies[0], rows, 11, 'no input streams');
  }

  function num(value, format, cls) {
    return el('td', { class: `num ${cls || ''}`.trim(), 'data-value': value === undefined ? '' : value }, value === undefined ? '-' : format(value));
  }

  function renderEngine(xMin, xMax) {
    const g = model.graph;
    if (!g) return;
    Charts.dag(byId('dag'), g.operators, formatNumber);

    const series = [...model.rateLimits.entries()]
      .filter(([, m]) => m.size > 0)
      .map(([id, m]) => ({ name: model.receivers.get(id)?.streamName ?? `stream ${id}`, points: [...m.entries()].sort((a, b) => a[0] - b[0]) }));
    Charts.lines(byId('rate-limit-chart'), {
      series,
      xMin,
      xMax,
      format: (v) => `${Charts.compact(v)}/s`,
      formatX: clockText,
      emptyText: 'no source reports a rate limit (no backpressure or maximum rate)',
    });

    const w = g.workers;
    setText('workers', w.utilization === undefined
      ? `${w.threads} thread${w.threads === 1 ? '' : 's'} · utilisation: the kernels have not run on workers yet`
      : `${w.threads} thread${w.threads === 1 ? '' : 's'} · utilisation ${formatNumber(w.utilization * 100, 1)} %`);
    Charts.lines(byId('worker-chart'), {
      series: model.workerSamples.length ? [{ name: 'utilisation %', points: model.workerSamples }] : [],
      yMax: 100,
      format: (v) => `${formatNumber(v, 0)} %`,
      formatX: (t) => formatClock(t),
      emptyText: 'no worker utilisation reported yet',
    });

    const stateful = g.operators.filter((o) => o.stateSize !== undefined);
    setRows(
      byId('state-table').tBodies[0],
      stateful.map((o) => el('tr', { 'data-operator-id': o.id }, el('td', {}, `${o.name} [${o.id}]`), num(o.stateSize, formatNumber), num(o.lastBatchRecords, formatNumber))),
      3,
      'no stateful operator',
    );

    const c = g.checkpoint;
    setText('checkpoint', !c.enabled
      ? 'checkpointing disabled (no ssc.checkpoint(directory))'
      : c.lastCheckpointTime === undefined
        ? `no checkpoint yet · ${c.directory}`
        : `last checkpoint ${formatDurationVerbose(c.ageMs)} ago (${formatDate(Date.parse(c.lastCheckpointTime))}) · ${c.directory}`);
  }

  function batchLink(b) {
    return el('a', { href: withToken(`batch.html?id=${b.batchId}`) }, batchTimeText(b.batchId));
  }

  function opsCell(b) {
    const text = `${b.numCompletedOutputOps}/${b.numTotalOutputOps}${b.numFailedOutputOps ? ` (${b.numFailedOutputOps} failed)` : ''}`;
    const cell = el('td', { class: 'ops' });
    const bar = el('div', { class: 'progress' });
    const done = b.numTotalOutputOps ? (b.numCompletedOutputOps / b.numTotalOutputOps) * 100 : 0;
    const failed = b.numTotalOutputOps ? (b.numFailedOutputOps / b.numTotalOutputOps) * 100 : 0;
    // Widths through the CSSOM: the page's CSP forbids inline style attributes.
    const ok = el('span', { class: 'progress-ok' });
    ok.style.width = `${done}%`;
    const bad = el('span', { class: 'progress-failed' });
    bad.style.width = `${failed}%`;
    bar.append(ok, bad, el('span', { class: 'progress-text' }, text));
    cell.append(bar);
    cell.dataset.value = `${b.numCompletedOutputOps}/${b.numTotalOutputOps}`;
    return cell;
  }

  function renderBatches() {
    const all = [...model.batches.values()];
    const active = all.filter((b) => b.status !== 'COMPLETED').sort((a, b) => b.batchId - a.batchId);
    const completed = all.filter((b) => b.status === 'COMPLETED').sort((a, b) => b.batchId - a.batchId);
    setText('active-count', active.length);
    setRows(
      byId('active-batches').tBodies[0],
      active.map((b) =>
        el('tr', { 'data-batch-id': b.batchId }, el('td', {}, batchLink(b)), num(b.inputSize, formatNumber), num(b.schedulingDelay, formatDuration), num(b.processingTime, formatDuration), opsCell(b), el('td', { class: 'status' }, b.status === 'QUEUED' ? 'queued' : 'processing')),
      ),
      6,
      'no active batch',
    );
    setText('completed-retained', formatNumber(model.statistics.numRetainedCompletedBatches ?? completed.length));
    setText('completed-total', formatNumber(model.statistics.numTotalCompletedBatches ?? completed.length));
    const note = byId('completed-note');
    note.hidden = completed.length <= MAX_TABLE_ROWS;
    note.textContent = `Showing the newest ${MAX_TABLE_ROWS}; GET api/v1/streaming/batches lists every retained batch.`;
    setRows(
      byId('completed-batches').tBodies[0],
      completed.slice(0, MAX_TABLE_ROWS).map((b) =>
        el(
          'tr',
          { 'data-batch-id': b.batchId, class: b.numFailedOutputOps ? 'failed' : undefined },
          el('td', {}, batchLink(b)),
          num(b.inputSize, formatNumber),
          num(b.schedulingDelay, formatDuration),
          num(b.processingTime, formatDuration),
          num(b.totalDelay, formatDuration),
          opsCell(b),
          el('td', { class: 'error-text' }, b.firstFailureReason || ''),
        ),
      ),
      7,
      'no completed batch yet',
    );
  }

  function render() {
    if (!model.ready) return;
    const retained = [...model.batches.values()].sort((a, b) => a.batchId - b.batchId);
    const xMin = retained.length ? retained[0].batchId : undefined;
    const xMax = retained.length ? retained[retained.length - 1].batchId : undefined;
    renderHeader();
    renderStatistics(retained, xMin, xMax);
    renderSourceCharts(xMin, xMax);
    renderSources();
    renderEngine(xMin, xMax);
    renderBatches();
  }

  // ------------------------------------------------------------------ live feed

  let updates = 0;
  /** Counts the events received (tests and tooling read it from the body's data-updates). */
  function received() {
    updates++;
    document.body.dataset.updates = String(updates);
  }

  function connect() {
    const source = new EventSource(withToken('api/v1/streaming/events'));
    source.addEventListener('open', () => setConnection('live', 'live'));
    source.addEventListener('snapshot', (e) => {
      applySnapshot(JSON.parse(e.data));
      received();
      setConnection('live', 'live');
      scheduleRender();
    });
    source.addEventListener('update', (e) => {
      applyUpdate(JSON.parse(e.data));
      received();
      scheduleRender();
    });
    source.addEventListener('stopped', (e) => {
      applyUpdate(JSON.parse(e.data));
      received();
      model.stopped = true;
      source.close(); // the server is closing: do not reconnect
      setConnection('stopped', 'stopped');
      scheduleRender();
    });
    source.addEventListener('error', () => {
      if (model.stopped) return;
      if (source.readyState === EventSource.CLOSED) {
        // The server refused the stream (e.g. a wrong token): say so instead of retrying forever.
        setConnection('error', 'disconnected');
        fetch(withToken('api/v1/streaming/statistics')).then(async (res) => {
          if (!res.ok) showError((await res.json().catch(() => ({}))).message || `HTTP ${res.status}`);
        }, () => showError('the job is not reachable any more'));
      } else {
        setConnection('retrying', 'reconnecting…');
      }
    });
  }

  function showError(message) {
    const b = byId('error-banner');
    b.textContent = message;
    b.hidden = false;
  }

  // The uptime ticks between events.
  setInterval(() => {
    if (model.ready && !model.stopped) renderHeader();
  }, 1000);
  connect();
})();

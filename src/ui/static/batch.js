/*
 * Sluice UI, batch detail page (Spark's batch page): the batch's timings, each output
 * operation with its status and failure reason, and what each input stream contributed with
 * its metadata (offset ranges, files, counters). Reloads itself while the batch is active.
 */
'use strict';
(function () {
  const { el, setRows, setText, byId, setConnection, withToken, getJson, formatDate, formatDuration, formatNumber, formatBytes } = window.Sluice;
  const id = new URLSearchParams(location.search).get('id') || '';
  byId('back-link').setAttribute('href', withToken('./'));

  function item(label, value, key) {
    return el('li', { 'data-key': key }, el('strong', {}, `${label}: `), value);
  }

  function statusText(op) {
    if (op.status === 'FAILED') return el('span', { class: 'badge failed' }, 'Failed');
    if (op.status === 'SUCCEEDED') return el('span', { class: 'badge ok' }, 'Succeeded');
    return el('span', { class: 'badge running' }, 'Running');
  }

  /** Metadata as tables: arrays of objects (offset ranges) as rows, objects as key/value pairs. */
  function renderValue(value) {
    if (Array.isArray(value)) {
      if (value.length > 0 && value.every((v) => v && typeof v === 'object' && !Array.isArray(v))) {
        const keys = [...new Set(value.flatMap((v) => Object.keys(v)))];
        return el(
          'table',
          { class: 'data compact' },
          el('thead', {}, el('tr', {}, keys.map((k) => el('th', {}, k)))),
          el('tbody', {}, value.map((v) => el('tr', {}, keys.map((k) => el('td', {}, renderValue(v[k])))))),
        );
      }
      return el('span', {}, value.map((v) => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))).join(', '));
    }
    if (value && typeof value === 'object') {
      const entries = Object.entries(value);
      if (entries.length === 0) return el('span', { class: 'muted' }, '{}');
      return el('table', { class: 'kv' }, el('tbody', {}, entries.map(([k, v]) => el('tr', { 'data-key': k }, el('th', {}, k), el('td', {}, renderValue(v))))));
    }
    return value === undefined ? '' : String(value);
  }

  function render(batch, ops, inputs) {
    const subSecond = batch.batchDuration % 1000 !== 0;
    document.title = `Batch ${formatDate(batch.batchId, subSecond)} · Sluice`;
    setText('title', `Details of batch at ${formatDate(batch.batchId, subSecond)}`);
    const summary = byId('summary');
    summary.dataset.status = batch.status;
    summary.replaceChildren(
      item('Batch Duration', formatDuration(batch.batchDuration), 'batchDuration'),
      item('Input data size', `${formatNumber(batch.inputSize)} records`, 'inputSize'),
      item('Status', batch.status.toLowerCase(), 'status'),
      item('Scheduling delay', formatDuration(batch.schedulingDelay), 'schedulingDelay'),
      item('Processing time', formatDuration(batch.processingTime), 'processingTime'),
      item('Total delay', formatDuration(batch.totalDelay), 'totalDelay'),
      item('Output operations', `${batch.numCompletedOutputOps} succeeded, ${batch.numFailedOutputOps} failed, ${batch.numActiveOutputOps} active, ${batch.numTotalOutputOps} in all`, 'outputOps'),
    );
    setRows(
      byId('operations').tBodies[0],
      ops.map((op) =>
        el(
          'tr',
          { 'data-op-id': op.outputOpId, 'data-status': op.status },
          el('td', {}, String(op.outputOpId)),
          el('td', {}, op.name),
          el('td', { class: 'description' }, op.description),
          el('td', { class: 'num' }, formatDuration(op.duration)),
          el('td', { class: 'status' }, statusText(op), op.failureReason ? el('pre', { class: 'failure' }, op.failureReason) : ''),
          el('td', { class: 'num' }, String(op.attempts)),
          el('td', {}, op.startTime ? formatDate(Date.parse(op.startTime), true) : '-'),
          el('td', {}, op.endTime ? formatDate(Date.parse(op.endTime), true) : '-'),
        ),
      ),
      8,
      'no output operation has started yet',
    );
    const counters = [
      ['malformedRecords', 'malformed', formatNumber],
      ['deadLetteredRecords', 'dead-lettered', formatNumber],
      ['droppedRecords', 'dropped', formatNumber],
      ['rateLimit', 'rate limit (records/s)', (v) => formatNumber(v, 0)],
      ['bufferedBytes', 'buffered', formatBytes],
    ];
    byId('inputs').replaceChildren(
      ...(inputs.length === 0
        ? [el('p', { class: 'muted' }, 'no input streams')]
        : inputs.map((i) =>
            el(
              'section',
              { class: 'input card', 'data-stream-id': i.streamId },
              el('h3', {}, `${i.streamName} `, el('span', { class: 'muted' }, `[${i.streamId}]`), ` · ${formatNumber(i.numRecords)} records`),
              el('p', { class: 'counters' }, counters.filter(([k]) => i[k] !== undefined).map(([k, label, f]) => el('span', { class: 'counter', 'data-key': k }, `${label}: ${f(i[k])}`))),
              Object.keys(i.metadata).length ? el('div', { class: 'metadata' }, renderValue(i.metadata)) : el('p', { class: 'muted' }, 'no metadata'),
            ),
          )),
    );
  }

  let loading = false, again = false;
  async function load() {
    if (loading) return void (again = true);
    loading = true;
    try {
      const base = `api/v1/streaming/batches/${encodeURIComponent(id)}`;
      const [batch, ops, inputs] = await Promise.all([getJson(base), getJson(`${base}/operations`), getJson(`${base}/inputs`)]);
      render(batch, ops, inputs);
      byId('error-banner').hidden = true;
      document.body.dataset.loaded = batch.status;
      return batch;
    } catch (error) {
      const b = byId('error-banner');
      b.textContent = error.status === 404 ? `Batch ${id} is not known: ${error.message}` : `Could not load the batch: ${error.message}`;
      b.hidden = false;
      document.body.dataset.loaded = 'error';
    } finally {
      loading = false;
      if (again) {
        again = false;
        void load();
      }
    }
  }

  function follow() {
    const source = new EventSource(withToken('api/v1/streaming/events'));
    source.addEventListener('snapshot', (e) => {
      setText('app-name', JSON.parse(e.data).appName);
      setConnection('live', 'live');
    });
    source.addEventListener('update', (e) => {
      const u = JSON.parse(e.data);
      if (u.batch && String(u.batch.batchId) === id) void load();
    });
    source.addEventListener('stopped', () => {
      source.close();
      setConnection('stopped', 'stopped');
    });
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CLOSED) setText('conn', 'disconnected');
    });
  }

  void load().then(follow);
})();

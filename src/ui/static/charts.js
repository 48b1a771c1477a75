/*
 * Sluice UI: the charts, drawn as inline SVG (no library): timelines and Spark-style sideways
 * histograms that share their value axis, multi-series line charts, and the DStream graph.
 * Each chart sets data-* attributes (point count, last value) that tests and tooling can read.
 */
'use strict';
(function () {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 480, H = 150, L = 58, R = 12, T = 10, B = 22;
  const PALETTE = ['#3b7dd8', '#e8833a', '#4aa564', '#c94f6d', '#8a63d2', '#2aa7b8', '#b59b2c', '#6b7280'];

  function s(tag, attrs, text) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /** The smallest 1, 2 or 5 × 10^k at or above `v` (at least `floor`). */
  function niceMax(v, floor = 1) {
    v = Math.max(v, floor);
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }

  /** A short number for an axis: 950, 1.2k, 3M. */
  function compact(v) {
    const a = Math.abs(v);
    const trim = (x) => String(Number(x.toFixed(x < 10 ? 2 : 1)));
    if (a >= 1e9) return `${trim(v / 1e9)}G`;
    if (a >= 1e6) return `${trim(v / 1e6)}M`;
    if (a >= 1e3) return `${trim(v / 1e3)}k`;
    return trim(v);
  }

  function frame(svg, width, height) {
    svg.replaceChildren();
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    svg.setAttribute('role', 'img');
  }

  function yAxis(svg, yMax, format, width) {
    for (const f of [0, 0.5, 1]) {
      const y = T + (1 - f) * (H - T - B);
      svg.append(s('line', { x1: L, x2: width - R, y1: y, y2: y, class: f === 0 ? 'axis' : 'grid' }));
      svg.append(s('text', { x: L - 6, y: y + 4, 'text-anchor': 'end', class: 'tick' }, format(yMax * f)));
    }
  }

  function empty(svg, message) {
    svg.append(s('text', { x: W / 2, y: H / 2, 'text-anchor': 'middle', class: 'empty-chart' }, message));
  }

  /** A hover read-out: the nearest point's time and value. */
  function hover(svg, points, sx, sy, format, formatX) {
    svg.__hover = { points, sx, sy, format, formatX };
    if (svg.__hoverBound) return;
    svg.__hoverBound = true;
    svg.addEventListener('mousemove', (ev) => {
      const h = svg.__hover;
      svg.querySelector('.hover')?.remove();
      if (!h || h.points.length === 0) return;
      const box = svg.getBoundingClientRect();
      const vb = svg.viewBox.baseVal;
      const x = ((ev.clientX - box.left) / box.width) * vb.width;
      let best = h.points[0];
      for (const p of h.points) if (Math.abs(h.sx(p[0]) - x) < Math.abs(h.sx(best[0]) - x)) best = p;
      const g = s('g', { class: 'hover' });
      const px = h.sx(best[0]), py = h.sy(best[1]);
      g.append(s('circle', { cx: px, cy: py, r: 4 }));
      const label = `${h.formatX(best[0])}: ${h.format(best[1])}`;
      const tx = Math.min(Math.max(px, L + 60), vb.width - 70);
      g.append(s('text', { x: tx, y: T + 12, 'text-anchor': 'middle' }, label));
      svg.append(g);
    });
    svg.addEventListener('mouseleave', () => svg.querySelector('.hover')?.remove());
  }

  /**
   * A timeline of `points` ([time, value]); `mark` draws a dashed horizontal line (the batch
   * interval on the processing-time chart).
   */
  function timeline(svg, opts) {
    const { points, format = String, formatX = String } = opts;
    frame(svg, W, H);
    const values = points.map((p) => p[1]);
    const yMax = opts.yMax ?? niceMax(Math.max(0, ...values, opts.mark ? opts.mark.value : 0));
    svg.dataset.count = String(points.length);
    svg.dataset.last = points.length ? String(points[points.length - 1][1]) : '';
    svg.dataset.max = String(yMax);
    yAxis(svg, yMax, format, W);
    if (points.length === 0) return empty(svg, 'no batches yet');
    const xMin = opts.xMin ?? points[0][0];
    const xMax = opts.xMax ?? points[points.length - 1][0];
    const sx = (x) => L + (xMax === xMin ? 0.5 : (x - xMin) / (xMax - xMin)) * (W - L - R);
    const sy = (y) => T + (1 - Math.min(y, yMax) / yMax) * (H - T - B);
    if (opts.mark) {
      svg.append(s('line', { x1: L, x2: W - R, y1: sy(opts.mark.value), y2: sy(opts.mark.value), class: 'mark' }));
      svg.append(s('text', { x: W - R - 2, y: sy(opts.mark.value) - 3, 'text-anchor': 'end', class: 'mark-label' }, opts.mark.label));
    }
    svg.append(s('path', { d: points.map((p, i) => `${i ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(''), class: 'line', stroke: opts.color }));
    if (points.length <= 120) for (const p of points) svg.append(s('circle', { cx: sx(p[0]), cy: sy(p[1]), r: 1.8, class: 'dot', fill: opts.color }));
    const lastP = points[points.length - 1];
    svg.append(s('circle', { cx: sx(lastP[0]), cy: sy(lastP[1]), r: 3, class: 'last', fill: opts.color }));
    svg.append(s('text', { x: L, y: H - 6, class: 'tick' }, formatX(xMin)));
    svg.append(s('text', { x: W - R, y: H - 6, 'text-anchor': 'end', class: 'tick' }, formatX(xMax)));
    hover(svg, points, sx, sy, format, formatX);
  }

  /** Spark's sideways histogram: value bins on the vertical axis (as the timeline), counts across. */
  function histogram(svg, opts) {
    const { values, format = String } = opts;
    const width = 260;
    frame(svg, width, H);
    const yMax = opts.yMax ?? niceMax(Math.max(0, ...values));
    const bins = opts.bins ?? 20;
    const counts = new Array(bins).fill(0);
    for (const v of values) counts[Math.min(bins - 1, Math.max(0, Math.floor((v / yMax) * bins)))]++;
    const maxCount = Math.max(1, ...counts);
    svg.dataset.count = String(values.length);
    svg.dataset.bins = counts.join(',');
    yAxis(svg, yMax, format, width);
    const binH = (H - T - B) / bins;
    counts.forEach((c, i) => {
      if (c === 0) return;
      const y = T + (H - T - B) - (i + 1) * binH;
      const w = (c / maxCount) * (width - L - R);
      const bar = s('rect', { x: L, y: y + 0.5, width: Math.max(1, w), height: Math.max(1, binH - 1), class: 'bar', fill: opts.color });
      bar.append(s('title', {}, `${format((i / bins) * yMax)} – ${format(((i + 1) / bins) * yMax)}: ${c} batch${c === 1 ? '' : 'es'}`));
      svg.append(bar);
    });
    if (opts.mark) {
      const y = T + (1 - Math.min(opts.mark.value, yMax) / yMax) * (H - T - B);
      svg.append(s('line', { x1: L, x2: width - R, y1: y, y2: y, class: 'mark' }));
    }
    svg.append(s('text', { x: width - R, y: H - 6, 'text-anchor': 'end', class: 'tick' }, `#batches (max ${maxCount})`));
  }

  /** Several series ([{ name, points }]) on one time axis, with a legend. */
  function lines(svg, opts) {
    const { series, format = String, formatX = String } = opts;
    frame(svg, W, H);
    const all = series.flatMap((x) => x.points);
    const yMax = opts.yMax ?? niceMax(Math.max(0, ...all.map((p) => p[1])));
    svg.dataset.series = String(series.length);
    svg.dataset.count = String(all.length);
    yAxis(svg, yMax, format, W);
    if (all.length === 0) return empty(svg, opts.emptyText || 'no data yet');
    const xs = all.map((p) => p[0]);
    const xMin = opts.xMin ?? Math.min(...xs), xMax = opts.xMax ?? Math.max(...xs);
    const sx = (x) => L + (xMax === xMin ? 0.5 : (x - xMin) / (xMax - xMin)) * (W - L - R);
    const sy = (y) => T + (1 - Math.min(y, yMax) / yMax) * (H - T - B);
    series.forEach((ser, i) => {
      const color = ser.color || PALETTE[i % PALETTE.length];
      if (ser.points.length === 0) return;
      svg.append(s('path', { d: ser.points.map((p, j) => `${j ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(''), class: 'line', stroke: color }));
      const last = ser.points[ser.points.length - 1];
      svg.append(s('circle', { cx: sx(last[0]), cy: sy(last[1]), r: 3, class: 'last', fill: color }));
      svg.append(s('text', { x: L + 8 + i * 110, y: T + 10, class: 'legend', fill: color }, `■ ${ser.name}`));
    });
    svg.append(s('text', { x: L, y: H - 6, class: 'tick' }, formatX(xMin)));
    svg.append(s('text', { x: W - R, y: H - 6, 'text-anchor': 'end', class: 'tick' }, formatX(xMax)));
    hover(svg, all.sort((a, b) => a[0] - b[0]), sx, sy, format, formatX);
  }

  /**
   * The DStream graph, laid out in columns by depth from the inputs, edges left to right. Each
   * node shows its operation, id, records in its latest batch and, if stateful, its state size.
   */
  function dag(svg, operators, formatNumber) {
    const byId = new Map(operators.map((o) => [o.id, o]));
    const depth = new Map();
    const depthOf = (o) => {
      if (depth.has(o.id)) return depth.get(o.id);
      depth.set(o.id, 0); // guards against cycles (there are none in a DStream graph)
      const d = o.dependencies.length === 0 ? 0 : 1 + Math.max(...o.dependencies.map((id) => (byId.has(id) ? depthOf(byId.get(id)) : 0)));
      depth.set(o.id, d);
      return d;
    };
    operators.forEach(depthOf);
    const columns = [];
    for (const o of [...operators].sort((a, b) => a.id - b.id)) (columns[depth.get(o.id)] ||= []).push(o);
    // Each column ordered by where its nodes' inputs sit (barycentre): fewer crossing edges.
    const place = new Map();
    columns.forEach((col, ci) => {
      if (ci > 0) {
        const key = (o) => {
          const ys = o.dependencies.filter((d) => place.has(d)).map((d) => place.get(d));
          return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : Infinity;
        };
        col.sort((a, b) => key(a) - key(b) || a.id - b.id);
      }
      col.forEach((o, ri) => place.set(o.id, (ri + 0.5) / col.length));
    });
    const nodeW = 176, nodeH = 52, gapX = 46, gapY = 14, pad = 10;
    const rows = Math.max(1, ...columns.map((c) => c.length));
    const width = Math.max(W, pad * 2 + columns.length * nodeW + (columns.length - 1) * gapX);
    const height = pad * 2 + rows * nodeH + (rows - 1) * gapY;
    frame(svg, width, height);
    svg.dataset.nodes = String(operators.length);
    if (operators.length === 0) return empty(svg, 'no operators');
    const pos = new Map();
    columns.forEach((col, ci) => {
      const offset = (height - (col.length * nodeH + (col.length - 1) * gapY)) / 2;
      col.forEach((o, ri) => pos.set(o.id, { x: pad + ci * (nodeW + gapX), y: offset + ri * (nodeH + gapY) }));
    });
    let edges = 0;
    for (const o of operators) {
      const to = pos.get(o.id);
      for (const d of o.dependencies) {
        const from = pos.get(d);
        if (!from) continue;
        const x1 = from.x + nodeW, y1 = from.y + nodeH / 2, x2 = to.x, y2 = to.y + nodeH / 2, mx = (x1 + x2) / 2;
        svg.append(s('path', { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2 - 4},${y2}`, class: 'edge', 'marker-end': 'url(#arrow)' }));
        edges++;
      }
    }
    svg.dataset.edges = String(edges);
    const defs = s('defs');
    const marker = s('marker', { id: 'arrow', viewBox: '0 0 8 8', refX: 7, refY: 4, markerWidth: 7, markerHeight: 7, orient: 'auto' });
    marker.append(s('path', { d: 'M0,0 L8,4 L0,8 z', class: 'arrow' }));
    defs.append(marker);
    svg.prepend(defs);
    for (const o of operators) {
      const p = pos.get(o.id);
      const stateful = o.stateSize !== undefined;
      const g = s('g', { class: `node ${o.kind}${stateful ? ' stateful' : ''}`, 'data-id': o.id, transform: `translate(${p.x},${p.y})` });
      g.append(s('rect', { width: nodeW, height: nodeH, rx: 6 }));
      g.append(s('text', { x: 8, y: 16, class: 'node-name' }, o.name.length > 20 ? o.name.slice(0, 19) + '…' : o.name));
      g.append(s('text', { x: nodeW - 6, y: 16, 'text-anchor': 'end', class: 'node-id' }, `#${o.id}`));
      const records =
        o.lastBatchRecords !== undefined ? `${formatNumber(o.lastBatchRecords)} records` : o.kind === 'output' ? 'output operation' : 'no batch yet';
      g.append(s('text', { x: 8, y: 32, class: 'node-detail' }, records));
      if (stateful) g.append(s('text', { x: 8, y: 46, class: 'node-state' }, `state: ${formatNumber(o.stateSize)} keys`));
      g.append(s('title', {}, `${o.name} #${o.id} (${o.kind})\n${records}${stateful ? `\nstate: ${o.stateSize} keys` : ''}`));
      svg.append(g);
    }
  }

  window.SluiceCharts = { timeline, histogram, lines, dag, niceMax, compact, PALETTE };
})();

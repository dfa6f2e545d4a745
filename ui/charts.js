// Small SVG charts for the dashboard: grouped horizontal bars (per village) and a progress line
// over time. Drawn with DOM calls (no HTML strings), sized by the viewBox so they scale.

const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function legend(series, x, y) {
  const g = svg('g', { class: 'legend' });
  let dx = x;
  for (const s of series) {
    g.append(svg('rect', { x: dx, y: y - 9, width: 12, height: 10, fill: s.color, rx: 2 }));
    g.append(svg('text', { x: dx + 16, y }, s.label));
    dx += 28 + s.label.length * 13;
  }
  return g;
}

/**
 * Grouped horizontal bars, 0–100 %.
 * rows: [{ label, values: [number…], marked: bool }]; series: [{ label, color }].
 */
export function percentBars(rows, series, { title } = {}) {
  const labelW = 92;
  const barH = 9;
  const rowH = barH * series.length + 8;
  const plotW = 420;
  const top = 46;
  const height = top + rows.length * rowH + 24;
  const width = labelW + plotW + 60;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title ?? '' });
  if (title) root.append(svg('text', { x: 0, y: 16, class: 'chart-title' }, title));
  root.append(legend(series, labelW, 36));
  for (const p of [0, 25, 50, 75, 100]) {
    const x = labelW + (plotW * p) / 100;
    root.append(svg('line', { x1: x, x2: x, y1: top - 4, y2: height - 20, class: 'grid' }));
    root.append(svg('text', { x, y: height - 6, class: 'axis', 'text-anchor': 'middle' }, `${p}%`));
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    root.append(svg('text', { x: labelW - 6, y: y + rowH / 2 + 2, class: r.marked ? 'label behind' : 'label', 'text-anchor': 'end' }, r.label));
    r.values.forEach((v, j) => {
      const w = Math.max(0, Math.min(100, v)) * plotW / 100;
      const by = y + 3 + j * barH;
      const bar = svg('rect', { x: labelW, y: by, width: w, height: barH - 1, fill: series[j].color });
      const text = r.texts?.[j] ?? `${v.toFixed(1)}%`;
      bar.append(svg('title', {}, `${r.label} ${series[j].label} ${text}`));
      root.append(bar);
      root.append(svg('text', { x: labelW + w + 4, y: by + barH - 2, class: 'value' }, text));
    });
  });
  return root;
}

/**
 * Cumulative counts over time. points: [{ date: 'YYYY-MM-DD', …keys }];
 * series: [{ key, label, color }].
 */
export function progressLine(points, series, { title, total } = {}) {
  const width = 560;
  const height = 230;
  const left = 54;
  const right = 16;
  const top = 46;
  const bottom = 34;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': title ?? '' });
  if (title) root.append(svg('text', { x: 0, y: 16, class: 'chart-title' }, title));
  root.append(legend(series, left, 36));
  if (points.length === 0) {
    root.append(svg('text', { x: width / 2, y: height / 2, class: 'axis', 'text-anchor': 'middle' }, '还没有核查记录'));
    return root;
  }
  const day = (d) => Date.parse(`${d}T00:00:00Z`) / 86400000;
  const x0 = day(points[0].date);
  const x1 = Math.max(day(points[points.length - 1].date), x0 + 1);
  const yMax = Math.max(1, total ?? 0, ...points.flatMap((p) => series.map((s) => p[s.key])));
  const px = (d) => left + ((day(d) - x0) / (x1 - x0)) * (width - left - right);
  const py = (v) => top + (1 - v / yMax) * (height - top - bottom);
  for (let k = 0; k <= 4; k += 1) {
    const v = (yMax * k) / 4;
    root.append(svg('line', { x1: left, x2: width - right, y1: py(v), y2: py(v), class: 'grid' }));
    root.append(svg('text', { x: left - 6, y: py(v) + 4, class: 'axis', 'text-anchor': 'end' }, Math.round(v)));
  }
  const first = points[0].date;
  const last = points[points.length - 1].date;
  root.append(svg('text', { x: left, y: height - 10, class: 'axis' }, first));
  root.append(svg('text', { x: width - right, y: height - 10, class: 'axis', 'text-anchor': 'end' }, last));
  for (const s of series) {
    // A step line: the count holds until the next day with a change.
    let d = '';
    points.forEach((p, i) => {
      const x = px(p.date);
      const y = py(p[s.key]);
      if (i === 0) d += `M${x.toFixed(1)},${py(0).toFixed(1)}V${y.toFixed(1)}`;
      else d += `H${x.toFixed(1)}V${y.toFixed(1)}`;
    });
    const path = svg('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 2 });
    path.append(svg('title', {}, `${s.label}：${points[points.length - 1][s.key]}`));
    root.append(path);
  }
  return root;
}

// A small SVG line / dot chart (no library, no CDN): auto-scaled axes with round ticks, a legend.
const NS = 'http://www.w3.org/2000/svg';
const COLORS = ['#2f6fdf', '#d9480f', '#2b8a3e', '#862e9c', '#e67700', '#0b7285', '#c2255c', '#5c940d'];

function el(name, attrs = {}, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** About `count` round tick values covering [lo, hi]. */
function ticks(lo, hi, count = 5) {
  const span = hi - lo || 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
}

/**
 * Draws `series` ([{ name, points: [[x, y], ...], kind: 'line' | 'dots' }]) into a new <svg>
 * appended to `container`; returns the svg element.
 */
export function plot(container, { title, series, xLabel = 'time step', width = 900, height = 300 }) {
  const m = { l: 56, r: 16, t: 28, b: 40 };
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
  if (!pts.length) [x0, x1, y0, y1] = [0, 1, 0, 1];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.08;
  [y0, y1] = [y0 - pad, y1 + pad];
  // Room for dots on the first / last x.
  const xpad = (x1 - x0) * (series.some((s) => s.kind === 'dots') ? 0.03 : 0);
  [x0, x1] = [x0 - xpad, x1 + xpad];
  const sx = (x) => m.l + ((x - x0) / (x1 - x0)) * (width - m.l - m.r);
  const sy = (y) => height - m.b - ((y - y0) / (y1 - y0)) * (height - m.t - m.b);

  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title });
  svg.append(el('text', { x: m.l, y: 18, 'font-size': 14, 'font-weight': 600 }, title));
  for (const v of ticks(y0, y1)) {
    svg.append(el('line', { x1: m.l, x2: width - m.r, y1: sy(v), y2: sy(v), stroke: '#eceff4' }));
    svg.append(el('text', { x: m.l - 6, y: sy(v) + 4, 'text-anchor': 'end', class: 'legend' }, +v.toPrecision(6)));
  }
  // Time steps and unit indices are integers: no ticks between them.
  for (const v of ticks(x0, x1, 8).filter((v) => Number.isInteger(v))) {
    svg.append(el('text', { x: sx(v), y: height - m.b + 16, 'text-anchor': 'middle', class: 'legend' }, +v.toPrecision(6)));
  }
  svg.append(el('text', { x: (m.l + width - m.r) / 2, y: height - 6, 'text-anchor': 'middle', class: 'legend' }, xLabel));
  svg.append(el('rect', { x: m.l, y: m.t, width: width - m.l - m.r, height: height - m.t - m.b, fill: 'none', stroke: '#c5cbd6' }));

  series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    const finite = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (s.kind === 'dots') {
      for (const [x, y] of finite) svg.append(el('circle', { cx: sx(x), cy: sy(y), r: 4.5, fill: color }));
    } else if (finite.length) {
      svg.append(el('polyline', { points: finite.map(([x, y]) => `${sx(x).toFixed(2)},${sy(y).toFixed(2)}`).join(' '), fill: 'none', stroke: color, 'stroke-width': 2 }));
    }
    const ly = m.t + 14 + i * 16;
    if (i === 0) svg.append(el('rect', { x: width - m.r - 176, y: m.t + 2, width: 172, height: series.length * 16 + 4, fill: 'white', 'fill-opacity': 0.85 }));
    svg.append(el('rect', { x: width - m.r - 170, y: ly - 9, width: 10, height: 10, fill: color }));
    svg.append(el('text', { x: width - m.r - 155, y: ly, class: 'legend' }, s.name));
  });
  container.append(svg);
  return svg;
}

/**
 * Horizontal bars for ranked classes ([{ label, value }], highest first) into a new <svg>; long
 * labels are cut with an ellipsis (the full label is the bar's tooltip).
 */
export function bars(container, { title, items, width = 900 }) {
  const rowH = 26;
  const m = { l: 200, r: 90, t: 30, b: 10 };
  const height = m.t + m.b + items.length * rowH;
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title, class: 'bars' });
  svg.append(el('text', { x: 8, y: 18, 'font-size': 14, 'font-weight': 600 }, title));
  const max = Math.max(1e-12, ...items.map((i) => Math.abs(i.value)));
  // Probabilities are drawn against 1, other scores against the largest one.
  const scale = items.every((i) => i.value >= 0 && i.value <= 1) ? 1 : max;
  items.forEach((item, k) => {
    const y = m.t + k * rowH;
    const label = item.label.length > 28 ? `${item.label.slice(0, 27)}…` : item.label;
    const t = el('text', { x: m.l - 8, y: y + 17, 'text-anchor': 'end', 'font-size': 13 }, label);
    t.append(el('title', {}, item.label));
    svg.append(t);
    const w = Math.max(1, (Math.abs(item.value) / scale) * (width - m.l - m.r));
    svg.append(el('rect', { x: m.l, y: y + 4, width: w, height: rowH - 8, rx: 3, fill: k === 0 ? COLORS[0] : '#9db7ea', class: 'bar' }));
    svg.append(el('text', { x: m.l + w + 6, y: y + 17, 'font-size': 12, class: 'legend' }, +item.value.toPrecision(4)));
  });
  container.append(svg);
  return svg;
}

/** Blue (low) to white to red (high) around zero, or white to blue for non-negative data. */
function heatColor(v, lo, hi) {
  if (!Number.isFinite(v)) return '#000';
  if (lo >= 0) {
    const t = hi > 0 ? v / hi : 0;
    return `rgb(${Math.round(255 - 208 * t)},${Math.round(255 - 144 * t)},${Math.round(255 - 32 * t)})`;
  }
  const m = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  const t = Math.min(1, Math.abs(v) / m);
  return v >= 0 ? `rgb(${Math.round(255 - 38 * t)},${Math.round(255 - 183 * t)},${Math.round(255 - 240 * t)})` : `rgb(${Math.round(255 - 208 * t)},${Math.round(255 - 144 * t)},${Math.round(255 - 32 * t)})`;
}

/**
 * A heat map of a (steps × channels) matrix (`rows[t][c]`): time along x, channels along y, with
 * the value range in the title.
 */
export function heatmap(container, { title, rows, width = 900 }) {
  const steps = rows.length;
  const channels = rows[0]?.length ?? 0;
  const m = { l: 56, r: 16, t: 28, b: 40 };
  const cellH = Math.max(4, Math.min(18, 320 / Math.max(1, channels)));
  const height = m.t + m.b + channels * cellH;
  const cellW = (width - m.l - m.r) / Math.max(1, steps);
  const flat = rows.flat().filter(Number.isFinite);
  const lo = Math.min(...flat);
  const hi = Math.max(...flat);
  const svg = el('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title, class: 'heatmap' });
  svg.append(el('text', { x: m.l, y: 18, 'font-size': 14, 'font-weight': 600 }, `${title}  [${+lo.toPrecision(3)} .. ${+hi.toPrecision(3)}]`));
  rows.forEach((row, t) =>
    row.forEach((v, c) => svg.append(el('rect', { x: m.l + t * cellW, y: m.t + c * cellH, width: cellW + 0.5, height: cellH + 0.5, fill: heatColor(v, lo, hi), class: 'cell' }))),
  );
  for (const v of ticks(0, steps - 1, 8).filter(Number.isInteger)) {
    svg.append(el('text', { x: m.l + (v + 0.5) * cellW, y: height - m.b + 16, 'text-anchor': 'middle', class: 'legend' }, v));
  }
  svg.append(el('text', { x: (m.l + width - m.r) / 2, y: height - 6, 'text-anchor': 'middle', class: 'legend' }, 'time step'));
  svg.append(el('text', { x: m.l - 8, y: m.t + cellH * 0.8, 'text-anchor': 'end', class: 'legend' }, 'ch 0'));
  if (channels > 1) svg.append(el('text', { x: m.l - 8, y: m.t + channels * cellH, 'text-anchor': 'end', class: 'legend' }, `ch ${channels - 1}`));
  container.append(svg);
  return svg;
}

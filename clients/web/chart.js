// Line charts over the time of day and bar charts, as inline SVG: no chart
// library.
//
//   el.replaceChildren(lineChart({
//     from: startMs, to: nowMs,
//     series: [{name: 'BILL', color: '#0b5cad', points: [[ms, 3], ...]}],
//     guides: [{color: '#0b5cad', value: 10}],   // dashed targets
//   }));
//   el.replaceChildren(barChart({bars: [{label: '9', value: 12}, ...]}));

import {hallTime} from '/web/qcall.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 560;
const HEIGHT = 300;
const PAD = {left: 46, right: 16, top: 12, bottom: 30};

function el(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
}

// 0, 1, 2, 5, 10, 20, 50 ... the smallest step giving at most 5 lines.
function niceStep(max) {
  const raw = Math.max(max, 1) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) {
    if (m * power >= raw) return Math.max(1, m * power);
  }
  return 10 * power;
}

export function lineChart({from, to, series, guides = []}) {
  const span = Math.max(to - from, 60000);
  let max = 0;
  for (const s of series) for (const [, v] of s.points) max = Math.max(max, v);
  for (const g of guides) max = Math.max(max, g.value);
  const step = niceStep(max);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const x = ms => PAD.left + (ms - from) / span * (WIDTH - PAD.left - PAD.right);
  const y = v => HEIGHT - PAD.bottom - v / top * (HEIGHT - PAD.top - PAD.bottom);

  const svg = el('svg', {viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img'});
  for (let v = 0; v <= top; v += step) {
    svg.append(el('line', {x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v),
                           stroke: v === 0 ? '#9aa6b2' : '#e3e8ee', 'stroke-width': 1}),
               el('text', {x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end'}, String(v)));
  }
  // Time marks: the smallest step of these that gives at most 8 of them.
  const minute = 60000;
  const stepMs = [5, 10, 15, 30, 60, 120, 180].map(m => m * minute)
                     .find(m => span / m <= 8) || 240 * minute;
  const pad = n => String(n).padStart(2, '0');
  // Counted in the hall's time of day, so marks fall on round times there
  // (whatever zone the browser is set to).
  const start = hallTime(from);
  const intoDay = ((start.hour * 60 + start.minute) * 60 + start.second) * 1000 + from % 1000;
  for (let t = from + (stepMs - intoDay % stepMs) % stepMs; t <= to; t += stepMs) {
    const d = hallTime(t);
    svg.append(el('line', {x1: x(t), x2: x(t), y1: PAD.top, y2: HEIGHT - PAD.bottom,
                           stroke: '#eef1f5', 'stroke-width': 1}),
               el('text', {x: x(t), y: HEIGHT - 8, 'text-anchor': 'middle'},
                  `${d.hour}:${pad(d.minute)}`));
  }
  for (const g of guides) {
    svg.append(el('line', {x1: PAD.left, x2: WIDTH - PAD.right, y1: y(g.value), y2: y(g.value),
                           stroke: g.color, 'stroke-width': 1.5, 'stroke-dasharray': '6 5',
                           opacity: 0.7}));
  }
  for (const s of series) {
    if (!s.points.length) continue;
    // A step line: the value holds until the next sample.
    let d = '';
    s.points.forEach(([t, v], i) => {
      d += i === 0 ? `M${x(t).toFixed(1)},${y(v).toFixed(1)}`
                   : `H${x(t).toFixed(1)}V${y(v).toFixed(1)}`;
    });
    svg.append(el('path', {d, fill: 'none', stroke: s.color, 'stroke-width': 3,
                           'stroke-linejoin': 'round', 'data-series': s.name}));
    const [lt, lv] = s.points[s.points.length - 1];
    svg.append(el('circle', {cx: x(lt), cy: y(lv), r: 4, fill: s.color}));
  }
  return svg;
}

// A bar per label, its value written above it; `color` for all bars unless a
// bar has its own.
export function barChart({bars, color = PALETTE[0]}) {
  const max = Math.max(0, ...bars.map(b => b.value));
  const step = niceStep(max);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const y = v => HEIGHT - PAD.bottom - v / top * (HEIGHT - PAD.top - PAD.bottom);
  const slot = (WIDTH - PAD.left - PAD.right) / Math.max(bars.length, 1);
  const svg = el('svg', {viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: 'img'});
  for (let v = 0; v <= top; v += step) {
    svg.append(el('line', {x1: PAD.left, x2: WIDTH - PAD.right, y1: y(v), y2: y(v),
                           stroke: v === 0 ? '#9aa6b2' : '#e3e8ee', 'stroke-width': 1}),
               el('text', {x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end'}, String(v)));
  }
  // Labels every other bar when they would crowd.
  const every = slot < 22 ? 2 : 1;
  bars.forEach((b, i) => {
    const x = PAD.left + i * slot;
    const width = Math.max(2, Math.min(slot * 0.7, 56));
    const middle = x + slot / 2;
    svg.append(el('rect', {x: middle - width / 2, y: y(b.value), width,
                           height: y(0) - y(b.value), fill: b.color || color,
                           'data-label': b.label}));
    if (b.value > 0 && slot >= 22) {
      svg.append(el('text', {x: middle, y: y(b.value) - 4, 'text-anchor': 'middle'},
                    String(Math.round(b.value * 10) / 10)));
    }
    if (i % every === 0) {
      svg.append(el('text', {x: middle, y: HEIGHT - 8, 'text-anchor': 'middle'}, b.label));
    }
  });
  return svg;
}

export const PALETTE = ['#0b5cad', '#e07b00', '#1c8a4a', '#8e44ad', '#c62828', '#00838f',
                        '#6d4c41', '#546e7a', '#ad1457', '#9e9d24'];

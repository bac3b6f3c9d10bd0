/**
 * Small charts drawn on the server as inline SVG (no library, no script): a line chart of one or
 * more series over the window's buckets, and horizontal bars. Each is an image with a title and
 * a text description for screen readers; the numbers also appear as text beside it.
 */
import { formatChinaTime } from '../../contract/chinaTime.js';
import { type Html, html } from '../html.js';

const W = 560;
const H = 160;
const PAD = { left: 44, right: 12, top: 10, bottom: 22 };
export const COLORS = ['#0a5bd3', '#b3261e', '#1a7f37', '#8250df', '#9a6700'];

export interface Series {
  name: string;
  values: readonly (number | null)[];
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 1 : 0));
const clock = (ms: number) => formatChinaTime(ms).slice(5, 16);

export function lineChart(o: {
  id: string;
  title: string;
  desc: string;
  series: readonly Series[];
  from: number;
  to: number;
  /** Fixed top of the axis (1 for rates), else the data's. */
  max?: number;
  percent?: boolean;
  /** A dashed line (a limit). */
  limit?: number | undefined;
}): Html {
  const n = Math.max(1, ...o.series.map((s) => s.values.length));
  const top =
    o.max ?? niceMax(Math.max(o.limit ?? 0, ...o.series.flatMap((s) => s.values.map((v) => v ?? 0))));
  const x = (i: number) => PAD.left + ((W - PAD.left - PAD.right) * (i + 0.5)) / n;
  const y = (v: number) => PAD.top + (H - PAD.top - PAD.bottom) * (1 - Math.min(v, top) / top);
  const label = (v: number) => (o.percent ? `${Math.round(v * 100)}%` : fmt(v));
  const paths = o.series.map((s, k) => {
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(i).toFixed(1)} ${y(v).toFixed(1)}`;
      pen = true;
    });
    return html`<path d="${d}" fill="none" stroke="${COLORS[k % COLORS.length]!}" stroke-width="2"/>`;
  });
  return html`<figure class="chart"><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-labelledby="${o.id}-t ${o.id}-d">
<title id="${o.id}-t">${o.title}</title><desc id="${o.id}-d">${o.desc}</desc>
<g class="grid">${[0, 0.5, 1].map(
    (f) =>
      html`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(top * f)}" y2="${y(top * f)}"/><text x="${PAD.left - 4}" y="${y(top * f) + 4}" text-anchor="end">${label(top * f)}</text>`,
  )}</g>
${o.limit !== undefined ? html`<line class="limit" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(o.limit)}" y2="${y(o.limit)}"/>` : ''}
${paths}
<g class="axis"><text x="${PAD.left}" y="${H - 5}">${clock(o.from)}</text><text x="${W - PAD.right}" y="${H - 5}" text-anchor="end">${clock(o.to)}</text></g>
</svg>
${
  o.series.length > 1
    ? html`<figcaption>${o.series.map(
        (s, k) => html`<span class="key"><span class="swatch c${k % COLORS.length}"></span>${s.name}</span> `,
      )}</figcaption>`
    : ''
}
</figure>`;
}

export function barChart(o: {
  id: string;
  title: string;
  bars: readonly { label: string; value: number }[];
}): Html {
  const rowH = 22;
  const h = Math.max(1, o.bars.length) * rowH + 4;
  const top = Math.max(1, ...o.bars.map((b) => b.value));
  const left = 110;
  const span = W - left - 60;
  return html`<figure class="chart"><svg viewBox="0 0 ${W} ${h}" width="100%" role="img" aria-labelledby="${o.id}-t ${o.id}-d">
<title id="${o.id}-t">${o.title}</title><desc id="${o.id}-d">${o.bars.map((b) => `${b.label}: ${b.value}`).join('; ')}</desc>
${o.bars.map(
  (b, i) => html`<text x="${left - 6}" y="${i * rowH + 16}" text-anchor="end">${b.label}</text>
<rect x="${left}" y="${i * rowH + 4}" width="${Math.max(1, (span * b.value) / top).toFixed(1)}" height="${rowH - 8}" fill="${COLORS[0]!}"/>
<text x="${left + (span * b.value) / top + 6}" y="${i * rowH + 16}">${b.value}</text>`,
)}
</svg></figure>`;
}

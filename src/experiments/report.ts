// Self-contained HTML reports: SVG line and bar charts, and grayscale images as inline PNGs.
// No scripts, no external files: a report opens in any browser, offline.
import { PNG } from 'pngjs';

export interface Series {
  name: string;
  points: Array<[number, number]>;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceNumber(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1000 || a < 0.01) return v.toExponential(1);
  return Number(v.toPrecision(3)).toString();
}

/** A line chart as inline SVG. Non-finite points (a diverged loss) are dropped. */
export function lineChart(title: string, series: Series[], o: { xLabel?: string; yLabel?: string; logY?: boolean; width?: number; height?: number } = {}): string {
  const W = o.width ?? 720, H = o.height ?? 320, L = 64, R = 230, T = 30, B = 44;
  const clean = series.map((s) => ({ ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!o.logY || y > 0)) }));
  const all = clean.flatMap((s) => s.points);
  if (all.length === 0) return `<figure><figcaption>${esc(title)}: no finite values</figcaption></figure>`;
  const fy = (y: number) => (o.logY ? Math.log10(y) : y);
  let x0 = Math.min(...all.map((p) => p[0])), x1 = Math.max(...all.map((p) => p[0]));
  let y0 = Math.min(...all.map((p) => fy(p[1]))), y1 = Math.max(...all.map((p) => fy(p[1])));
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) { y1 += 0.5; y0 -= 0.5; }
  const px = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y: number) => T + (1 - (fy(y) - y0) / (y1 - y0)) * (H - T - B);
  const ticks = (a: number, b: number) => Array.from({ length: 5 }, (_, i) => a + ((b - a) * i) / 4);
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`;
  svg += `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`;
  svg += `<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#999"/>`;
  for (const t of ticks(x0, x1)) svg += `<text x="${px(t)}" y="${H - B + 16}" text-anchor="middle" font-size="11">${niceNumber(t)}</text>`;
  for (const t of ticks(y0, y1)) {
    const v = o.logY ? Math.pow(10, t) : t;
    svg += `<text x="${L - 6}" y="${py(v) + 4}" text-anchor="end" font-size="11">${niceNumber(v)}</text>`;
    svg += `<line x1="${L}" x2="${W - R}" y1="${py(v)}" y2="${py(v)}" stroke="#eee"/>`;
  }
  if (o.xLabel) svg += `<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle" font-size="12">${esc(o.xLabel)}</text>`;
  if (o.yLabel) svg += `<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${(T + H - B) / 2})">${esc(o.yLabel)}${o.logY ? ' (log)' : ''}</text>`;
  clean.forEach((s, i) => {
    const c = COLORS[i % COLORS.length];
    if (s.points.length > 0) {
      const d = s.points.map(([x, y], k) => `${k ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join('');
      svg += `<path d="${d}" fill="none" stroke="${c}" stroke-width="2" class="series"/>`;
    }
    svg += `<rect x="${W - R + 10}" y="${T + 16 * i}" width="12" height="3" fill="${c}"/><text x="${W - R + 26}" y="${T + 16 * i + 5}" font-size="11">${esc(s.name)}</text>`;
  });
  return `<figure>${svg}</figure>`;
}

/** A horizontal bar chart as inline SVG. */
export function barChart(title: string, bars: Array<{ label: string; value: number }>, unit = ''): string {
  const W = 640, rowH = 24, L = 180, T = 30, H = T + rowH * bars.length + 10;
  const max = Math.max(...bars.map((b) => b.value), 1e-12);
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`;
  svg += `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(title)}</text>`;
  bars.forEach((b, i) => {
    const w = Math.max(1, ((W - L - 90) * b.value) / max);
    svg += `<text x="${L - 6}" y="${T + rowH * i + 16}" text-anchor="end" font-size="12">${esc(b.label)}</text>`;
    svg += `<rect x="${L}" y="${T + rowH * i + 4}" width="${w}" height="${rowH - 8}" fill="${COLORS[i % COLORS.length]}" class="series"/>`;
    svg += `<text x="${L + w + 6}" y="${T + rowH * i + 16}" font-size="12">${esc(niceNumber(b.value) + unit)}</text>`;
  });
  return `<figure>${svg}</figure>`;
}

/** A grayscale image (values scaled from [min,max] to black..white, or a symmetric range) as an <img> with a PNG data URL. */
export function grayImage(values: ArrayLike<number>, width: number, height: number, o: { scale?: number; symmetric?: boolean; title?: string } = {}): string {
  const s = o.scale ?? 4;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < values.length; i++) { lo = Math.min(lo, values[i]); hi = Math.max(hi, values[i]); }
  if (o.symmetric) { const m = Math.max(Math.abs(lo), Math.abs(hi)); lo = -m; hi = m; }
  const range = hi - lo || 1;
  const png = new PNG({ width: width * s, height: height * s });
  for (let y = 0; y < height * s; y++) for (let x = 0; x < width * s; x++) {
    const v = Math.round((255 * (values[Math.floor(y / s) * width + Math.floor(x / s)] - lo)) / range);
    png.data.set([v, v, v, 255], (y * width * s + x) * 4);
  }
  const url = 'data:image/png;base64,' + PNG.sync.write(png).toString('base64');
  return `<img src="${url}" width="${width * s}" height="${height * s}" alt="${esc(o.title ?? 'image')}" title="${esc(o.title ?? '')}" class="map">`;
}

/** A whole report page. */
export function page(title: string, intro: string, sections: Array<{ heading: string; html: string }>): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;line-height:1.45;color:#222}
figure{margin:1em 0}img.map{image-rendering:pixelated;margin:2px;border:1px solid #ccc}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}th{background:#f4f4f4}.note{color:#555}</style></head>
<body><h1>${esc(title)}</h1><p>${intro}</p>${sections.map((s) => `<h2>${esc(s.heading)}</h2>${s.html}`).join('\n')}</body></html>`;
}

/** An HTML table from rows of cells. */
export function table(head: string[], rows: Array<Array<string | number>>): string {
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('')}</table>`;
}

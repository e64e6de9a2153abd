/** The benchmark's markdown table and SVG chart of Sluice / direct ratios (hand-written SVG: one bar per row). */

export interface Row {
  group: string;
  name: string;
  unit: string;
  /** Higher is better (rates) or lower is better (latencies). */
  better: 'higher' | 'lower';
  sluiceLabel: string;
  directLabel: string;
  sluice: number[];
  direct: number[];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Sluice relative to direct, as "times as good": rates Sluice/direct, latencies direct/Sluice. */
export function ratio(row: Row): number {
  const s = median(row.sluice);
  const d = median(row.direct);
  return row.better === 'higher' ? s / d : d / s;
}

const fmt = (n: number, unit: string) =>
  unit === 'ms' ? n.toFixed(n < 10 ? 2 : 1) : Math.round(n).toLocaleString('en');
const spread = (values: number[], unit: string) =>
  values.length > 1 ? ` (${fmt(Math.min(...values), unit)}–${fmt(Math.max(...values), unit)})` : '';

interface Report {
  at: string;
  rounds: number;
  quick: boolean;
  machine: { cpus: number; loadAverage: number[]; node: string };
  versions: Record<string, string>;
  rows: Row[];
  scale: Array<{ streams: number; served: number; rssIdleMiB: number; rssAfterMiB: number; cpuSeconds: number; seconds: number }>;
}

export function renderMarkdown(report: Report): string {
  const lines = [
    `Run ${report.at}${report.quick ? ' (BENCH_QUICK: smoke-test sizes, not figures)' : ''}: ${report.rounds} round(s) per row, median (min–max); ${report.machine.cpus} CPUs, load average ${report.machine.loadAverage.map((l) => l.toFixed(1)).join(' / ')}, Node ${report.machine.node}, ${Object.entries(report.versions).map(([k, v]) => `${k} ${v}`).join(', ')}.`,
    '',
    '| scenario | Sluice | direct | ratio (Sluice ÷ direct; latency: direct ÷ Sluice) |',
    '|---|---:|---:|---:|',
  ];
  for (const row of report.rows) {
    lines.push(
      `| ${row.group}: ${row.name} (${row.unit}) | ${row.sluiceLabel}: ${fmt(median(row.sluice), row.unit)}${spread(row.sluice, row.unit)} | ${row.directLabel}: ${fmt(median(row.direct), row.unit)}${spread(row.direct, row.unit)} | **${ratio(row).toFixed(2)}×** |`,
    );
  }
  if (report.scale.length > 0) {
    lines.push('', '| concurrent Receive streams (one gateway, memory stores) | all served | RSS idle | RSS after one record to each | gateway CPU |', '|---:|---|---:|---:|---:|');
    for (const s of report.scale) lines.push(`| ${s.streams.toLocaleString('en')} | ${s.served === s.streams ? 'yes' : `no: ${s.served}`} | ${s.rssIdleMiB} MiB | ${s.rssAfterMiB} MiB | ${s.cpuSeconds} s over ${s.seconds} s |`);
  }
  return lines.join('\n') + '\n';
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A horizontal bar per row: the ratio on a log scale from 0.01× to 10×, with the 1.0× line marked. */
export function renderSvg(rows: Row[]): string {
  const barHeight = 18;
  const gap = 6;
  const labelWidth = 360;
  const chartWidth = 420;
  const top = 40;
  const height = top + rows.length * (barHeight + gap) + 30;
  const width = labelWidth + chartWidth + 80;
  const min = Math.log10(0.01);
  const max = Math.log10(10);
  const x = (r: number) => labelWidth + ((Math.log10(Math.min(Math.max(r, 0.01), 10)) - min) / (max - min)) * chartWidth;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Sluice ÷ direct kafkajs (median; latency: direct ÷ Sluice). Right of 1.0× is as fast or faster.</text>`,
  ];
  for (const tick of [0.01, 0.1, 0.5, 1, 2, 10]) {
    parts.push(`<line x1="${x(tick)}" y1="${top - 8}" x2="${x(tick)}" y2="${height - 24}" stroke="${tick === 1 ? '#d00' : '#ddd'}" stroke-width="${tick === 1 ? 2 : 1}"/>`);
    parts.push(`<text x="${x(tick)}" y="${height - 10}" text-anchor="middle">${tick}×</text>`);
  }
  rows.forEach((row, i) => {
    const y = top + i * (barHeight + gap);
    const r = ratio(row);
    const colour = { receive: '#3572b0', publish: '#2e8b57', latency: '#b8860b' }[row.group] ?? '#777';
    parts.push(`<text x="${labelWidth - 8}" y="${y + barHeight - 5}" text-anchor="end">${escape(`${row.group}: ${row.name}`)}</text>`);
    parts.push(`<rect x="${labelWidth}" y="${y}" width="${Math.max(1, x(r) - labelWidth)}" height="${barHeight}" fill="${colour}"/>`);
    parts.push(`<text x="${x(r) + 4}" y="${y + barHeight - 5}">${r.toFixed(2)}×</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

/** Self time by function and by package of a .cpuprofile: `npx tsx bench/lib/profile-summary.ts file [top]`. */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const file = process.argv[2];
if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const area = (url: string): string => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return url;
  if (url.includes('/src/') || url.includes('/plugins/')) return 'sluice ' + (/(src|plugins)\/[^/]+/.exec(url)?.[0] ?? '');
  return url === '' ? '(native/gc/idle)' : 'other';
};
const byFunction = new Map<string, number>();
const byArea = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id)!;
  const name = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.replace(/.*node_modules\//, '').replace(/.*\/(src|plugins)\//, '$1/')}:${n.callFrame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  const a = n.callFrame.functionName === '(idle)' ? '(idle)' : area(n.callFrame.url);
  byArea.set(a, (byArea.get(a) ?? 0) + us);
}
const pct = (us: number) => ((100 * us) / total).toFixed(1).padStart(5) + ' %';
console.log(`total ${(total / 1e6).toFixed(2)} s sampled`);
console.log('\nby area (self time):');
for (const [a, us] of [...byArea].sort((x, y) => y[1] - x[1]).slice(0, 15)) console.log(`${pct(us)}  ${a}`);
console.log('\nby function (self time):');
for (const [f, us] of [...byFunction].sort((x, y) => y[1] - x[1]).slice(0, top)) console.log(`${pct(us)}  ${f}`);

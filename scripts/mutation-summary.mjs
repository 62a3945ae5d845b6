// Summarize Stryker's JSON report (reports/mutation/mutation.json, written by `npm run mutate`):
// the mutation score per folder, then every mutant the tests let live, as file:line, the
// mutator, and the code before → after. Prints it and writes reports/mutation/summary.txt.
//
// Score as Stryker counts it: detected / (detected + undetected), where detected = killed or
// timed out, undetected = survived or not covered by any test; mutants that do not compile or
// crash at load (CompileError, RuntimeError) and ignored ones count for neither.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const reportPath = join(root, process.argv[2] ?? 'reports/mutation/mutation.json');
let report;
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'));
} catch (e) {
  console.error(`mutation-summary: cannot read the Stryker report ${reportPath} (${e.message}); run \`npm run mutate\` first`);
  process.exit(1);
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

/** The source text a mutant replaced (report locations: lines and columns both count from 1). */
function original(source, { start, end }) {
  const lines = source.split('\n');
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  const text = [lines[start.line - 1].slice(start.column - 1), ...lines.slice(start.line, end.line - 1), lines[end.line - 1].slice(0, end.column - 1)];
  return text.join('\n');
}
function oneLine(s, max = 70) {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
const pct = (d, u) => (d + u === 0 ? 'n/a' : `${((100 * d) / (d + u)).toFixed(1)}%`);

const folders = new Map();
const living = [];
for (const [file, { source, mutants }] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
  const folder = dirname(file);
  const f = folders.get(folder) ?? { detected: 0, survived: 0, noCoverage: 0, errors: 0, ignored: 0 };
  folders.set(folder, f);
  for (const m of mutants) {
    if (DETECTED.has(m.status)) f.detected++;
    else if (m.status === 'Survived') f.survived++;
    else if (m.status === 'NoCoverage') f.noCoverage++;
    else if (m.status === 'Ignored') f.ignored++;
    else f.errors++;
    if (UNDETECTED.has(m.status)) {
      const at = `${file}:${m.location.start.line}:${m.location.start.column}`;
      living.push(`${at}  ${m.status === 'NoCoverage' ? '[no coverage] ' : ''}${m.mutatorName}: ${oneLine(original(source, m.location))}  →  ${oneLine(m.replacement ?? '')}`);
    }
  }
}

const out = [];
out.push('Mutation score per folder (killed + timed out) / (killed + timed out + survived + no coverage):');
out.push(`${'folder'.padEnd(16)} ${'score'.padStart(7)} ${'detected'.padStart(9)} ${'survived'.padStart(9)} ${'no cov.'.padStart(8)} ${'errors'.padStart(7)}`);
const total = { detected: 0, survived: 0, noCoverage: 0, errors: 0 };
for (const [folder, f] of folders) {
  out.push(`${folder.padEnd(16)} ${pct(f.detected, f.survived + f.noCoverage).padStart(7)} ${String(f.detected).padStart(9)} ${String(f.survived).padStart(9)} ${String(f.noCoverage).padStart(8)} ${String(f.errors).padStart(7)}`);
  for (const k of Object.keys(total)) total[k] += f[k];
}
out.push(`${'all'.padEnd(16)} ${pct(total.detected, total.survived + total.noCoverage).padStart(7)} ${String(total.detected).padStart(9)} ${String(total.survived).padStart(9)} ${String(total.noCoverage).padStart(8)} ${String(total.errors).padStart(7)}`);
out.push('');
out.push(`Mutants the tests let live (${living.length}):`);
out.push(...living);

const text = out.join('\n') + '\n';
process.stdout.write(text);
writeFileSync(join(dirname(reportPath), 'summary.txt'), text);

// npm run fuzz: every reader's fuzz test (dist/**/*.fuzz.test.js) with FUZZ_RUNS cases per reader
// (10,000 unless set). A new reader's *.fuzz.test.ts is picked up without editing this script.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--if-stale'], { stdio: 'inherit' });
const files = readdirSync(join(root, 'dist'), { recursive: true }).map(String).filter((f) => f.endsWith('.fuzz.test.js')).sort();
const runs = process.env.FUZZ_RUNS ?? '10000';
console.log(`fuzz: ${runs} cases per reader, ${files.length} files: ${files.join(', ')}`);
execFileSync(process.execPath, ['--test', ...files.map((f) => join('dist', f))], { cwd: root, stdio: 'inherit', env: { ...process.env, FUZZ_RUNS: runs } });

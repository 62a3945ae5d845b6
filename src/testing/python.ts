// Python for the tests that check zerograd's exports in the real engines (PyTorch, ONNX): Debian's
// /usr/bin/python3 — not whatever `python3` is first on the PATH (a virtualenv or conda one may have
// other versions, or none of the modules). Without it the tests skip, saying what to install; under
// CI=true they fail instead, since a check that silently does not run checks nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';

/** The Debian package that provides each Python module the tests use. */
const DEBIAN_PACKAGE: Record<string, string> = { torch: 'python3-torch', onnx: 'python3-onnx', numpy: 'python3-numpy' };

export interface PythonCheck {
  exe: string;
  /** Why the tests cannot run (what is missing and how to install it), or null when they can. */
  missing: string | null;
  /** node:test's `skip` option: the reason outside CI, false under CI=true (the test runs and fails). */
  skip: string | false;
}

/** Whether /usr/bin/python3 exists and imports every module in `modules`. */
export function findPython(modules: string[]): PythonCheck {
  let missing: string | null = null;
  const packages = (names: string[]) => names.map((m) => DEBIAN_PACKAGE[m] ?? `python3-${m}`).join(' ');
  if (!existsSync(PYTHON)) {
    missing = `${PYTHON} not found; install Debian's Python with the modules: apt-get install python3 ${packages(modules)}`;
  } else {
    // find_spec looks the modules up without importing them (importing torch takes seconds).
    const script = `import importlib.util, sys\nsys.stdout.write(",".join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))`;
    const r = spawnSync(PYTHON, ['-c', script, ...modules], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) {
      const why = (r.stderr || r.error?.message || `exit code ${r.status}`).trim().split('\n').pop();
      missing = `${PYTHON} does not run (${why}); install: apt-get install python3 ${packages(modules)}`;
    } else if (r.stdout !== '') {
      const absent = r.stdout.split(',');
      missing = `${PYTHON} has no module ${absent.join(', ')}; install: apt-get install ${packages(absent)}`;
    }
  }
  return { exe: PYTHON, missing, skip: missing !== null && process.env.CI !== 'true' ? missing : false };
}

/** First line of a test that needs Python: under CI=true a missing module fails the test here. */
export function requirePython(py: PythonCheck): void {
  if (py.missing) assert.fail(`CI=true: ${py.missing}`);
}

/**
 * Run `script` (Python source) with arguments; throws with its stderr when it fails. `timeout` in
 * milliseconds (importing torch alone takes seconds on a busy machine).
 */
export function runPython(py: PythonCheck, script: string, args: string[], timeout = 120_000): string {
  const r = spawnSync(py.exe, ['-c', script, ...args], { encoding: 'utf8', timeout, maxBuffer: 1 << 24 });
  if (r.error) throw new Error(`${py.exe}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${py.exe} exited with ${r.status ?? r.signal}:\n${r.stderr}`);
  return r.stdout;
}

// Running the command line from a test: `bin/zerograd.js ARGS` in a child process, with its exit
// code and output, and the JSON object that `--json` prints on the last line.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/zerograd.js', import.meta.url));

export interface CliResult { code: number; stdout: string; stderr: string }

/** `zerograd ARGS` with extra environment variables; never rejects (a failing command is a result). */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { maxBuffer: 1 << 26, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The last line of the output, parsed: what `--json` prints. */
export function lastJson(stdout: string): any {
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

// Runs a Python client scenario (Debian's python3 with pika/kombu) against the broker under test.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's interpreter has python3-pika / python3-kombu; the pyenv python on PATH does not. */
export const PYTHON = '/usr/bin/python3';
const SCRIPTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'python');

export interface PythonResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs test/python/<script> with the broker URL as first argument; killed after timeoutMs. */
export function runPython(script: string, url: string, args: string[] = [], timeoutMs = 30_000): Promise<PythonResult> {
  return new Promise((resolve) => {
    execFile(
      PYTHON,
      [path.join(SCRIPTS_DIR, script), url, ...args],
      { timeout: timeoutMs, killSignal: 'SIGKILL', env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** The scripts print one JSON object per line; returns them parsed. */
export function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * How CLI commands report: a JSON document with `--json` (for scripts), otherwise short lines for
 * people. Failures go to stderr with exit code 1, as JSON `{"error": ...}` under `--json`.
 */
export interface OutputOptions {
  json?: boolean;
}

export function emit(options: OutputOptions, value: unknown, human: () => string): void {
  process.stdout.write(options.json ? JSON.stringify(value, null, 2) + '\n' : human() + '\n');
}

export function fail(options: OutputOptions, message: string): void {
  if (options.json) process.stderr.write(JSON.stringify({ error: message }) + '\n');
  else process.stderr.write(`error: ${message}\n`);
  process.exitCode = 1;
}

export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((r) => columns.map((c) => String(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), ...cells.map(line)].join('\n');
}

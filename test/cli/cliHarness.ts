/**
 * The `smartcall` command as a user runs it: `node bin/smartcall.js ...` as a child process, against
 * a temporary data directory, with every port chosen free on loopback. Long-running commands
 * (`serve`, `phonenet`) are tracked so `stopAll()` in an `after` hook leaves nothing running.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../../bin/smartcall.js', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed (JSON.parse's own result type: the tests check the shape). */
  json: () => ReturnType<typeof JSON.parse>;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** SIGKILL the command after this long (default 30 s, smartcallAsync 60 s): a hung command fails its test. */
  killAfterMs?: number;
}

/** Runs one short command to completion. */
export function smartcall(args: string[], options: RunOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: options.env ?? process.env,
    cwd: options.cwd,
    // A command that should have exited but serves on (a flag ignored) fails instead of hanging.
    timeout: options.killAfterMs ?? 30_000,
    killSignal: 'SIGKILL',
  });
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    json: () => {
      try {
        return JSON.parse(r.stdout);
      } catch {
        throw new Error(`not JSON (exit ${r.status}): ${r.stdout}\n${r.stderr}`);
      }
    },
  };
}

/** Runs one command asynchronously (for commands that talk to a running server). */
export async function smartcallAsync(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 60_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(killer);
  running.delete(child);
  return { status: code, stdout, stderr, json: () => JSON.parse(stdout) };
}

const running = new Set<ChildProcess>();

export interface Running {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output: () => string;
  stdout: () => string;
  /** SIGTERM (again after 2 s, for a serve that drains), then the exit code. */
  stop: () => Promise<number | null>;
}

/** Starts a long-running command and waits until `ready(output)` holds (or it exits: an error). */
export async function start(
  args: string[],
  ready: (output: string) => boolean | Promise<boolean>,
  options: RunOptions & { timeoutMs?: number } = {},
): Promise<Running> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let stdout = '';
  child.stdout!.on('data', (d) => {
    out += d;
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const handle: Running = {
    child,
    output: () => out,
    stdout: () => stdout,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      // serve drains on the first signal (calls in progress may go on for --drain-seconds); a test
      // that is done with it sends the second, which stops it at once.
      const again = setTimeout(() => child.kill('SIGTERM'), 2000);
      const [code] = (await exited) as [number | null];
      clearTimeout(again);
      running.delete(child);
      return code;
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  while (!(await ready(out))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await handle.stop();
      throw new Error(`smartcall ${args.join(' ')} did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return handle;
}

/** Kills whatever is still running (for `after` hooks). */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
      running.delete(child);
    }),
  );
}

/** Whether a TCP connection to host:port is accepted. */
export function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether an HTTP request to host:port gets any answer. */
export async function httpAnswers(host: string, port: number): Promise<boolean> {
  try {
    await fetch(`http://${host}:${port}/`, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

/** This environment without what picks a node's role, store, config file, master key or Redis; then `extra`. */
export function nodeEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env };
  for (const name of [
    'SMARTCALL_ROLE',
    'SMARTCALL_STORE_URL',
    'SMARTCALL_CONFIG',
    'SMARTCALL_MASTER_KEY',
    'SMARTCALL_REDIS_URL',
  ])
    delete e[name];
  return { ...e, ...extra };
}

/** The `"smartcall started"` log line of a node started with `--log-format json`, parsed. */
export function startedLine(node: Running): { port: number; role: string; store: string } {
  const line = node
    .output()
    .split('\n')
    .find((l) => l.includes('"smartcall started"'));
  if (!line) throw new Error(`no "smartcall started" line in: ${node.output()}`);
  return JSON.parse(line);
}

/** Whether a node started with `--log-format json` has logged its `"smartcall started"` line. */
export const nodeStarted = (output: string): boolean => output.includes('"smartcall started"');

export interface ServeArgs {
  /** The config file (`--config`), if any. */
  config?: string;
  dataDir: string;
  httpPort: number | string;
  sipPort: number | string;
}

/** `serve [--config …] --data-dir … --http-port … --sip-port … --log-format json`, then `extra`. */
export function serveArgs(o: ServeArgs, ...extra: string[]): string[] {
  return [
    'serve',
    ...(o.config ? ['--config', o.config] : []),
    '--data-dir',
    o.dataDir,
    '--http-port',
    String(o.httpPort),
    '--sip-port',
    String(o.sipPort),
    '--log-format',
    'json',
    ...extra,
  ];
}

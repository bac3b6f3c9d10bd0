/**
 * A private PostgreSQL server for one test file (Debian's `postgresql` package): a fresh cluster in
 * a temporary folder, on a free loopback port, with fsync off (tests need no durability), stopped
 * and removed by `stop()`. initdb refuses to run as root, so as root the cluster belongs to the
 * `postgres` user and its commands run through `runuser`. Each contract run gets its own database.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { freePort } from './ports.js';
import { stopChild } from './sipPeers.js';
import { tempDir } from './tempDir.js';

export const POSTGRES_INSTALL_HINT =
  'PostgreSQL is not installed: run `sh scripts/install-test-peers.sh` (Debian package `postgresql`)';

export interface TestPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication on loopback). */
  adminUrl: string;
  port: number;
  /** Makes a new empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** The server's log so far. */
  log(): string;
  stop(): Promise<void>;
}

/** The newest installed server's bin folder, e.g. /usr/lib/postgresql/15/bin. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error(POSTGRES_INSTALL_HINT);
  return join(root, versions[0]!, 'bin');
}

const asRoot = process.getuid?.() === 0;

/** A command of the cluster's owner: as root, through `runuser -u postgres`. */
function ownerCommand(bin: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

export interface PostgresOptions {
  /**
   * Commit as a durable server does: a commit returns once its WAL is written (to the OS; fsync
   * stays off). Default off (tests need no durability): a commit returns before its WAL is written,
   * so a server crash may lose the last ones. bench:cluster turns it on, to match the single node's
   * SQLite (WAL, synchronous=NORMAL: a commit is written, not fsynced).
   */
  synchronousCommit?: boolean;
}

export async function startPostgres(options: PostgresOptions = {}): Promise<TestPostgres> {
  const bin = postgresBinDir();
  const dir = tempDir('smartcall-pg-');
  const data = join(dir.path, 'data');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir.path, uid, gid);
  }
  let child: ChildProcess | undefined;
  let log = '';
  const stop = async () => {
    if (child) {
      // postgres stops at once on SIGINT ("fast shutdown"); runuser passes the signal on.
      if (child.exitCode === null && child.signalCode === null) {
        const [cmd, args] = ownerCommand(join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'immediate', '-w']);
        try {
          execFileSync(cmd, args, { stdio: 'ignore' });
        } catch {
          // already stopping: the child's exit below is what counts
        }
      }
      await stopChild(child);
    }
    dir.remove();
  };
  try {
    const [initCmd, initArgs] = ownerCommand(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'postgres',
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ]);
    execFileSync(initCmd, initArgs, { stdio: 'pipe' });
    const port = await freePort();
    const [cmd, args] = ownerCommand(join(bin, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dir.path}`,
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
      '-c',
      `synchronous_commit=${options.synchronousCommit ? 'on' : 'off'}`,
      '-c',
      'max_connections=60',
    ]);
    child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => {
      log += d;
    });
    child.stderr!.on('data', (d) => {
      log += d;
    });
    const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await waitReady(adminUrl, child, () => log);
    return {
      adminUrl,
      port,
      async createDatabase(name) {
        const client = new pg.Client({ connectionString: adminUrl });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
        } finally {
          await client.end();
        }
        return `postgres://postgres@127.0.0.1:${port}/${name}`;
      },
      log: () => log,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * A private PostgreSQL for the test file that calls this: started before its tests, stopped after
 * them, once `first` (e.g. stopping the nodes that use it) has run. Returns the running server.
 */
export function postgresForFile(first?: () => Promise<void>): () => TestPostgres {
  let server: TestPostgres | undefined;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await first?.();
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('PostgreSQL is not started yet');
    return server;
  };
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode}): ${log()}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline)
        throw new Error(`postgres did not accept connections: ${(err as Error).message}\n${log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

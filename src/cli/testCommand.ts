/**
 * `smartcall test suite.yaml`: conversation tests of a voice bot. Starts smartcall embedded (or
 * uses a running one with --endpoint and a key), places one SmartCall per case through the real
 * API to the case's callee persona, checks the case's expectations against what the platform
 * recorded, and reports on the terminal, as JUnit XML and as JSON. Exit code 0 only when every
 * case passes.
 */
import { writeFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { consoleToken } from '../console/consoleToken.js';
import { configFrom, type GlobalOptions } from './context.js';
import { EndpointPlatform } from './suite/endpointPlatform.js';
import { loadSuiteFile } from './suite/suiteFile.js';
import type { SuitePlatform } from './suite/suitePlatform.js';
import { jsonReport, junitReport, terminalReport } from './suite/suiteReport.js';
import { runSuite } from './suite/suiteRunner.js';

interface TestOptions extends GlobalOptions {
  callback?: string;
  junit?: string;
  concurrency: number;
  endpoint?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  from?: string;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 200)
    throw new InvalidArgumentError('must be a whole number 1-200');
  return n;
}

function httpUrl(value: string): string {
  if (!/^https?:\/\/[^\s]+$/.test(value))
    throw new InvalidArgumentError('must be an http:// or https:// URL');
  return value;
}

export function registerTestCommand(program: Command): void {
  program
    .command('test')
    .description('run conversation test cases against a voice bot (scripted callees, real calls)')
    .argument('<suite>', 'suite file, YAML or JSON (see docs/testing-bots.md)')
    .option(
      '--callback <url>',
      'the bot under test: callback URL of every case that names none (default: the demo bot)',
      httpUrl,
    )
    .option('--junit <file>', 'also write a JUnit XML report here')
    .option('--concurrency <n>', 'cases running at once', positiveInt, 4)
    .option('--endpoint <host:port>', 'use a running smartcall instead of starting one (needs a key)')
    .option('--access-key-id <id>', 'with --endpoint: AccessKeyId (or ALIBABA_CLOUD_ACCESS_KEY_ID)')
    .option(
      '--access-key-secret <secret>',
      'with --endpoint: AccessKeySecret (or ALIBABA_CLOUD_ACCESS_KEY_SECRET)',
    )
    .option('--from <number>', "with --endpoint: CalledShowNumber, a number of the key's account")
    .action(async (file: string, _o, cmd: Command) => {
      const o = cmd.optsWithGlobals() as TestOptions;
      // A bad suite is refused (file:line:column: problem) before anything starts.
      const suite = loadSuiteFile(file);
      const platform = await startPlatform(o);
      let result: Awaited<ReturnType<typeof runSuite>>;
      try {
        result = await runSuite(suite, platform, {
          concurrency: o.concurrency,
          onCase: (r) => {
            if (!o.json) process.stderr.write(`${r.passed ? 'PASS' : 'FAIL'}  ${r.name}\n`);
          },
        });
      } finally {
        await platform.close();
      }
      if (o.junit) writeFileSync(o.junit, junitReport(result));
      process.stdout.write(
        o.json ? JSON.stringify(jsonReport(result), null, 2) + '\n' : terminalReport(result) + '\n',
      );
      process.exitCode = result.failed === 0 ? 0 : 1;
    });
}

async function startPlatform(o: TestOptions): Promise<SuitePlatform> {
  // The embedded smartcall's logs would drown the report: silent unless SMARTCALL_LOG_LEVEL says.
  const level = process.env.SMARTCALL_LOG_LEVEL || 'silent';
  if (!o.endpoint) {
    if (o.accessKeyId || o.accessKeySecret || o.from)
      throw new Error('--access-key-id, --access-key-secret and --from go with --endpoint');
    const config = configFrom(o, { logLevel: level });
    // The embedded platform is the whole smartcall: loaded only when a suite runs on it.
    const { EmbeddedPlatform } = await import('./suite/embeddedPlatform.js');
    return EmbeddedPlatform.start({ config, callback: o.callback });
  }
  if (o.callback)
    throw new Error(
      "--callback needs the embedded platform: with --endpoint the server's account keeps its callback URL",
    );
  const accessKeyId = o.accessKeyId ?? process.env.ALIBABA_CLOUD_ACCESS_KEY_ID;
  const accessKeySecret = o.accessKeySecret ?? process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
  if (!accessKeyId || !accessKeySecret)
    throw new Error(
      '--endpoint needs --access-key-id and --access-key-secret (or ALIBABA_CLOUD_ACCESS_KEY_*)',
    );
  if (!o.from) throw new Error("--endpoint needs --from (CalledShowNumber, a number of the key's account)");
  return new EndpointPlatform({
    endpoint: o.endpoint.replace(/^https?:\/\//, '').replace(/\/$/, ''),
    accessKeyId,
    accessKeySecret,
    from: o.from,
    consoleToken: consoleToken(configFrom(o).dataDir),
  });
}

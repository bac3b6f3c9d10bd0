/**
 * Records the worker threads that the code under test starts, so a test can kill one the way a
 * crash would, without a test-only hook in the code. It swaps node:worker_threads' `Worker` for a
 * subclass and re-syncs the builtin's ESM bindings (node:module `syncBuiltinESMExports`), so
 * modules that did `import { Worker } from 'node:worker_threads'` construct the subclass too.
 * Each test file runs in its own process, so the swap cannot reach another file's tests.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { Worker } from 'node:worker_threads';

export interface WorkerSpy {
  /** Every worker started since the spy was set, oldest first. */
  readonly started: Worker[];
  /** Puts the real `Worker` back. */
  restore(): void;
}

export function spyOnWorkers(): WorkerSpy {
  const threads = createRequire(import.meta.url)('node:worker_threads') as { Worker: typeof Worker };
  const Original = threads.Worker;
  const started: Worker[] = [];
  threads.Worker = class extends Original {
    constructor(...args: ConstructorParameters<typeof Worker>) {
      super(...args);
      started.push(this);
    }
  };
  syncBuiltinESMExports();
  return {
    started,
    restore() {
      threads.Worker = Original;
      syncBuiltinESMExports();
    },
  };
}

/**
 * The messages between a {@link WorkerPool} and its worker threads, typed once for both sides.
 *
 * A worker says `ready` once it can serve (or `failed` if it cannot start), then answers each
 * `request` by id: any number of `chunk`s (streamed replies), then exactly one `done` or `error`.
 * `cancel` is a hint: the pool has already answered the caller, so a worker may drop the request
 * if it has not started it, or ignore the hint (its reply is discarded). `close` asks the worker to
 * end cleanly before the pool terminates it.
 */

/** Pool → worker. */
export type PoolMessage<Payload> =
  | { kind: 'request'; id: number; payload: Payload }
  | { kind: 'cancel'; id: number }
  | { kind: 'close' };

/** Worker → pool. */
export type WorkerMessage<Result, Chunk = never> =
  | { kind: 'ready' }
  | { kind: 'failed'; error: string }
  | { kind: 'chunk'; id: number; chunk: Chunk }
  | { kind: 'done'; id: number; result: Result }
  | { kind: 'error'; id: number; error: string };

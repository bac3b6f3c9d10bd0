/**
 * The store contract (test/store/contract) on PostgreSQL: a private server started for this file
 * (test/helpers/postgres.ts), one fresh database per test. Without PostgreSQL installed this fails
 * with the install hint; it is never skipped.
 */
import { after, before } from 'node:test';
import { PgStore } from '../../src/store/postgres/pgStore.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { storeContract } from './contract/storeContract.js';

let server: TestPostgres;
before(async () => {
  server = await startPostgres();
});
after(async () => {
  await server?.stop();
});
let n = 0;

storeContract({
  name: 'postgres',
  open: async () => PgStore.open(await server.createDatabase(`contract_${++n}`), { poolSize: 4 }),
});

/** The store contract (test/store/contract) on the embedded SQLite store, through its async face. */
import { after } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore.js';
import { asyncStoreOver } from '../../src/store/storeAsAsync.js';
import { tempDir } from '../helpers/tempDir.js';
import { storeContract } from './contract/storeContract.js';

const dir = tempDir();
after(() => dir.remove());
let n = 0;

storeContract({
  name: 'sqlite',
  open: async () => asyncStoreOver(SqliteStore.open(`${dir.path}/${++n}`)),
});

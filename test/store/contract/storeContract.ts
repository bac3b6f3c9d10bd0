/** Every part of the store contract, for one store. */
import { callContract } from './callContract.js';
import { callEventContract } from './callEventContract.js';
import { consoleContract } from './consoleContract.js';
import { mediaContract } from './mediaContract.js';
import { policyContract } from './policyContract.js';
import { receiptContract } from './receiptContract.js';
import { rollupContract } from './rollupContract.js';
import { statsContract } from './statsContract.js';
import type { StoreFactory } from './storeFactory.js';
import { tenancyContract } from './tenancyContract.js';
import { transactionContract } from './transactionContract.js';
import { trunkContract } from './trunkContract.js';

export function storeContract(f: StoreFactory): void {
  tenancyContract(f);
  mediaContract(f);
  callContract(f);
  callEventContract(f);
  receiptContract(f);
  trunkContract(f);
  consoleContract(f);
  policyContract(f);
  statsContract(f);
  rollupContract(f);
  transactionContract(f);
}

/**
 * Embedded mode's first start: a demo account with a key and a display number, so the README's
 * one command gives a working endpoint. Made once per data directory; the secret is shown once.
 */
import { systemClock } from '../clock/clock.js';
import type { Store } from '../store/repositories.js';
import type { TenancyAdmin } from './tenancyAdmin.js';

export const DEMO_ACCOUNT = 'demo';
export const DEMO_DISPLAY_NUMBER = '057188880000';

export interface DemoAccount {
  account: string;
  accessKeyId: string;
  accessKeySecret: string;
  displayNumber: string;
}

/** Creates the demo account unless this data directory already made one; returns it when new. */
export function ensureDemoAccount(store: Store, admin: TenancyAdmin): DemoAccount | undefined {
  return store.transaction(() => {
    if (store.meta.get('demo_account_created')) return undefined;
    const account = store.accounts.findByName(DEMO_ACCOUNT) ?? admin.createAccount({ name: DEMO_ACCOUNT });
    const key = admin.createKey(account.name);
    admin.addNumber(account.name, DEMO_DISPLAY_NUMBER);
    store.meta.set('demo_account_created', new Date(systemClock.now()).toISOString());
    return {
      account: account.name,
      accessKeyId: key.accessKeyId,
      accessKeySecret: key.accessKeySecret,
      displayNumber: DEMO_DISPLAY_NUMBER,
    };
  });
}

/**
 * Where a receipt of one MessageType goes (spec §5.1). Alibaba's console enables HTTP push per
 * MessageType, each with its own URL; smartcall's older setting is one URL for a list of types.
 * A type's own URL wins; otherwise the account URL serves the types listed with it; otherwise the
 * type is not pushed (and not written to the outbox).
 */
import type { ReceiptSettings, ReceiptType } from '../store/records.js';

export function receiptUrl(settings: ReceiptSettings | undefined, type: ReceiptType): string | undefined {
  if (!settings) return undefined;
  const own = settings.typeUrls[type];
  if (own) return own;
  return settings.url && settings.types.includes(type) ? settings.url : undefined;
}

/**
 * Writes a Chinese number the way a trunk wants it in SIP: as dialled (`national`), in E.164 with
 * a plus (`e164`, +8657188880000, the trunk-side norm of RFC 3966), or E.164 digits without the
 * plus (`e164-no-plus`). National landlines drop their trunk prefix 0; mobiles keep all digits.
 */
import type { NumberFormat } from '../store/records.js';

export function formatNumber(number: string, format: NumberFormat): string {
  if (format === 'national' || number.startsWith('+')) return number;
  const digits =
    number.startsWith('86') && number.length > 11 ? number.slice(2) : number.replace(/^0(?=[1-9])/, '');
  return (format === 'e164' ? '+86' : '86') + digits;
}

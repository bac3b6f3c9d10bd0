/**
 * Reads typed action parameters in the validation order of spec §3.4: presence of the required
 * ones first (`Missing<Name>`), then type conversion (`InvalidParameter`). Business rules come after,
 * in each action. Names are case-sensitive PascalCase, values arrive as strings (spec §2.1).
 */
import { gatewayErrors } from './apiErrors.js';

const INT = /^[+-]?\d{1,19}$/;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

export class ParamReader {
  readonly #params: ReadonlyMap<string, string>;

  constructor(params: ReadonlyMap<string, string>) {
    this.#params = params;
  }

  /** An empty value counts as absent, as on Alibaba's gateway. */
  has(name: string): boolean {
    const v = this.#params.get(name);
    return v !== undefined && v !== '';
  }

  /** Step 1: every required name present, reported in the order given. */
  requireAll(names: readonly string[]): void {
    for (const name of names) if (!this.has(name)) throw gatewayErrors.missingParameter(name);
  }

  string(name: string): string | undefined {
    return this.has(name) ? this.#params.get(name) : undefined;
  }

  requiredString(name: string): string {
    const v = this.string(name);
    if (v === undefined) throw gatewayErrors.missingParameter(name);
    return v;
  }

  int32(name: string): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = INT.test(v.trim()) ? Number(v.trim()) : Number.NaN;
    if (!Number.isInteger(n) || n < INT32_MIN || n > INT32_MAX) {
      throw gatewayErrors.invalidParameter(name, 'An integer (int32) is expected.');
    }
    return n;
  }

  int64(name: string): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = INT.test(v.trim()) ? Number(v.trim()) : Number.NaN;
    if (!Number.isSafeInteger(n))
      throw gatewayErrors.invalidParameter(name, 'An integer (int64) is expected.');
    return n;
  }

  double(name: string): number | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const n = DECIMAL.test(v.trim()) ? Number(v.trim()) : Number.NaN;
    if (!Number.isFinite(n)) throw gatewayErrors.invalidParameter(name, 'A number is expected.');
    return n;
  }

  boolean(name: string): boolean | undefined {
    const v = this.string(name);
    if (v === undefined) return undefined;
    const lower = v.trim().toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    throw gatewayErrors.invalidParameter(name, 'true or false is expected.');
  }
}

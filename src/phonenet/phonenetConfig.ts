/**
 * The `phonenet` section of smartcall's configuration (merged into src/config.ts by the lead):
 * whether embedded mode runs the virtual phone network, where it listens, which persona files it
 * adds to the built-in ones, and how many calls' timelines and recordings it keeps.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { sourceFilter } from '../net/sourceFilter.js';

const port = z.number().int().min(0).max(65535);

export const phonenetConfigSchema = z
  .object({
    /** Run the network inside `smartcall serve` (embedded mode's default trunk). */
    enabled: z.boolean().default(true),
    /** IP literal for SIP and RTP (loopback unless the network must serve other machines). */
    address: z
      .string()
      .refine((a) => isIP(a) !== 0, { message: 'must be an IP address (host names are never resolved)' })
      .default('127.0.0.1'),
    /** SIP port, UDP and TCP. */
    sipPort: port.default(5070),
    rtpPortMin: port.default(40000),
    rtpPortMax: port.default(40999),
    /** Persona files (YAML or JSON) loaded before the built-in personas. */
    personasFiles: z.array(z.string().min(1)).default([]),
    /** Accept INVITEs from sources other than loopback (otherwise 403). */
    acceptNonLoopback: z.boolean().default(false),
    /** Source ranges (CIDR) the carrier takes calls from, when not accepting every source. */
    allowedSources: z
      .array(z.string().min(1))
      .default(['127.0.0.0/8', '::1/128'])
      .refine(
        (cidrs) => {
          try {
            sourceFilter(cidrs);
            return true;
          } catch {
            return false;
          }
        },
        { message: 'allowedSources must be CIDR ranges like 10.0.0.0/8' },
      ),
    /** Where timelines and recordings go (default `<dataDir>/phonenet`). */
    runDir: z.string().min(1).optional(),
    /** Calls whose timeline and recording are kept. */
    keepCalls: z.number().int().min(1).max(100_000).default(200),
  })
  .strict()
  .refine((c) => c.rtpPortMin <= c.rtpPortMax, { message: 'rtpPortMin must not exceed rtpPortMax' });

export type PhonenetConfig = z.infer<typeof phonenetConfigSchema>;

/** Parses `40000-40999`. */
export function parsePortRange(text: string): { min: number; max: number } | undefined {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const min = Number(m[1]);
  const max = Number(m[2]);
  return min >= 1 && max <= 65535 && min <= max ? { min, max } : undefined;
}

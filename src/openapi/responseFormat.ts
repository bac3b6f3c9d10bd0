/**
 * Renders responses as the SDKs expect them (spec §2.2, §2.3): JSON with PascalCase keys, or XML
 * whose root is `<Action>Response` (success) or `<Error>` (failure).
 */
import { XMLBuilder } from 'fast-xml-parser';

export type ResponseFormat = 'JSON' | 'XML';

export const CONTENT_TYPE: Record<ResponseFormat, string> = {
  JSON: 'application/json;charset=utf-8',
  XML: 'text/xml;charset=utf-8',
};

const xml = new XMLBuilder({ format: false, suppressEmptyNode: false, processEntities: true });

export type ResponseBody = Record<string, string | number | boolean | undefined>;

export function render(format: ResponseFormat, root: string, body: ResponseBody): string {
  if (format === 'JSON') return JSON.stringify(body);
  const present: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(body)) if (v !== undefined) present[k] = v;
  return '<?xml version="1.0" encoding="UTF-8"?>' + xml.build({ [root]: present });
}

/** V1 `Format` parameter: JSON in any case → JSON; XML or absent → XML (the documented default). */
export function formatFromParam(value: string | undefined): ResponseFormat {
  return value !== undefined && value.toUpperCase() === 'JSON' ? 'JSON' : 'XML';
}

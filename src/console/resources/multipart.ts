/**
 * multipart/form-data (RFC 7578) as a browser sends a form with a file: its fields and files from
 * the whole body (the API server hands bodies over as bytes, bounded by the route's body limit).
 */
export interface FormFile {
  field: string;
  filename: string;
  data: Buffer;
}

export interface MultipartForm {
  fields: URLSearchParams;
  files: FormFile[];
}

export class MultipartError extends Error {
  override name = 'MultipartError';
}

export function parseMultipart(body: Buffer, contentType: string | undefined): MultipartForm {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  if (!/^multipart\/form-data/i.test(contentType ?? '') || !m)
    throw new MultipartError('expected a multipart/form-data upload');
  const delimiter = Buffer.from(`--${m[1] ?? m[2]!.trim()}`);
  const fields = new URLSearchParams();
  const files: FormFile[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new MultipartError('the upload has no parts');
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') break; // the closing delimiter
    at += 2; // CRLF after the delimiter
    const headEnd = body.indexOf('\r\n\r\n', at);
    if (headEnd < 0) throw new MultipartError('a part has no header end');
    const head = body.subarray(at, headEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headEnd + 4);
    if (next < 0) throw new MultipartError('the upload ends inside a part');
    const data = body.subarray(headEnd + 4, next);
    const disposition = /content-disposition:[^\r\n]*/i.exec(head)?.[0] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    if (name !== undefined) {
      if (filename !== undefined) files.push({ field: name, filename, data });
      else fields.append(name, data.toString('utf8'));
    }
    at = next + 2;
  }
  return { fields, files };
}

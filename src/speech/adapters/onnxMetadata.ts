/**
 * Reads an ONNX file's custom metadata (`ModelProto.metadata_props`) without loading the model:
 * the file is a protobuf `ModelProto` (onnx/onnx.proto3), whose top-level fields are walked here
 * and skipped by length, so a 300 MB model costs a few reads. sherpa-onnx decides what a model is
 * from these keys (`model_type`, and `T`/`decode_chunk_len` on streaming encoders), and so do we,
 * before anything native touches the file: onnxruntime aborts the process on a file it cannot
 * parse, which no `try/catch` can stop.
 *
 * ModelProto fields used: 1 ir_version (varint), 7 graph (bytes), 8 opset_import (bytes),
 * 14 metadata_props (bytes: StringStringEntryProto {1 key, 2 value}).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export class OnnxFormatError extends Error {
  override name = 'OnnxFormatError';
}

/** The `metadata_props` of the ONNX model in `path`; throws OnnxFormatError when it is not one. */
export function readOnnxMetadata(path: string): Map<string, string> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new OnnxFormatError(`${path} cannot be read: ${(err as Error).message}`);
  }
  try {
    return parseModelProto(new FileReader(fd, fstatSync(fd).size), path);
  } finally {
    closeSync(fd);
  }
}

/** Random access to a file, a small window at a time. */
class FileReader {
  readonly size: number;
  readonly #fd: number;
  readonly #window = Buffer.alloc(64 * 1024);
  #windowStart = 0;
  #windowEnd = 0;
  constructor(fd: number, size: number) {
    this.#fd = fd;
    this.size = size;
  }
  byte(pos: number): number {
    if (pos < this.#windowStart || pos >= this.#windowEnd) {
      const n = readSync(this.#fd, this.#window, 0, this.#window.length, pos);
      this.#windowStart = pos;
      this.#windowEnd = pos + n;
      if (n === 0) throw new RangeError('past the end of the file');
    }
    return this.#window[pos - this.#windowStart]!;
  }
  bytes(pos: number, length: number): Buffer {
    const out = Buffer.alloc(length);
    const n = readSync(this.#fd, out, 0, length, pos);
    if (n !== length) throw new RangeError('past the end of the file');
    return out;
  }
}

interface Cursor {
  pos: number;
}

function varint(r: { byte(pos: number): number }, c: Cursor, end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= end) throw new RangeError('a number runs past its field');
    const b = r.byte(c.pos++);
    value += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return value;
    scale *= 128;
  }
  throw new RangeError('a number is longer than 10 bytes');
}

function parseModelProto(r: FileReader, path: string): Map<string, string> {
  const meta = new Map<string, string>();
  const c: Cursor = { pos: 0 };
  let irVersion = false;
  let graph = false;
  try {
    if (r.size === 0) throw new RangeError('the file is empty');
    while (c.pos < r.size) {
      const tag = varint(r, c, r.size);
      const field = Math.floor(tag / 8);
      const wire = tag & 7;
      if (field === 0) throw new RangeError(`field number 0 at byte ${c.pos}`);
      if (wire === 0) {
        varint(r, c, r.size);
        if (field === 1) irVersion = true;
      } else if (wire === 1 || wire === 5) {
        c.pos += wire === 1 ? 8 : 4;
      } else if (wire === 2) {
        const length = varint(r, c, r.size);
        const start = c.pos;
        if (start + length > r.size) throw new RangeError(`field ${field} runs past the end of the file`);
        if (field === 7) graph = true;
        if (field === 14) {
          const [key, value] = parseEntry(r.bytes(start, length));
          meta.set(key, value);
        }
        c.pos = start + length;
      } else {
        throw new RangeError(`wire type ${wire} at byte ${c.pos}`);
      }
    }
    if (c.pos !== r.size) throw new RangeError('the last field runs past the end of the file');
    if (!irVersion || !graph) throw new RangeError('no ir_version or no graph');
  } catch (err) {
    throw new OnnxFormatError(`${path} is not an ONNX model (${(err as Error).message})`);
  }
  return meta;
}

/** StringStringEntryProto: 1 key, 2 value. */
function parseEntry(buf: Buffer): [string, string] {
  const r = { byte: (pos: number) => buf[pos]! };
  const c: Cursor = { pos: 0 };
  let key = '';
  let value = '';
  while (c.pos < buf.length) {
    const tag = varint(r, c, buf.length);
    if ((tag & 7) !== 2) throw new RangeError('a metadata entry is not two strings');
    const length = varint(r, c, buf.length);
    if (c.pos + length > buf.length) throw new RangeError('a metadata entry runs past its field');
    const text = buf.toString('utf8', c.pos, c.pos + length);
    if (tag >> 3 === 1) key = text;
    else if (tag >> 3 === 2) value = text;
    c.pos += length;
  }
  return [key, value];
}

/**
 * Writes a minimal ModelProto (ir_version, an empty graph, metadata): for tests of the readers,
 * and of what happens when onnxruntime is handed a model whose metadata is right but whose graph
 * is not.
 */
export function onnxWithMetadata(meta: Record<string, string | number>, graph = Buffer.alloc(0)): Buffer {
  const parts: Buffer[] = [Buffer.from([0x08, 0x08])]; // ir_version 8
  parts.push(lengthDelimited(7, graph));
  for (const [k, v] of Object.entries(meta)) {
    const entry = Buffer.concat([
      lengthDelimited(1, Buffer.from(k)),
      lengthDelimited(2, Buffer.from(String(v))),
    ]);
    parts.push(lengthDelimited(14, entry));
  }
  return Buffer.concat(parts);
}

function lengthDelimited(field: number, body: Buffer): Buffer {
  return Buffer.concat([encodeVarint(field * 8 + 2), encodeVarint(body.length), body]);
}

function encodeVarint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

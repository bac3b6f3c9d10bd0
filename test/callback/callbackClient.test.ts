/** The callback client against a real HTTP server on 127.0.0.1. */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { CallbackClient, callbackSignature, SIGNATURE_HEADER } from '../../src/callback/callbackClient.js';
import type { CallbackRequest } from '../../src/contract/callbackContent.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;
let handler: Handler = (_q, _b, res) => res.end('{}');
let port = 0;
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => {
    body += d;
  });
  req.on('end', () => handler(req, body, res));
});
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const REQUEST: CallbackRequest = {
  callId: '116012854210^102814270001',
  timestamp: 1714528812345,
  event: { type: 'mute', content: { dynamic_id: 'step-1' } },
};
const OK_REPLY = '{"result":"success","msg":"成功","data":{"action":"hangup"}}';
const client = new CallbackClient();
const target = (over: object = {}) => ({
  url: `http://127.0.0.1:${port}/receive.do`,
  timeoutMs: 500,
  bodyMode: 'query' as const,
  ...over,
});

test('parameters travel URL-encoded in the query string of a POST with an empty body', async () => {
  let seen: { method?: string; url?: string; body?: string } = {};
  handler = (req, body, res) => {
    seen = { method: req.method, url: req.url, body };
    res.end(OK_REPLY);
  };
  const r = await client.send(target(), REQUEST);
  assert.ok(r.ok);
  assert.equal(r.reply.action.action, 'hangup');
  assert.equal(seen.method, 'POST');
  assert.equal(seen.body, '');
  const q = new URL(seen.url!, 'http://x').searchParams;
  assert.equal(q.get('call_id'), REQUEST.callId);
  assert.equal(q.get('timestamp'), '1714528812345');
  assert.equal(q.get('content_type'), 'mute');
  assert.deepEqual(JSON.parse(q.get('content')!), { dynamic_id: 'step-1' });
});

test('form mode sends the same parameters in the body only', async () => {
  let seen: { url?: string; body?: string; type?: string } = {};
  handler = (req, body, res) => {
    seen = { url: req.url, body, type: req.headers['content-type'] };
    res.end(OK_REPLY);
  };
  assert.ok((await client.send(target({ bodyMode: 'form' }), REQUEST)).ok);
  assert.equal(seen.url, '/receive.do');
  assert.match(seen.type!, /^application\/x-www-form-urlencoded/);
  assert.equal(new URLSearchParams(seen.body).get('content_type'), 'mute');
});

test('a signing secret adds a verifiable timestamped signature', async () => {
  let header = '';
  let url = '';
  handler = (req, _b, res) => {
    header = String(req.headers[SIGNATURE_HEADER]);
    url = req.url!;
    res.end(OK_REPLY);
  };
  await client.send(target({ signingSecret: 's3cret' }), REQUEST);
  const encoded = url.slice(url.indexOf('?') + 1);
  assert.equal(header, callbackSignature('s3cret', REQUEST.timestamp, encoded));
  assert.match(header, /^t=1714528812345,v1=[0-9a-f]{64}$/);
});

test('each kind of failure is told apart', async () => {
  handler = (_q, _b, res) => {
    res.statusCode = 503;
    res.end('down');
  };
  let r = await client.send(target(), REQUEST);
  assert.equal(!r.ok && r.failure, 'http-status');

  handler = (_q, _b, res) => res.end('<html>oops</html>');
  r = await client.send(target(), REQUEST);
  assert.equal(!r.ok && r.failure, 'bad-reply');

  handler = (_q, _b, res) => res.end('{"result":"fail","msg":"no"}');
  r = await client.send(target(), REQUEST);
  assert.equal(!r.ok && r.failure, 'fail-result');

  handler = () => {}; // never answers
  const t0 = Date.now();
  r = await client.send(target({ timeoutMs: 200 }), REQUEST);
  assert.equal(!r.ok && r.failure, 'timeout');
  assert.ok(Date.now() - t0 < 1000);

  const closed = createServer();
  await new Promise<void>((res) => closed.listen(0, '127.0.0.1', res));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise((res) => closed.close(res));
  r = await client.send(target({ url: `http://127.0.0.1:${closedPort}/cb` }), REQUEST);
  assert.equal(!r.ok && r.failure, 'network');
  assert.match(!r.ok ? r.detail : '', /ECONNREFUSED/);
});

test('an oversized reply is cut and refused, not buffered without bound', async () => {
  handler = (_q, _b, res) =>
    res.end('{"result":"success","data":{"action":"play","action_code":"' + 'a'.repeat(200_000) + '"}}');
  const r = await client.send(target(), REQUEST);
  assert.equal(!r.ok && r.failure, 'bad-reply');
});

/** Serves the demo bot as an HTTP callback endpoint, the way a business application would. */
import type { FastifyInstance } from 'fastify';
import { demoBotReply } from './demoBot.js';

export const DEMO_BOT_PATH = '/demo-bot/callback';

export function registerDemoBot(app: FastifyInstance): void {
  app.post<{ Querystring: Record<string, string> }>(DEMO_BOT_PATH, async (req) => {
    // Parameters arrive in the query string (or a form body when the account asks for that).
    const params = { ...req.query };
    if (Buffer.isBuffer(req.body) && req.body.length > 0) {
      for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) params[k] = v;
    }
    let content: Record<string, unknown> = {};
    try {
      content = JSON.parse(params.content ?? '{}');
    } catch {
      return { result: 'fail', msg: 'content is not JSON' };
    }
    return { result: 'success', msg: '成功', data: demoBotReply(params.content_type ?? '', content) };
  });
}

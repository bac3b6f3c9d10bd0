/**
 * An account's media library in the console: voice files (upload a WAV, play it), ASR phrase models
 * (create, edit, try a WAV → the words recognised), TTS templates (add, remove). The services are
 * the ones `smartcall admin voice|asr-model|tts-template` and `smartcall asr recognize` use.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readWav } from '../../media/wavReader.js';
import { AsrModels } from '../../media-library/asrModels.js';
import { TtsTemplates } from '../../media-library/ttsTemplates.js';
import { MAX_UPLOAD_BYTES, VoiceLibrary } from '../../media-library/voiceLibrary.js';
import { tryPhrases } from '../../speech/phrase/phraseTrial.js';
import type { AccountRecord } from '../../store/records.js';
import { csrfOk, formBody, redirect, sendPage } from '../consoleAccess.js';
import { messagePage } from '../views/layout.js';
import { accountHref } from './accountViews.js';
import { asrModelsView, asrModelView, ttsTemplatesView, voicesView } from './libraryViews.js';
import { MultipartError, type MultipartForm, parseMultipart } from './multipart.js';
import { attempt, attemptAsync, type Seen } from './resourceAccess.js';
import type { ResourceDeps } from './resourceDeps.js';

type Named = { Params: { name: string } };
type Item = { Params: { name: string; id: string } };

/** A trial recording: a few minutes of telephone audio at most. */
const MAX_TRIAL_BYTES = 20 * 1024 * 1024;

export function registerLibraryRoutes(app: FastifyInstance, d: ResourceDeps): void {
  const { access } = d;
  const voices = new VoiceLibrary(d.store, d.dataDir, () => Math.round(d.clock.now()));
  const models = new AsrModels(d.store, () => Math.round(d.clock.now()));
  const templates = new TtsTemplates(d.store, () => Math.round(d.clock.now()));

  /** A page of an account the user may see; otherwise the reply is already sent. */
  function look(
    req: FastifyRequest<Named>,
    reply: FastifyReply,
  ): { s: Seen; account: AccountRecord } | undefined {
    const s = access.seen(req, reply);
    const account = s && access.account(s, req.params.name, reply);
    return s && account ? { s, account } : undefined;
  }

  /** A multipart form with its CSRF token checked, or the reply is already a 400/403. */
  function upload(req: FastifyRequest, reply: FastifyReply, s: Seen): MultipartForm | undefined {
    let form: MultipartForm;
    try {
      form = parseMultipart(
        Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
        req.headers['content-type'],
      );
    } catch (err) {
      if (!(err instanceof MultipartError)) throw err;
      sendPage(reply, 400, messagePage(s.ctx, s.r('error', { m: err.message })));
      return undefined;
    }
    if (!csrfOk(s.v, req, form.fields)) {
      sendPage(reply, 403, messagePage(s.ctx, s.v.t('badForm')));
      return undefined;
    }
    return form;
  }

  const log = (s: Seen, account: AccountRecord, change: string) =>
    d.log.info({ user: s.v.open.user.name, account: account.name, change }, 'console change');

  // Voice files.
  app.get<Named>('/console/accounts/:name/voices', (req, reply) => {
    const x = look(req, reply);
    if (!x) return reply;
    return sendPage(
      reply,
      200,
      voicesView(x.s.ctx, x.s.r, {
        account: x.account.name,
        voices: voices.list(x.account.id),
        admin: x.s.admin,
      }),
    );
  });

  app.post<Named>(
    '/console/accounts/:name/voices',
    { bodyLimit: MAX_UPLOAD_BYTES + 64 * 1024 },
    async (req, reply) => {
      const x = look(req, reply);
      if (!x) return reply;
      const { s, account } = x;
      const form = upload(req, reply, s);
      if (!form) return reply;
      if (!s.admin) return sendPage(reply, 403, messagePage(s.ctx, s.v.t('forbidden'), s.r('notAdmin')));
      const file = form.files.find((f) => f.field === 'file' && f.data.length > 0);
      const id = (form.fields.get('id') ?? '').trim();
      const name = (form.fields.get('name') ?? '').trim() || (file ? basename(file.filename) : '');
      const dir = await mkdtemp(join(tmpdir(), 'smartcall-upload-'));
      const result = await attemptAsync(async () => {
        if (!file) throw new MultipartError('choose a WAV file to upload');
        const path = join(dir, 'upload.wav');
        await writeFile(path, file.data);
        return voices.upload(account.id, path, { ...(id && { id }), name });
      }).finally(() => rm(dir, { recursive: true, force: true }));
      if ('error' in result) {
        // The service names its temporary copy; the user knows the file by its own name.
        const error = result.error.replaceAll(join(dir, 'upload.wav'), file?.filename ?? 'the file');
        return sendPage(
          reply,
          400,
          voicesView(s.ctx, s.r, {
            account: account.name,
            voices: voices.list(account.id),
            admin: true,
            notice: { error },
          }),
        );
      }
      log(s, account, `voice ${result.ok.id} uploaded`);
      return redirect(req, reply, accountHref(account.name, '/voices'));
    },
  );

  app.get<Item>('/console/accounts/:name/voices/:id/audio', async (req, reply) => {
    const x = look(req, reply);
    if (!x) return reply;
    const voice = voices.find(x.account.id, req.params.id);
    const size =
      voice &&
      (await stat(voice.path).then(
        (st) => st.size,
        () => undefined,
      ));
    if (!voice || size === undefined) return sendPage(reply, 404, messagePage(x.s.ctx, x.s.v.t('notFound')));
    return reply
      .header('content-type', 'audio/wav')
      .header('content-length', size)
      .header('cache-control', 'private, max-age=300')
      .send(createReadStream(voice.path));
  });

  // ASR phrase models.
  app.get<Named>('/console/accounts/:name/asr-models', (req, reply) => {
    const x = look(req, reply);
    if (!x) return reply;
    return sendPage(
      reply,
      200,
      asrModelsView(x.s.ctx, x.s.r, {
        account: x.account.name,
        models: models.list(x.account.id),
        admin: x.s.admin,
      }),
    );
  });

  app.post<Named>('/console/accounts/:name/asr-models', (req, reply) => {
    const form = formBody(req);
    const ok = access.change(req, reply, form, req.params.name);
    if (!ok?.account) return reply;
    const { s, account } = ok;
    const input = {
      name: form.get('name') ?? '',
      phrases: form.get('phrases') ?? '',
      id: (form.get('id') ?? '').trim(),
    };
    const result = attempt(() =>
      models.create(account.id, { name: input.name, phrases: input.phrases, id: input.id || undefined }),
    );
    if ('error' in result)
      return sendPage(
        reply,
        400,
        asrModelsView(s.ctx, s.r, {
          account: account.name,
          models: models.list(account.id),
          admin: true,
          notice: { error: result.error },
          form: input,
        }),
      );
    log(s, account, `ASR model ${result.ok.id} created`);
    return redirect(req, reply, accountHref(account.name, `/asr-models/${encodeURIComponent(result.ok.id)}`));
  });

  app.get<Item>('/console/accounts/:name/asr-models/:id', (req, reply) => {
    const x = look(req, reply);
    if (!x) return reply;
    const model = models.find(x.account.id, req.params.id);
    if (!model) return sendPage(reply, 404, messagePage(x.s.ctx, x.s.v.t('notFound')));
    return sendPage(
      reply,
      200,
      asrModelView(x.s.ctx, x.s.r, { account: x.account.name, model, admin: x.s.admin }),
    );
  });

  app.post<Item>('/console/accounts/:name/asr-models/:id', (req, reply) => {
    const form = formBody(req);
    const ok = access.change(req, reply, form, req.params.name);
    if (!ok?.account) return reply;
    const { s, account } = ok;
    const model = models.find(account.id, req.params.id);
    if (!model) return sendPage(reply, 404, messagePage(s.ctx, s.v.t('notFound')));
    const draft = { name: form.get('name') ?? '', phrases: form.get('phrases') ?? '' };
    const result = attempt(() => models.update(account.id, model.id, draft));
    if ('error' in result)
      return sendPage(
        reply,
        400,
        asrModelView(s.ctx, s.r, {
          account: account.name,
          model,
          admin: true,
          draft,
          notice: { error: result.error },
        }),
      );
    log(s, account, `ASR model ${model.id} edited`);
    return sendPage(
      reply,
      200,
      asrModelView(s.ctx, s.r, {
        account: account.name,
        model: result.ok,
        admin: true,
        notice: { ok: s.r('saved') },
      }),
    );
  });

  // Trying a recording changes nothing: viewers may too (with the form token).
  app.post<Item>(
    '/console/accounts/:name/asr-models/:id/try',
    { bodyLimit: MAX_TRIAL_BYTES },
    async (req, reply) => {
      const x = look(req, reply);
      if (!x) return reply;
      const { s, account } = x;
      const form = upload(req, reply, s);
      if (!form) return reply;
      const model = models.find(account.id, req.params.id);
      if (!model) return sendPage(reply, 404, messagePage(s.ctx, s.v.t('notFound')));
      const file = form.files.find((f) => f.field === 'file' && f.data.length > 0);
      const result = await attemptAsync(async () => {
        if (!file) throw new MultipartError('choose a WAV file to recognise');
        const wav = readWav(file.data);
        if (wav.samples.length === 0) throw new MultipartError(`${file.filename} holds no audio`);
        return tryPhrases(model.name, model.phrases, wav);
      });
      const page = (status: number, extra: Partial<Parameters<typeof asrModelView>[2]>) =>
        sendPage(
          reply,
          status,
          asrModelView(s.ctx, s.r, { account: account.name, model, admin: s.admin, ...extra }),
        );
      if ('error' in result) return page(400, { notice: { error: result.error } });
      d.log.info(
        { user: s.v.open.user.name, account: account.name, model: model.id, result: result.ok.result },
        'console phrase trial',
      );
      return page(200, { trial: result.ok });
    },
  );

  // TTS templates.
  const showTemplates = (s: Seen, account: AccountRecord, reply: FastifyReply, status = 200, extra = {}) =>
    sendPage(
      reply,
      status,
      ttsTemplatesView(s.ctx, s.r, {
        account: account.name,
        templates: templates.list(account.id),
        admin: s.admin,
        ...extra,
      }),
    );

  app.get<Named>('/console/accounts/:name/tts-templates', (req, reply) => {
    const x = look(req, reply);
    return x ? showTemplates(x.s, x.account, reply) : reply;
  });

  app.post<Named>('/console/accounts/:name/tts-templates', (req, reply) => {
    const form = formBody(req);
    const ok = access.change(req, reply, form, req.params.name);
    if (!ok?.account) return reply;
    const input = {
      id: (form.get('id') ?? '').trim(),
      name: (form.get('name') ?? '').trim(),
      text: form.get('text') ?? '',
    };
    const result = attempt(() =>
      templates.add(ok.account!.id, {
        id: input.id,
        text: input.text,
        ...(input.name && { name: input.name }),
      }),
    );
    if ('error' in result)
      return showTemplates(ok.s, ok.account, reply, 400, { notice: { error: result.error }, form: input });
    log(ok.s, ok.account, `TTS template ${input.id} added`);
    return redirect(req, reply, accountHref(ok.account.name, '/tts-templates'));
  });

  app.post<Named>('/console/accounts/:name/tts-templates/remove', (req, reply) => {
    const form = formBody(req);
    const ok = access.change(req, reply, form, req.params.name);
    if (!ok?.account) return reply;
    const id = form.get('id') ?? '';
    const result = attempt(() => templates.remove(ok.account!.id, id));
    if ('error' in result)
      return showTemplates(ok.s, ok.account, reply, 400, { notice: { error: result.error } });
    log(ok.s, ok.account, `TTS template ${id} removed`);
    return redirect(req, reply, accountHref(ok.account.name, '/tts-templates'));
  });
}

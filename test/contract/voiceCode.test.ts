import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseVoiceCode, parseVoiceCodeParam } from '../../src/contract/voiceCode.js';

test('VoiceCode lists files, URLs and TTS variables in order', () => {
  assert.deepEqual(parseVoiceCode('2d4c-4e78-8d2a-afbb06cf0001.wav, $name$,https://cdn.example.com/a.wav'), [
    { kind: 'file', id: '2d4c-4e78-8d2a-afbb06cf0001.wav' },
    { kind: 'tts', name: 'name' },
    { kind: 'url', url: 'https://cdn.example.com/a.wav' },
  ]);
});

test('VoiceCode refuses empty items and garbage', () => {
  assert.throws(() => parseVoiceCode('a.wav,,b.wav'), /empty item/);
  assert.throws(() => parseVoiceCode('$unterminated'), /neither/);
  assert.throws(() => parseVoiceCode('../etc/passwd'), /neither/);
});

test('VoiceCodeParam must be a JSON object of texts', () => {
  assert.deepEqual(parseVoiceCodeParam('{"name":"喂,你好","n":3}'), { name: '喂,你好', n: '3' });
  assert.throws(() => parseVoiceCodeParam('[1]'), /object/);
  assert.throws(() => parseVoiceCodeParam('{"a":{}}'), /string/);
  assert.throws(() => parseVoiceCodeParam('{'), /JSON/);
});

/**
 * docs/speech.md tells the reader to run FunASR's real-time server (issue 19, audit item 4b): the
 * offline `funasr-wss-server` answers only once a stream ends, so a call never hears a result from
 * it. The page must name `funasr-wss-server-2pass` / `run_server_2pass.sh` as the server, its
 * command lines must start that one, and any mention of the plain binary must say it is offline.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const doc = readFileSync('docs/speech.md', 'utf8');
/** The plain binary or its start script, not the -2pass ones. */
const OFFLINE_BINARY = /funasr-wss-server(?![-\w])/g;
const OFFLINE_SCRIPT = /(?<![-\w])run_server\.sh/g;

/** The text between a heading line and the next heading of the same or a higher level. */
function section(heading: RegExp): string {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => heading.test(l));
  assert.ok(start >= 0, `docs/speech.md has a section ${heading}`);
  const level = /^#+/.exec(lines[start]!)?.[0].length ?? 6;
  // Headings outside code blocks only (a shell comment is no heading).
  let fenced = false;
  let end = -1;
  for (let i = start + 1; i < lines.length && end < 0; i++) {
    if (lines[i]!.startsWith('```')) fenced = !fenced;
    else if (!fenced && /^#+\s/.test(lines[i]!) && /^#+/.exec(lines[i]!)![0].length <= level) end = i;
  }
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

function codeBlocks(text: string): string[] {
  return [...text.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!);
}

test('the FunASR section names funasr-wss-server-2pass, started by run_server_2pass.sh, as the server', () => {
  const funasr = section(/^###\s+FunASR\b/);
  assert.match(funasr, /`funasr-wss-server-2pass`/);
  assert.match(funasr, /`run_server_2pass\.sh`/);
});

test('“Connect a real engine” starts FunASR with run_server_2pass.sh', () => {
  const connect = section(/^##\s+Connect a real engine/);
  const funasr = connect.slice(connect.indexOf('**FunASR**'), connect.indexOf('**Vosk**'));
  assert.ok(funasr.length > 0, 'a FunASR part before the Vosk one');
  const commands = codeBlocks(funasr).join('\n');
  assert.match(
    commands,
    /^\s*(nohup\s+)?bash\s+run_server_2pass\.sh\b/m,
    'the command line runs the 2pass script',
  );
});

test('no command line runs the offline funasr-wss-server, and the prose calls it offline', () => {
  for (const block of codeBlocks(doc)) {
    assert.doesNotMatch(block, OFFLINE_BINARY, `a command line runs funasr-wss-server:\n${block}`);
    assert.doesNotMatch(block, OFFLINE_SCRIPT, `a command line runs run_server.sh:\n${block}`);
  }
  const prose = doc.replace(/^```[^\n]*\n[\s\S]*?^```/gm, '');
  const paragraphs = prose.split(/\n\s*\n/);
  for (const p of paragraphs) {
    const flat = p.replace(/\s+/g, ' ');
    for (const m of flat.matchAll(OFFLINE_BINARY)) {
      // The sentence around the mention (up to the neighbouring full stops) says what it is.
      const from = flat.lastIndexOf('. ', m.index) + 1;
      const to = flat.indexOf('. ', m.index);
      const sentence = flat.slice(from, to < 0 ? undefined : to);
      assert.match(
        sentence,
        /offline/,
        `a mention of funasr-wss-server that does not call it offline: ${sentence}`,
      );
    }
    assert.doesNotMatch(flat, OFFLINE_SCRIPT, `the prose names run_server.sh: ${flat}`);
  }
});

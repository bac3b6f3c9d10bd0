/*
 * Live screen: follows /console/live/events (server-sent events on the console session) and shows
 * one card per call with its transcript as it grows. Text only ever goes in through textContent.
 * A reconnect replays each call from its start, so a card is rebuilt, never doubled.
 */
(() => {
  const root = document.getElementById('live');
  if (!root || root.dataset.wired) return;
  root.dataset.wired = '1';
  const status = document.getElementById('live-status');
  const cards = new Map();

  const say = (key) => {
    if (status) status.textContent = status.dataset[key] || '';
  };
  const el = (tag, className, text) => {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const empty = el('p', 'empty', root.dataset.empty);
  root.append(empty);

  function card(c) {
    let k = cards.get(c.callId);
    if (!k) {
      const article = el('article', 'live-call');
      const head = el('h2');
      head.append(el('span', 'who', `${c.number} · ${c.account}`));
      const state = el('span', `state state-${c.state}`, c.state);
      head.append(' ', state);
      const meta = el('p', 'muted');
      meta.append(`CallId ${c.callId}${c.outId ? ` · OutId ${c.outId}` : ''} · `);
      const link = el('a', '', root.dataset.details);
      link.href = c.href;
      meta.append(link);
      const lines = el('ol', 'transcript');
      const end = el('p', 'live-end');
      article.append(head, meta, lines, end);
      k = { article, state, lines, end, createdAt: c.createdAt };
      cards.set(c.callId, k);
      empty.remove();
      root.prepend(article);
    } else {
      k.lines.replaceChildren();
      k.end.textContent = '';
    }
    k.state.textContent = c.state;
    k.state.className = `state state-${c.state}`;
    return k;
  }

  const source = new EventSource(root.dataset.src);
  say('connecting');
  source.addEventListener('open', () => say('connected'));
  source.addEventListener('error', () => say(source.readyState === EventSource.CLOSED ? 'done' : 'lost'));
  source.addEventListener('call', (m) => card(JSON.parse(m.data)));
  source.addEventListener('line', (m) => {
    const line = JSON.parse(m.data);
    const k = cards.get(line.callId);
    if (!k) return;
    const li = el('li', `line kind-${line.kind}`);
    li.append(el('span', 'offset', `+${((line.at - k.createdAt) / 1000).toFixed(1)} s`), ' ');
    li.append(el('strong', '', line.label));
    if (line.text) li.append(' ', el('span', 'text', line.text));
    k.lines.append(li);
    if (['accepted', 'dialing', 'ringing', 'earlyMedia', 'answered'].includes(line.kind)) {
      k.state.textContent = line.label;
    }
  });
  source.addEventListener('ended', (m) => {
    const e = JSON.parse(m.data);
    const k = cards.get(e.callId);
    if (!k) return;
    k.state.textContent = e.state;
    k.state.className = `state state-${e.state}`;
    k.article.classList.add('ended');
    k.end.textContent = `${root.dataset.ended}: ${[e.status, e.hangup].filter(Boolean).join(' · ')}`;
  });
  source.addEventListener('done', () => {
    source.close();
    say('done');
  });
  // A boosted navigation away swaps the page: stop following.
  document.addEventListener('htmx:beforeSwap', () => source.close(), { once: true });
})();

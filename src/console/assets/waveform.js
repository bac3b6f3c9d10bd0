/*
 * Call detail: draws the two-channel recording's waveform (peaks from /console/calls/:id/waveform)
 * on the canvas, moves a cursor along it while the player plays, marks the timeline entry at the
 * current time, and seeks the player when a timeline entry's ▶ or the waveform is clicked.
 * Loaded with each detail page (htmx runs it again after a boosted navigation): it wires the page
 * it finds once.
 */
(() => {
  const canvas = document.getElementById('waveform');
  const audio = document.getElementById('player');
  if (!canvas || !audio || canvas.dataset.wired) return;
  canvas.dataset.wired = '1';
  const status = document.getElementById('waveform-status');
  const rows = Array.from(document.querySelectorAll('tr[data-rec]'));
  const ctx = canvas.getContext('2d');
  let wave;

  const duration = () =>
    Number.isFinite(audio.duration) && audio.duration > 0
      ? audio.duration
      : wave
        ? wave.durationMs / 1000
        : 0;

  function draw() {
    if (!wave) return;
    const w = canvas.width;
    const h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = '#f6f8fa';
    ctx.fillRect(0, 0, w, h);
    const lanes = wave.peaks.length;
    const lane = h / lanes;
    const colours = ['#0a5bd3', '#1a7f37'];
    wave.peaks.forEach((peaks, c) => {
      const mid = lane * c + lane / 2;
      const n = peaks.length / 2;
      ctx.fillStyle = colours[c % colours.length];
      for (let x = 0; x < w; x++) {
        const b = Math.min(n - 1, Math.floor((x * n) / w));
        const lo = peaks[2 * b];
        const hi = peaks[2 * b + 1];
        const top = mid - (hi / 127) * (lane / 2 - 2);
        const bottom = mid - (lo / 127) * (lane / 2 - 2);
        ctx.fillRect(x, top, 1, Math.max(1, bottom - top));
      }
      ctx.fillStyle = '#d0d7de';
      ctx.fillRect(0, Math.round(mid), w, 1);
    });
    const d = duration();
    if (d > 0) {
      const x = Math.round((audio.currentTime / d) * (w - 1));
      ctx.fillStyle = '#b3261e';
      ctx.fillRect(x - 1, 0, 2, h);
    }
  }

  function markRow() {
    const now = audio.currentTime;
    let current;
    for (const r of rows) if (Number(r.dataset.rec) <= now + 0.05) current = r;
    for (const r of rows) {
      const on = r === current;
      r.classList.toggle('now', on);
      if (on) r.setAttribute('aria-current', 'true');
      else r.removeAttribute('aria-current');
    }
  }

  let frame = 0;
  function tick() {
    draw();
    markRow();
    frame = audio.paused ? 0 : requestAnimationFrame(tick);
  }
  const update = () => {
    if (!frame) tick();
  };
  audio.addEventListener('play', update);
  audio.addEventListener('timeupdate', update);
  audio.addEventListener('seeked', update);
  audio.addEventListener('loadedmetadata', update);

  function seek(seconds) {
    audio.currentTime = Math.max(0, seconds);
    update();
    audio.play().catch(() => undefined);
  }
  canvas.addEventListener('click', (e) => {
    const rect = canvas.getBoundingClientRect();
    seek(((e.clientX - rect.left) / rect.width) * duration());
  });
  for (const b of document.querySelectorAll('button.seek')) {
    b.addEventListener('click', () => seek(Number(b.dataset.seek)));
  }

  fetch(canvas.dataset.src, { credentials: 'same-origin' })
    .then((r) => (r.ok ? r.json() : r.json().then((e) => Promise.reject(new Error(e.error)))))
    .then((json) => {
      wave = json;
      draw();
      canvas.dataset.drawn = '1';
    })
    .catch((err) => {
      if (status) status.textContent = String(err.message || err);
      canvas.dataset.drawn = 'error';
    });
})();

// The display board: /board?hall=<id>&token=<display token>[&lang=zh|en]
// [&audio=0]. Shows each open window's current call in tiles that share the
// screen among the open windows, the day's last ten calls (from the snapshot,
// so a reload keeps them), the waiting count and estimated wait per service,
// today's hours and the supervisor's notice line; flashes and announces
// every new call. Read from across a hall: at a quarter of its size (a
// 1920×1080 screen seen from 10 m) numbers and windows stay legible.
// audio=0 keeps the announcement queue but plays nothing (headless tests).
//
// For tests and inspection: window.qcallBoard = {state, announcer,
// announced, queue, log, calls, connection}.
import * as q from '/web/qcall.js';
import {Announcer} from '/web/announcer.js';

const hall = q.params.get('hall') || '';
q.takeToken();
q.chooseLanguage();
q.translate();

const state = new q.HallState();
const flashing = new Map();  // window number → time its flash ends
let calls = 0;               // ticketCalled events applied, for tests
let speaking = null;         // the call being announced, if any
const estimates = new Map(); // service code → estimated wait (s), from ListServices
const ESTIMATES_MS = 30000;

const announcer = new Announcer({
  muted: q.params.get('audio') === '0',
  stillCalled: item => {
    const w = state.windows.get(item.window);
    return !!(w && w.ticket && w.ticket.number === item.number);
  },
  onSpeak: item => {
    speaking = item;
    if (item) flash(item.window);
    renderBanner();
  },
  onSoundBlocked: () => { document.getElementById('sound').hidden = false; },
});

document.getElementById('sound').addEventListener('click', () => {
  announcer.unlock();
  document.getElementById('sound').hidden = true;
});
document.addEventListener('pointerdown', () => announcer.unlock());

function flash(window) {
  flashing.set(window, Date.now() + 4500);
  render();
}

let connection = null;
let language = null;

function onMessage(kind, message) {
  if (kind === 'snapshot') {
    state.applySnapshot(message);
    if (language !== state.language) {
      language = state.language;
      q.chooseLanguage(state.language);
      q.translate();
      tick();
    }
  } else if (kind === 'missed') {
    // A call made while this board moved to the hall's new node: the
    // snapshot shows it; the hall still has to hear it.
    announce(message);
  } else {
    state.applyEvent(message);
    if (message.waiting?.length) scheduleEstimates();
    announce(message);
  }
  render();
}

function announce(event) {
  if (!event.ticketCalled) return;
  ++calls;
  const c = event.ticketCalled;
  flash(c.window);
  announcer.enqueue({
    text: c.announcement ||
          q.t('go_to_window', c.ticket.number, q.windowLabel(c.window, c.windowName)),
    recall: c.recall,
    number: c.ticket.number,
    window: c.window,
    seq: event.seq,
  });
}

function setStatus(connected) {
  const el = document.getElementById('status');
  el.textContent = connected ? '' : q.t('offline');
  el.classList.toggle('offline', !connected);
}

// A wrong token or hall: say so on the screen, where the installer looks.
function showFailure(error) {
  const el = document.getElementById('status');
  el.textContent = error.message;
  el.classList.add('offline');
  q.showStop(error);
}

// The banner shows the call being announced only while its window still
// holds that ticket: a window that called again while the announcement
// queue caught up must not show the old number beside the new tile.
function renderBanner() {
  const banner = document.getElementById('announce');
  const current = speaking && announcer.stillCalled(speaking) ? speaking : null;
  banner.classList.toggle('active', !!current);
  banner.dataset.number = current ? current.number : '';
  if (current) banner.textContent = current.text;
}

// The columns that give n tiles the largest type in a w×h area, for tiles
// about 1.6 times as wide as high: one window fills the area, two share it
// side by side, twelve make a 4×3 grid.
function bestColumns(n, w, h) {
  let best = 1;
  let bestSize = 0;
  for (let cols = 1; cols <= n; ++cols) {
    const rows = Math.ceil(n / cols);
    const size = Math.min(w / cols / 1.6, h / rows);
    if (size > bestSize) {
      best = cols;
      bestSize = size;
    }
  }
  return best;
}

function hoursText() {
  if (!state.hallId) return '';
  if (!state.todayHours.length) return q.t('closed_today');
  return q.t('hours_today', state.todayHours.map(
      h => `${q.minuteText(h.openMinute)}–${q.minuteText(h.closeMinute)}`).join(', '));
}

async function loadEstimates() {
  try {
    const reply = await q.call('Kiosk', 'ListServices', {hallId: hall});
    for (const s of reply.services || []) estimates.set(s.code, s.estimatedWaitSeconds || 0);
    render();
  } catch (e) {
    console.warn('estimates', e.message);
  }
}

let estimatesTimer = 0;
// A burst of events (a call is several) is followed by one read.
function scheduleEstimates() {
  clearTimeout(estimatesTimer);
  estimatesTimer = setTimeout(loadEstimates, 500);
}

function render() {
  const hallName = document.getElementById('hall-name');
  hallName.replaceChildren(q.nameBlock(state.name || hall));
  document.title = state.name || 'qcall';
  document.getElementById('hours').textContent = hoursText();
  const notice = document.getElementById('notice');
  notice.hidden = !state.notice;
  notice.textContent = state.notice;

  const now = Date.now();
  const shown = [...state.windows.values()]
                    .filter(w => w.state !== 'WINDOW_STATE_CLOSED')
                    .sort((a, b) => a.number - b.number);
  const grid = document.getElementById('windows');
  const cols = bestColumns(Math.max(1, shown.length), grid.clientWidth || 1200,
                           grid.clientHeight || 700);
  grid.style.setProperty('--cols', cols);
  grid.style.setProperty('--rows', Math.max(1, Math.ceil(shown.length / cols)));
  if (!shown.length) {
    grid.replaceChildren(q.h('div', {class: 'empty'}, q.t('no_windows_open')));
  } else {
    grid.replaceChildren(...shown.map(w => {
      const cls = q.windowStateClass(w.state);
      const holds = w.ticket && w.ticket.number;
      const flashes = (flashing.get(w.number) || 0) > now;
      return q.h('div', {class: `window-card ${cls}${flashes ? ' flash' : ''}`,
                         dataset: {window: w.number}},
                 q.h('div', {class: 'label'}, q.windowLabel(w.number, w.name),
                     w.standby ? q.h('span', {class: 'standby'}, q.t('standby_mark')) : null),
                 q.h('div', {class: 'number'}, holds ? w.ticket.number : q.windowStateName(w.state)),
                 q.h('div', {class: 'what'},
                     holds ? q.shortName(w.ticket.serviceName) : '\u00a0'));
    }));
  }

  const recent = document.getElementById('recent');
  recent.replaceChildren(...state.recent.slice(0, 10).map(r =>
      q.h('li', {dataset: {number: r.number}},
          q.h('span', {class: 'number'}, r.number),
          q.h('span', {class: 'window'}, q.windowLabel(r.window, r.windowName)),
          q.h('span', {class: 'time digits'}, q.timeOfDay(r.atUnixMs)))));
  // Whole rows only: the oldest calls give way when a hall has many services.
  while (recent.lastChild && recent.scrollHeight > recent.clientHeight) recent.lastChild.remove();

  document.getElementById('services').replaceChildren(...[...state.services.values()].map(s => {
    const estimate = s.waiting ? estimates.get(s.code) ?? s.estimatedWaitSeconds : 0;
    return q.h('li', {dataset: {service: s.code}},
        q.nameBlock(s.name),
        q.h('span', {class: 'figures'},
            q.h('span', {class: 'count'}, s.waiting || 0),
            q.t('people') ? ` ${q.t('people')}` : '',
            q.h('span', {class: 'estimate'}, s.waiting ? q.minutesText(estimate) : '')));
  }));
  renderBanner();
}

function tick() {
  const now = Date.now();
  document.getElementById('clock').textContent = q.timeOfDay(now, true);
  document.getElementById('date').textContent = q.dateText(now);
  // Flashes end by themselves (CSS); the class goes when they are over.
  for (const [w, until] of flashing) {
    if (until <= now) {
      flashing.delete(w);
      render();
    }
  }
}

if (!hall) {
  q.showStop({code: 'missing_hall', message: 'missing ?hall=<hall id>'});
} else {
  setStatus(false);
  document.getElementById('status').textContent = q.t('connecting');
  connection = q.openEvents(hall, {onStatus: setStatus, onFailure: showFailure, missed: true},
                           onMessage);
  loadEstimates();
  setInterval(loadEstimates, ESTIMATES_MS);
  // Tiles are sized for the screen they are on.
  window.addEventListener('resize', render);
}
tick();
setInterval(tick, 1000);

window.qcallBoard = {
  state,
  announcer,
  get announced() { return announcer.announced.slice(); },
  get queue() { return announcer.pending.map(item => item.text); },
  get log() { return announcer.log.slice(); },
  get calls() { return calls; },
  get connection() { return connection; },
};

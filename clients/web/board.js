// The display board: /board?hall=<id>&token=<display token>[&lang=zh|en]
// [&audio=0]. Shows each open window's current call, the last ten calls and
// the waiting count per service; flashes and announces every new call.
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

const announcer = new Announcer({
  muted: q.params.get('audio') === '0',
  stillCalled: item => {
    const w = state.windows.get(item.window);
    return !!(w && w.ticket && w.ticket.number === item.number);
  },
  onSpeak: item => {
    const banner = document.getElementById('announce');
    banner.classList.toggle('active', !!item);
    if (item) {
      banner.textContent = item.text;
      flash(item.window);
    }
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
  } else {
    state.applyEvent(message);
    if (message.ticketCalled) {
      ++calls;
      const c = message.ticketCalled;
      flash(c.window);
      announcer.enqueue({
        text: c.announcement ||
              q.t('go_to_window', c.ticket.number, q.windowLabel(c.window, c.windowName)),
        recall: c.recall,
        number: c.ticket.number,
        window: c.window,
        seq: message.seq,
      });
    }
  }
  render();
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

function render() {
  const hallName = document.getElementById('hall-name');
  hallName.replaceChildren(q.nameBlock(state.name || hall));
  document.title = state.name || 'qcall';

  const now = Date.now();
  const shown = [...state.windows.values()]
                    .filter(w => w.state !== 'WINDOW_STATE_CLOSED')
                    .sort((a, b) => a.number - b.number);
  const grid = document.getElementById('windows');
  // Up to 12 windows fill a 4×3 grid; more make more, smaller cards.
  const cols = shown.length <= 4 ? 2 : shown.length <= 9 ? 3 : shown.length <= 16 ? 4 : 5;
  const rows = Math.max(1, Math.ceil(shown.length / cols));
  grid.style.setProperty('--cols', cols);
  grid.style.setProperty('--rows', Math.max(shown.length <= 4 ? 2 : 3, rows));
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

  document.getElementById('services').replaceChildren(...[...state.services.values()].map(s =>
      q.h('li', {dataset: {service: s.code}},
          q.nameBlock(s.name),
          q.h('span', {}, q.h('span', {class: 'count'}, s.waiting),
              q.t('people') ? ` ${q.t('people')}` : ''))));
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
  connection = q.openEvents(hall, {onStatus: setStatus, onFailure: showFailure}, onMessage);
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

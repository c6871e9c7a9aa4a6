// The evaluator pad (评价器): /pad?hall=<id>&window=<n>&token=<evaluator token>.
// A small screen facing the customer at one window. It watches the window's
// events; when the clerk completes a ticket there it asks for a rating (five
// levels), asks a bad one (the lowest two) for a reason from the hall's list
// (HallView.badRatingReasons), sends Evaluator.RateTicket, thanks the
// customer and goes back to idle. A customer who walks away leaves the
// ticket unrated: the question goes away after ASK_MS. Chinese and English
// are shown together, so every customer can read it.
import * as q from '/web/qcall.js';

// How long the question waits (?ask=<seconds>, default 60: well inside the
// hall's rating_seconds, 180 by default), and the thanks stay.
const ASK_MS = Number(q.params.get('ask') || 60) * 1000;
const THANKS_MS = 4000;

const LEVELS = [
  {level: 5, zh: '非常满意', en: 'Very satisfied'},
  {level: 4, zh: '满意', en: 'Satisfied'},
  {level: 3, zh: '基本满意', en: 'Fairly satisfied'},
  {level: 2, zh: '不满意', en: 'Dissatisfied'},
  {level: 1, zh: '非常不满意', en: 'Very dissatisfied'},
];

const hall = q.params.get('hall') || '';
const windowNumber = Number(q.params.get('window') || 0);
q.takeToken();

const $ = id => document.getElementById(id);
let reasons = [];
let ticket = '';       // The ticket being rated, '' when idle.
let level = 0;
let timer = 0;
let sending = false;

// For tests and inspection.
const pad = {screen: 'idle', ticket: '', rated: [], errors: []};
window.qcallPad = pad;

function show(screen) {
  pad.screen = screen;
  for (const id of ['idle', 'ask', 'reason', 'thanks']) $(id).hidden = id !== screen;
}

function idle() {
  clearTimeout(timer);
  ticket = '';
  level = 0;
  pad.ticket = '';
  show('idle');
}

function ask(number) {
  clearTimeout(timer);
  ticket = number;
  level = 0;
  pad.ticket = number;
  $('ask-ticket').textContent = number;
  show('ask');
  // Unrated tickets stay unrated.
  timer = setTimeout(idle, ASK_MS);
}

function choose(chosen) {
  level = chosen;
  if (level <= 2) {
    clearTimeout(timer);
    $('reasons').replaceChildren(...reasons.map(r =>
        q.h('button', {dataset: {reason: r}, onclick: () => send(r)}, r)));
    show('reason');
    timer = setTimeout(idle, ASK_MS);
  } else {
    send('');
  }
}

async function send(reason) {
  if (sending || !ticket) return;
  sending = true;
  clearTimeout(timer);
  const rated = ticket;
  try {
    await q.command('Evaluator', 'RateTicket',
                    {hallId: hall, window: windowNumber, ticket: rated, level, reason},
                    {prefix: `pad${windowNumber}`});
    pad.rated.push({ticket: rated, level, reason});
    $('thanks-note').textContent = '';
  } catch (e) {
    // Too late, or rated already: the customer still gets a kind word.
    pad.errors.push({code: e.code, message: e.message});
    $('thanks-note').textContent = e.message;
  } finally {
    sending = false;
  }
  show('thanks');
  timer = setTimeout(idle, THANKS_MS);
}

function onMessage(kind, message) {
  if (kind === 'snapshot') {
    reasons = message.badRatingReasons || [];
    const w = (message.windows || []).find(x => x.number === windowNumber);
    $('window-label').textContent = w ? w.name : q.windowLabel(windowNumber, '');
    return;
  }
  const e = message.ticketStateChanged;
  if (e && e.window === windowNumber && e.ticket.state === 'TICKET_STATE_COMPLETED') {
    ask(e.ticket.number);
  }
}

$('levels').replaceChildren(...LEVELS.map(l =>
    q.h('button', {dataset: {level: l.level}, onclick: () => choose(l.level)},
        q.h('span', {class: 'stars'}, '★'.repeat(l.level)), l.zh, q.h('small', {}, l.en))));
idle();
q.openEvents(hall, {
  windows: [windowNumber],
  onStatus: connected => {
    $('status').textContent = connected ? '' : '连接中断，正在重连… Reconnecting…';
  },
  onFailure: e => { $('status').textContent = e.message; },
}, onMessage);

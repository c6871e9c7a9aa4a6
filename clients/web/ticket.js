// A customer's ticket on their phone: /t/<hall>/<number>[?lang=zh|en], opened
// from the QR code on the paper ticket. No token: GET /ticket/<hall>/<number>
// is public. Polls every 2 s and says plainly when it is the customer's turn.
// Times are the hall's (the reply names its zone), not the phone's.
import * as q from '/web/qcall.js';

const POLL_MS = 2000;
const [, , hallPart = '', numberPart = ''] = location.pathname.split('/');
const hall = decodeURIComponent(hallPart);
const number = decodeURIComponent(numberPart);

// The kiosk puts the hall's language in the QR link; without it the phone's.
if (!q.params.get('lang')) {
  q.params.set('lang', (navigator.language || '').toLowerCase().startsWith('zh') ? 'zh' : 'en');
}
q.chooseLanguage();
q.translate();

const $ = id => document.getElementById(id);
let lastState = '';
let timer = 0;

function fact(key, value, id) {
  return q.h('div', {class: 'fact'}, q.h('div', {class: 'k'}, q.t(key)),
             q.h('div', {class: 'v', id}, value));
}

function headline(cls, ...lines) {
  const el = $('headline');
  el.className = `headline ${cls}`;
  el.replaceChildren(...lines);
  el.hidden = false;
}

const ENDED = {
  TICKET_STATE_COMPLETED: ['completed', 'ended'],
  TICKET_STATE_NO_SHOW: ['no_show', 'bad'],
  TICKET_STATE_CANCELLED: ['cancelled', 'ended'],
  TICKET_STATE_VOIDED: ['voided', 'bad'],
  TICKET_STATE_EXPIRED: ['expired', 'ended'],
};

function show(reply) {
  const t = reply.ticket;
  q.setTimeZone(reply.timeZone);
  $('number').textContent = t.number;
  const slot = Number(t.appointmentUnixSeconds || 0) * 1000;
  $('times').textContent = `${q.t('issued_at')} ${q.timeOfDay(Number(t.issuedAtUnixMs))}` +
      (slot > 0 ? ` · ${q.t('appointment_at')} ${q.timeOfDay(slot)}` : '');
  $('service').replaceChildren(q.nameBlock(t.serviceName));
  document.body.dataset.state = t.state;
  $('facts').replaceChildren();
  $('headline').hidden = true;
  const where = q.windowLabel(t.window);
  switch (t.state) {
    case 'TICKET_STATE_WAITING':
      // With no window open for it, neither "you are next" nor an estimate
      // would be true.
      if (reply.noOpenWindow) {
        headline('unserved', q.t('no_window_serves'));
      } else if (reply.peopleAhead === 0) {
        headline('soon', q.t('next_soon'));
      }
      $('facts').replaceChildren(
          fact('people_ahead', reply.peopleAhead, 'ahead'),
          fact('est_wait', reply.noOpenWindow ? '—' : q.minutesText(reply.estimatedWaitSeconds),
               'wait'));
      break;
    case 'TICKET_STATE_CALLED':
      headline('called', q.h('span', {class: 'big'}, q.t('your_turn')),
               q.h('span', {id: 'go'}, q.t('please_go', where)));
      if (lastState !== t.state) navigator.vibrate?.([400, 200, 400]);
      break;
    case 'TICKET_STATE_SERVING':
      headline('serving', q.t('being_served', where));
      break;
    default: {
      const [key, cls] = ENDED[t.state] || ['not_found', 'bad'];
      headline(cls, q.t(key));
    }
  }
  lastState = t.state;
}

async function poll() {
  timer = 0;
  let next = POLL_MS;
  try {
    const reply = await q.get(`/ticket/${encodeURIComponent(hall)}/${encodeURIComponent(number)}`);
    show(reply);
    $('updated').textContent = q.t('updated', q.timeOfDay(Date.now(), true));
    $('updated').classList.remove('offline');
    // A finished ticket changes no more; a no-show may still be requeued.
    if (['TICKET_STATE_COMPLETED', 'TICKET_STATE_CANCELLED', 'TICKET_STATE_VOIDED',
         'TICKET_STATE_EXPIRED'].includes(reply.ticket.state)) {
      return;
    }
    if (reply.ticket.state === 'TICKET_STATE_NO_SHOW') next = 10000;
  } catch (e) {
    if (e.code === 'not_found' || e.code === 'invalid_argument') {
      $('number').textContent = number;
      headline('bad', q.t('not_found'));
      document.body.dataset.state = 'NOT_FOUND';
      return;
    }
    $('updated').textContent = q.t('offline');
    $('updated').classList.add('offline');
    next = 5000;
  }
  timer = setTimeout(poll, next);
}

$('number').textContent = number;
document.title = number;
// Polling stops in a background tab and catches up at once when it is back.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && timer) {
    clearTimeout(timer);
    poll();
  }
});
poll();

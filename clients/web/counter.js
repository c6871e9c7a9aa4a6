// A window's counter: /counter?hall=<id>&token=<counter token>&window=<n>
// [&lang=zh|en]. The clerk opens the window, calls the next customer, recalls,
// starts, completes (the customer rates on the window's evaluator pad, /pad:
// never on the clerk's screen), marks a no-show, transfers, pauses, resumes
// and closes. While the
// window is open a heartbeat goes out every 10 s. The window's own events
// (/events?windows=<n>) keep the screen current.
import * as q from '/web/qcall.js';

const HEARTBEAT_MS = 10000;

const hall = q.params.get('hall') || '';
const windowNumber = Number(q.params.get('window') || 0);
q.takeToken();
q.chooseLanguage();
q.translate();

const $ = id => document.getElementById(id);
const state = new q.HallState();
let busy = false;
let snapshotSeen = false;
let languageSet = false;
let heartbeatTimer = 0;
let heartbeats = 0;

function myWindow() { return state.windows.get(windowNumber); }

// ---------------------------------------------------------------------------
// Commands

// Runs one command; a refusal is shown in words, never as a code.
async function act(method, body = {}, {refusedTitle} = {}) {
  if (busy) return null;
  busy = true;
  render();
  try {
    return await q.command('Counter', method, {hallId: hall, window: windowNumber, ...body},
                           {prefix: `w${windowNumber}`,
                            onRetry: () => q.toast(q.t('retrying'))});
  } catch (e) {
    showRefusal(refusedTitle, e);
    return null;
  } finally {
    busy = false;
    render();
  }
}

// "hall needs 2 open windows, 2 are open; closing window 3 needs a supervisor
// override" becomes a sentence in the page's language; other refusals show
// the server's own words, which already say what to do.
function explainRefusal(e) {
  const m = /needs (\d+) open windows, (\d+) (?:are|is) open/.exec(e.message || '');
  if (e.code === 'failed_precondition' && m) {
    return q.t('min_open_explained', Number(m[1]), Number(m[2]), /pausing/.test(e.message));
  }
  if (e.code === 'network') return q.t('offline');
  return e.message;
}

function showRefusal(title, e) {
  const text = explainRefusal(e);
  const card = $('dialog-card');
  card.className = 'dialog refused';
  q.fill(card,
      q.h('h2', {}, title || q.t('ask_staff')),
      q.h('p', {id: 'refusal-text'}, text),
      text !== e.message ? q.h('p', {class: 'detail'}, e.message) : null,
      q.h('div', {class: 'actions'},
          q.h('button', {onclick: closeDialog}, q.t('confirm'))));
  $('dialog').hidden = false;
}

function closeDialog() { $('dialog').hidden = true; }

function chooseDialog(title, sections, onChoose) {
  const card = $('dialog-card');
  card.className = 'dialog';
  q.fill(card,
      q.h('h2', {}, title),
      ...sections.flatMap(({label, choices}) => [
        label ? q.h('div', {class: 'section-title'}, label) : null,
        q.h('div', {class: 'choices'}, ...choices.map(c =>
            q.h('button', {class: 'secondary', dataset: c.data || {},
                           onclick: () => { closeDialog(); onChoose(c.value); }}, c.text))),
      ]),
      q.h('div', {class: 'actions'},
          q.h('button', {class: 'secondary', onclick: closeDialog}, q.t('cancel'))));
  $('dialog').hidden = false;
}

function reasonDialog(title, presets, onConfirm) {
  const input = q.h('input', {id: 'reason-input', maxlength: 200});
  const card = $('dialog-card');
  card.className = 'dialog';
  const confirm = () => {
    const reason = input.value.trim();
    if (!reason) return input.focus();
    closeDialog();
    onConfirm(reason);
  };
  q.fill(card,
      q.h('h2', {}, title),
      q.h('div', {class: 'choices'}, ...presets.map(key =>
          q.h('button', {class: 'secondary', dataset: {reason: key},
                         onclick: () => { input.value = q.t(key); confirm(); }}, q.t(key)))),
      q.h('div', {class: 'section-title'}, q.t('reason_other')),
      input,
      q.h('div', {class: 'actions'},
          q.h('button', {class: 'secondary', onclick: closeDialog}, q.t('cancel')),
          q.h('button', {id: 'reason-confirm', onclick: confirm}, q.t('confirm'))));
  $('dialog').hidden = false;
}

async function callNext() {
  const reply = await act('CallNext');
  if (reply && !reply.ticket) q.toast(q.t('nobody_waiting'));
}

// The customer rates on the window's own evaluator pad, never here.
async function complete() {
  await act('Complete', {}, {refusedTitle: q.t('complete')});
  render();
}

function transfer() {
  const w = myWindow();
  const own = w?.ticket?.serviceCode;
  chooseDialog(q.t('transfer'), [
    {label: q.t('transfer_to_service'),
     choices: [...state.services.values()].filter(s => s.code !== own).map(s => ({
       text: q.shortName(s.name), value: {toServiceCode: s.code}, data: {service: s.code}}))},
    {label: q.t('transfer_to_window'),
     choices: [...state.windows.values()].filter(x => x.number !== windowNumber).map(x => ({
       text: q.windowLabel(x.number, x.name), value: {toWindow: x.number},
       data: {window: x.number}}))},
  ], target => act('Transfer', target));
}

// ---------------------------------------------------------------------------
// Heartbeat

function heartbeat() {
  const w = myWindow();
  if (!w || w.state === 'WINDOW_STATE_CLOSED') return;
  q.call('Counter', 'Heartbeat', {hallId: hall, window: windowNumber})
      .then(() => { ++heartbeats; })
      .catch(e => console.warn('heartbeat failed', e.message));
}

function keepHeartbeat() {
  const open = myWindow() && myWindow().state !== 'WINDOW_STATE_CLOSED';
  if (open && !heartbeatTimer) {
    heartbeat();
    heartbeatTimer = setInterval(heartbeat, HEARTBEAT_MS);
  } else if (!open && heartbeatTimer) {
    clearInterval(heartbeatTimer);
    heartbeatTimer = 0;
  }
}

// ---------------------------------------------------------------------------
// Screen

function render() {
  const w = myWindow();
  $('hall-name').replaceChildren(q.nameBlock(state.name || hall));
  $('window-label').textContent = q.windowLabel(windowNumber, w?.name);
  document.title = `${q.windowLabel(windowNumber, w?.name)} · qcall`;
  $('eval-window').textContent = q.windowLabel(windowNumber, w?.name);
  if (!w) {
    $('open-form').hidden = true;
    $('work').hidden = true;
    return;
  }
  const cls = q.windowStateClass(w.state);
  document.body.dataset.state = w.state;
  const badge = $('state-badge');
  badge.className = `badge ${cls}`;
  badge.textContent = q.windowStateName(w.state);
  $('clerk').textContent = w.clerkId ? `${q.t('clerk')} ${w.clerkId}` : '';
  // The customer's side says when the window takes nobody.
  $('eval-clerk').textContent =
      w.state === 'WINDOW_STATE_CLOSED' || w.state === 'WINDOW_STATE_PAUSED'
          ? q.windowStateName(w.state)
          : w.clerkId ? `${q.t('clerk_id')} ${w.clerkId}` : '';

  const closed = w.state === 'WINDOW_STATE_CLOSED';
  $('open-form').hidden = !closed;
  $('work').hidden = closed;
  const ticket = w.ticket && w.ticket.number ? w.ticket : null;
  $('current-number').textContent = ticket ? ticket.number : '';
  $('current-service').replaceChildren(...(ticket ? [
    q.nameBlock(ticket.serviceName),
    ticket.category && ticket.category !== 'CATEGORY_NORMAL'
        ? q.h('span', {class: 'category'}, q.categoryName(ticket.category)) : null,
  ].filter(Boolean) : []));
  $('current-state').textContent = ticket
      ? `${q.windowStateName(w.state)}${ticket.recalls ? ` · ${q.t('recall')} ${ticket.recalls}` : ''}`
      : '';
  const paused = w.state === 'WINDOW_STATE_PAUSED';
  $('paused-note').hidden = !paused;
  $('paused-note').textContent = q.t('window_paused_hint', w.reason);

  const idle = w.state === 'WINDOW_STATE_IDLE';
  const calling = w.state === 'WINDOW_STATE_CALLING';
  const serving = w.state === 'WINDOW_STATE_SERVING';
  const enable = (id, on) => { $(id).disabled = busy || !on; };
  enable('call-next', idle);
  enable('recall', calling);
  enable('start', calling);
  enable('complete', serving);
  enable('no-show', calling);
  enable('transfer', calling || serving);
  enable('pause', idle);
  enable('resume', paused);
  enable('close', idle || paused);
  $('open').disabled = busy;
  tick();
}

function tick() {
  const w = myWindow();
  const timed = w && (w.state === 'WINDOW_STATE_CALLING' || w.state === 'WINDOW_STATE_SERVING' ||
                      w.state === 'WINDOW_STATE_PAUSED');
  $('timer').textContent = timed && w.stateSinceUnixMs
      ? q.clockDuration((Date.now() - w.stateSinceUnixMs) / 1000) : '';
}

function onMessage(kind, message) {
  if (kind === 'snapshot') {
    state.applySnapshot(message);
    snapshotSeen = true;
    if (!state.windows.has(windowNumber)) {
      // A window the hall does not have would leave a blank page.
      q.showStop({code: 'not_found',
                  message: `hall ${hall} has no window ${windowNumber}`},
                 {window: windowNumber});
    }
    if (!languageSet) {
      languageSet = true;
      q.chooseLanguage(state.language);
      q.translate();
    }
  } else {
    state.applyEvent(message);
  }
  keepHeartbeat();
  render();
}

function setStatus(connected) {
  $('status').textContent = connected ? '' : q.t('offline');
}

// ---------------------------------------------------------------------------
// Wiring

$('open').addEventListener('click', () => {
  const clerk = $('clerk-id').value.trim();
  if (!clerk) return $('clerk-id').focus();
  localStorage.setItem('qcall_clerk', clerk);
  act('OpenWindow', {clerkId: clerk}, {refusedTitle: q.t('open_window')});
});
$('clerk-id').value = localStorage.getItem('qcall_clerk') || '';
$('call-next').addEventListener('click', callNext);
$('recall').addEventListener('click', () => act('Recall', {}, {refusedTitle: q.t('recall')}));
$('start').addEventListener('click', () => act('StartServing', {}, {refusedTitle: q.t('start')}));
$('complete').addEventListener('click', complete);
$('no-show').addEventListener('click', () => act('NoShow', {}, {refusedTitle: q.t('no_show_btn')}));
$('transfer').addEventListener('click', transfer);
$('pause').addEventListener('click', () => reasonDialog(
    q.t('pause_reason'), ['reason_lunch', 'reason_meeting', 'reason_break'],
    reason => act('PauseWindow', {reason}, {refusedTitle: q.t('pause_refused')})));
$('resume').addEventListener('click', () => act('ResumeWindow'));
$('close').addEventListener('click', () => act('CloseWindow', {}, {refusedTitle: q.t('close_refused')}));

setInterval(tick, 500);

if (!hall || !windowNumber) {
  q.showStop({code: 'missing_hall', setting: 'hall, window',
              message: 'missing ?hall=<hall id>&window=<number>'});
} else {
  setStatus(true);
  $('status').textContent = q.t('connecting');
  q.openEvents(hall, {windows: [windowNumber], onStatus: setStatus,
                     onFailure: e => q.showStop(e)},
               onMessage);
}

window.qcallCounter = {
  state,
  get heartbeats() { return heartbeats; },
  get snapshotSeen() { return snapshotSeen; },
};

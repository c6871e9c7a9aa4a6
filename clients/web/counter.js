// A window's counter: /counter?hall=<id>&token=<counter token>&window=<n>
// [&lang=zh|en]. Looking is not taking: the page shows the window read-only
// until a clerk signs in here with their id, by opening the closed window or,
// for a window already open under that id, by signing in (the server checks
// the id against the window's clerk, Counter.Heartbeat's clerk_id). Signing
// in says who works the window; it is not a password: the counter token is
// what the server trusts, and the commands check the token, not the screen.
// Only a signed-in screen sends the
// heartbeat (every 10 s) that keeps the window, asks before its tab closes,
// and calls, recalls, starts, completes (the customer rates on the window's
// evaluator pad, /pad), marks a no-show (after a confirmation), calls a
// given number, requeues a returning no-show, transfers, pauses, resumes,
// closes and signs out (closing the window, or leaving it open without
// heartbeats expected). The window's own events (/events?windows=<n>) keep
// the screen current, with how many wait for the window's services.
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

// The clerk signed in at this screen, kept for the tab's life (a reload of a
// signed-in tab stays signed in; another tab or device is not).
const SIGN_IN_KEY = `qcall_sign_in:${hall}:${windowNumber}`;
let signedIn = sessionStorage.getItem(SIGN_IN_KEY) || '';

function myWindow() { return state.windows.get(windowNumber); }

function setSignedIn(clerk) {
  signedIn = clerk;
  if (clerk) {
    sessionStorage.setItem(SIGN_IN_KEY, clerk);
  } else {
    sessionStorage.removeItem(SIGN_IN_KEY);
  }
  keepHeartbeat();
  render();
}

// The sign-in holds while the window is open under the same clerk; a close
// elsewhere, a lost window or another clerk ends it.
function checkSignIn() {
  const w = myWindow();
  if (!signedIn || !w || !snapshotSeen) return;
  if (w.state === 'WINDOW_STATE_CLOSED' || w.clerkId !== signedIn) {
    setSignedIn('');
    q.toast(q.t('sign_in_lost'));
  }
}

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

// The beat on its way, so that a sign-out is sent after it: a beat that
// arrived after the sign-out would start the window's watch again.
let beatInFlight = Promise.resolve();

function heartbeat() {
  if (!signedIn) return;
  beatInFlight = q.call('Counter', 'Heartbeat', {hallId: hall, window: windowNumber, clerkId: signedIn})
      .then(() => { ++heartbeats; })
      .catch(e => {
        // The server no longer sees this clerk at the window.
        if (e.code === 'failed_precondition') {
          setSignedIn('');
          q.toast(q.t('sign_in_lost'));
        } else {
          console.warn('heartbeat failed', e.message);
        }
      });
}

function keepHeartbeat() {
  const w = myWindow();
  const beat = !!signedIn && !!w && w.state !== 'WINDOW_STATE_CLOSED';
  if (beat && !heartbeatTimer) {
    heartbeat();
    heartbeatTimer = setInterval(heartbeat, HEARTBEAT_MS);
  } else if (!beat && heartbeatTimer) {
    clearInterval(heartbeatTimer);
    heartbeatTimer = 0;
  }
}

// ---------------------------------------------------------------------------
// Signing in and out

async function openWindow() {
  const clerk = $('clerk-id').value.trim();
  if (!clerk) return $('clerk-id').focus();
  localStorage.setItem('qcall_clerk', clerk);
  const reply = await act('OpenWindow', {clerkId: clerk}, {refusedTitle: q.t('open_window')});
  if (reply) setSignedIn(clerk);
}

async function signIn() {
  const clerk = $('sign-in-id').value.trim();
  if (!clerk) return $('sign-in-id').focus();
  try {
    await q.call('Counter', 'Heartbeat', {hallId: hall, window: windowNumber, clerkId: clerk});
  } catch (e) {
    showRefusal(q.t('sign_in_refused'), e);
    return;
  }
  localStorage.setItem('qcall_clerk', clerk);
  ++heartbeats;
  setSignedIn(clerk);
}

function signOut() {
  const w = myWindow();
  const card = $('dialog-card');
  card.className = 'dialog';
  const canClose = w && (w.state === 'WINDOW_STATE_IDLE' || w.state === 'WINDOW_STATE_PAUSED');
  q.fill(card,
      q.h('h2', {}, q.t('sign_out')),
      q.h('div', {class: 'choices'},
          q.h('button', {id: 'sign-out-close', class: 'secondary', disabled: !canClose,
                         onclick: async () => {
                           closeDialog();
                           const reply = await act('CloseWindow', {},
                                                   {refusedTitle: q.t('close_refused')});
                           if (reply) setSignedIn('');
                         }}, q.t('sign_out_close')),
          q.h('button', {id: 'sign-out-keep', class: 'secondary', onclick: async () => {
            closeDialog();
            const clerk = signedIn;
            clearInterval(heartbeatTimer);
            heartbeatTimer = 0;
            await beatInFlight;
            try {
              await q.call('Counter', 'Heartbeat',
                           {hallId: hall, window: windowNumber, clerkId: clerk, signOut: true});
              setSignedIn('');
            } catch (e) {
              showRefusal(q.t('sign_out'), e);
            }
          }}, q.t('sign_out_keep'))),
      q.h('p', {class: 'detail'}, q.t('sign_out_keep_hint')),
      q.h('div', {class: 'actions'},
          q.h('button', {class: 'secondary', onclick: closeDialog}, q.t('cancel'))));
  $('dialog').hidden = false;
}

// A ticket number typed by the clerk; the server takes any case ("a012").
function numberDialog(title, prompt, onConfirm) {
  const input = q.h('input', {id: 'number-input', maxlength: 16, autocomplete: 'off',
                              placeholder: prompt});
  const card = $('dialog-card');
  card.className = 'dialog';
  const confirm = () => {
    const number = input.value.replace(/\s+/g, '');
    if (!number) return input.focus();
    closeDialog();
    onConfirm(number);
  };
  input.addEventListener('keydown', e => { if (e.key === 'Enter') confirm(); });
  q.fill(card,
      q.h('h2', {}, title),
      q.h('div', {class: 'section-title'}, prompt),
      input,
      q.h('div', {class: 'actions'},
          q.h('button', {class: 'secondary', onclick: closeDialog}, q.t('cancel')),
          q.h('button', {id: 'number-confirm', onclick: confirm}, q.t('confirm'))));
  $('dialog').hidden = false;
  input.focus();
}

// 过号 cannot be undone by the clerk alone (the customer must come back and be
// requeued), so it is confirmed first.
function confirmNoShow() {
  const number = myWindow()?.ticket?.number || '';
  const card = $('dialog-card');
  card.className = 'dialog';
  q.fill(card,
      q.h('h2', {}, q.t('no_show_confirm', number)),
      q.h('p', {}, q.t('no_show_confirm_hint')),
      q.h('div', {class: 'actions'},
          q.h('button', {class: 'secondary', onclick: closeDialog}, q.t('cancel')),
          q.h('button', {id: 'no-show-confirm', class: 'danger', onclick: () => {
            closeDialog();
            act('NoShow', {}, {refusedTitle: q.t('no_show_btn')});
          }}, q.t('no_show_btn'))));
  $('dialog').hidden = false;
}

// How many wait for the services this window serves.
function waitingHere(w) {
  return (w.serviceCodes || []).reduce((n, code) => n + (state.services.get(code)?.waiting || 0), 0);
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
  $('clerk').textContent = signedIn && w.clerkId === signedIn ? q.t('signed_in_as', signedIn)
                          : w.clerkId ? `${q.t('clerk')} ${w.clerkId}` : '';
  // The customer's side says when the window takes nobody.
  $('eval-clerk').textContent =
      w.state === 'WINDOW_STATE_CLOSED' || w.state === 'WINDOW_STATE_PAUSED'
          ? q.windowStateName(w.state)
          : w.clerkId ? `${q.t('clerk_id')} ${w.clerkId}` : '';

  const closed = w.state === 'WINDOW_STATE_CLOSED';
  const mine = !!signedIn && !closed;
  $('open-form').hidden = !closed;
  $('sign-in-form').hidden = closed || mine;
  $('view-only-hint').textContent = q.t('view_only_hint', w.clerkId);
  $('work').hidden = closed;
  document.body.dataset.signedIn = mine ? signedIn : '';
  $('waiting-here').textContent = q.t('waiting_here', waitingHere(w));
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
  const enable = (id, on) => { $(id).disabled = busy || !mine || !on; };
  enable('call-next', idle);
  enable('recall', calling);
  enable('start', calling);
  enable('complete', serving);
  enable('no-show', calling);
  enable('transfer', calling || serving);
  enable('pause', idle);
  enable('resume', paused);
  enable('close', idle || paused);
  enable('call-ticket', idle);
  enable('requeue', true);
  enable('sign-out', true);
  $('open').disabled = busy;
  $('sign-in').disabled = busy;
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
  checkSignIn();
  keepHeartbeat();
  render();
}

function setStatus(connected) {
  $('status').textContent = connected ? '' : q.t('offline');
}

// ---------------------------------------------------------------------------
// Wiring

$('open').addEventListener('click', openWindow);
$('sign-in').addEventListener('click', signIn);
$('sign-out').addEventListener('click', signOut);
$('clerk-id').value = localStorage.getItem('qcall_clerk') || '';
$('sign-in-id').value = localStorage.getItem('qcall_clerk') || '';
for (const [input, go] of [['clerk-id', openWindow], ['sign-in-id', signIn]]) {
  $(input).addEventListener('keydown', e => { if (e.key === 'Enter') go(); });
}
// Closing the tab of a signed-in window asks first: without its heartbeats
// the window is declared lost and its customer requeued.
window.addEventListener('beforeunload', e => {
  const w = myWindow();
  if (!signedIn || !w || w.state === 'WINDOW_STATE_CLOSED') return;
  e.preventDefault();
  e.returnValue = q.t('leave_signed_in');
});
$('call-next').addEventListener('click', callNext);
$('recall').addEventListener('click', () => act('Recall', {}, {refusedTitle: q.t('recall')}));
$('start').addEventListener('click', () => act('StartServing', {}, {refusedTitle: q.t('start')}));
$('complete').addEventListener('click', complete);
$('no-show').addEventListener('click', confirmNoShow);
$('call-ticket').addEventListener('click', () => numberDialog(
    q.t('call_ticket'), q.t('call_ticket_prompt'),
    ticket => act('CallTicket', {ticket}, {refusedTitle: q.t('call_ticket')})));
$('requeue').addEventListener('click', () => numberDialog(
    q.t('requeue'), q.t('requeue_prompt'),
    ticket => act('Requeue', {ticket}, {refusedTitle: q.t('requeue')})));
$('transfer').addEventListener('click', transfer);
$('pause').addEventListener('click', () => reasonDialog(
    q.t('pause_reason'), ['reason_lunch', 'reason_meeting', 'reason_break'],
    reason => act('PauseWindow', {reason}, {refusedTitle: q.t('pause_refused')})));
$('resume').addEventListener('click', () => act('ResumeWindow'));
$('close').addEventListener('click', async () => {
  if (await act('CloseWindow', {}, {refusedTitle: q.t('close_refused')})) setSignedIn('');
});

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
  get signedIn() { return signedIn; },
  get heartbeats() { return heartbeats; },
  get snapshotSeen() { return snapshotSeen; },
};

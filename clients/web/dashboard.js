// The duty manager's dashboard: /dashboard?hall=<id>&token=<supervisor token>
// [&lang=zh|en]. Every window's state and for how long, every service's queue
// and oldest wait against its target (green, amber from 70 %, red from
// 100 %), open windows against the minimum, alarms, and the day's queue
// length and waiting time as charts. Supervisor.GetHall gives the numbers,
// /events?detail=1 says when they changed, Supervisor.GetLoadHistory gives
// the day so far. Below the alarms: the open follow-up items of bad ratings
// (整改), each closed with what was done (Supervisor.CloseFollowUp), and the
// unresolved complaint cases (投诉) with owner and deadline, called back and
// resolved from here (Counter.CallBackComplaint, ResolveComplaint).
//
// The duty manager acts from it too: pause or close a window (with a reason;
// below the hall's minimum the refusal is shown and the manager may override
// it, which the server records with the reason), open a closed window with a
// clerk (the hall's standby clerks for that window are offered: moving a
// standby clerk there), set the minimum, void a ticket with a reason, and
// set the boards' notice line, and acknowledge an alarm (确认,
// Supervisor.AcknowledgeAlarm): it stops flashing and stays listed, marked
// with who and when, until it clears; if it comes back it flashes again.
// Per clerk and window it shows today's served, no-shows, share of waits
// within target, handling and ratings (Supervisor.GetReport of the hall's
// business day). Times are the hall's (HallView.timeZone), not the
// browser's. At 1920×1080 the page never scrolls: alarms beyond the room
// left show as a count, and the follow-ups and complaint cases scroll inside
// their own boxes.
import * as q from '/web/qcall.js';
import {lineChart, PALETTE} from '/web/chart.js';
import {renderAdvice} from '/web/advice.js';

const REFRESH_MS = 5000;
const HISTORY_MS = 60000;
const REPORT_MS = 60000;

const hall = q.params.get('hall') || '';
q.takeToken();
q.chooseLanguage();
q.translate();

const $ = id => document.getElementById(id);
const state = new q.HallState();
let view = null;          // the last HallView
let viewAt = 0;           // when it was read (local clock)
let history = [];         // LoadSample, oldest first
// What this page read since the last history sample, so the lines move
// between two minutely samples and in the first minutes after start-up.
let live = [];
let languageSet = false;
let refreshTimer = 0;
let refreshing = false;
let refreshAgain = false;
let refreshes = 0;

function colour(code) {
  const i = [...state.services.keys()].indexOf(code);
  return PALETTE[(i < 0 ? 0 : i) % PALETTE.length];
}

// ---------------------------------------------------------------------------
// Reading

async function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  try {
    const read = await q.call('Supervisor', 'GetHall', {hallId: hall});
    // A read sent before an event it then answered after would undo what
    // the event showed (a pause shown, then idle again): read again.
    if ((read.lastSeq || 0) < state.lastSeq) {
      refreshAgain = true;
      return;
    }
    view = read;
    viewAt = Date.now();
    ++refreshes;
    // GetHall's alarms carry no time; keep the time their events gave them.
    const raisedAt = new Map([...state.alarms].map(([key, a]) => [key, a.atUnixMs]));
    state.applySnapshot(view);
    for (const [key, a] of state.alarms) a.atUnixMs = raisedAt.get(key);
    live.push({at: viewAt, services: (view.services || []).map(x => ({
      code: x.code, waiting: x.waiting || 0, oldestWaitSeconds: x.oldestWaitSeconds || 0}))});
    if (live.length > 2000) live = live.slice(-1000);
    if (!languageSet) {
      languageSet = true;
      q.chooseLanguage(view.language);
      q.translate();
    }
    render();
    renderCases();
  } catch (e) {
    if (q.isSetupError(e)) q.showStop(e);
    $('status').textContent = e.code === 'network' ? q.t('offline') : e.message;
  } finally {
    refreshing = false;
    if (refreshAgain) {
      refreshAgain = false;
      scheduleRefresh();
    }
  }
}

// Events come in bursts (a call is several); one read follows a burst.
function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 250);
}

async function loadHistory() {
  try {
    const reply = await q.call('Supervisor', 'GetLoadHistory', {hallId: hall});
    history = reply.samples || [];
    renderCharts();
  } catch (e) {
    console.warn('history', e.message);
  }
}

function onMessage(kind, message) {
  if (kind === 'snapshot') {
    // The stream's snapshot is a HallView too, as fresh as GetHall's.
    state.applySnapshot(message);
    viewAt = Date.now();
  } else {
    // Show the change at once from the event, then read the exact figures.
    state.applyEvent(message);
  }
  render();
  scheduleRefresh();
  scheduleReport();
}

// The day's figures follow the events that change them, a burst at a time.
let reportTimer = 0;
function scheduleReport() {
  clearTimeout(reportTimer);
  reportTimer = setTimeout(loadReport, 2000);
}

// ---------------------------------------------------------------------------
// Screen

// The oldest wait goes on growing between two reads.
function oldestNow(s) {
  if (!s.waiting) return 0;
  return (s.oldestWaitSeconds || 0) + (viewAt ? (Date.now() - viewAt) / 1000 : 0);
}

function level(s) {
  const overAlarm = [...state.alarms.values()].some(
      a => a.kind === 'KIND_WAIT_OVER_TARGET' && a.serviceCode === s.code);
  if (overAlarm) return 'red';
  if (!s.targetWaitSeconds) return 'none';
  const ratio = oldestNow(s) / s.targetWaitSeconds;
  return ratio >= 1 ? 'red' : ratio >= 0.7 ? 'amber' : 'green';
}

function render() {
  renderTables();
  renderCharts();
}

function renderTables() {
  $('hall-name').replaceChildren(q.nameBlock(state.name || hall));
  document.title = `${q.shortName(state.name) || hall} · qcall`;
  $('hours').textContent = view ? q.t(view.businessHours ? 'business_hours' : 'after_hours') : '';

  const open = state.openWindows;
  const min = state.minOpenWindows;
  $('open-windows').textContent = `${open} / ${min}`;
  if (document.activeElement !== $('min-input')) $('min-input').value = min;
  // At the minimum no window may close or pause: amber; below it: red.
  $('kpi-open').className =
      `kpi${view?.businessHours ? (open < min ? ' bad' : open === min ? ' warn' : '') : ''}`;
  // The staffing plan (Erlang C on the last half hour) beside the minimum.
  const recommended = view?.recommendedOpenWindows ?? 0;
  $('recommended-open').textContent = view ? recommended : '';
  $('kpi-recommended').className = `kpi${view && open < recommended ? ' warn' : ''}`;
  const serviceName = code => q.shortName(state.services.get(code)?.name) || code;
  renderAdvice($('staffing-advice'), {view, hall, serviceName, onChange: scheduleRefresh});
  const waiting = [...state.services.values()].reduce((n, s) => n + (s.waiting || 0), 0);
  $('total-waiting').textContent = waiting;
  // The tile counts the alarms nobody acknowledged yet, and flashes for them.
  const acked = [...state.alarms.values()].filter(a => a.acknowledgedBy).length;
  const unacked = state.alarms.size - acked;
  $('alarm-count').textContent = unacked;
  $('alarms-acked').textContent = acked ? q.t('alarms_acknowledged', acked) : '';
  $('kpi-alarms').className = `kpi${unacked ? ' bad flash' : acked ? ' warn' : ''}`;

  const now = Date.now();
  const focused = document.activeElement;
  $('windows').tBodies[0].replaceChildren(...[...state.windows.values()]
      .sort((a, b) => a.number - b.number)
      .map(w => {
        const cls = q.windowStateClass(w.state);
        const closed = w.state === 'WINDOW_STATE_CLOSED';
        return q.h('tr', {class: cls, dataset: {window: w.number, state: w.state}},
            q.h('td', {}, q.windowLabel(w.number, w.name)),
            q.h('td', {}, q.h('span', {class: `state ${cls}`}, q.windowStateName(w.state)),
                w.reason ? q.h('span', {class: 'reason'}, reasonText(w.reason)) : null),
            q.h('td', {class: 'num since'},
                !closed && w.stateSinceUnixMs ? q.clockDuration((now - w.stateSinceUnixMs) / 1000) : ''),
            q.h('td', {}, w.clerkId || ''),
            q.h('td', {class: 'digits'}, w.ticket?.number || ''),
            q.h('td', {class: 'acts'}, windowActions(w)));
      }));
  if (focused?.classList?.contains('clerk-input') && focused.isConnected) focused.focus();

  $('services').tBodies[0].replaceChildren(...[...state.services.values()].map(s =>
      q.h('tr', {dataset: {service: s.code}},
          q.h('td', {}, q.h('span', {class: 'swatch', style: `color:${colour(s.code)}`}, '● '),
              q.shortName(s.name)),
          q.h('td', {class: 'num waiting'}, s.waiting || 0),
          q.h('td', {class: 'num'}, q.h('span', {class: `level ${level(s)}`, dataset: {level: level(s)}},
                                        s.waiting ? q.clockDuration(oldestNow(s)) : '—')),
          q.h('td', {class: 'num'}, s.targetWaitSeconds ? q.clockDuration(s.targetWaitSeconds) : '—'),
          q.h('td', {class: 'num'}, s.waiting ? q.clockDuration(s.estimatedWaitSeconds || 0) : '—'),
          q.h('td', {class: 'num'}, s.issuedToday || 0),
          q.h('td', {class: 'num'}, q.clockDuration(s.meanHandlingSeconds || 0)))));

  renderAlarms();
}

// The alarms nobody acknowledged first (they flash), then the acknowledged
// ones, which stay until their condition clears; newest first in each. Those
// the panel has no room for are counted, not scrolled. Rebuilt only when
// they change, so that the flashing runs on and a click finds its button.
let alarmsShown = '';
function renderAlarms() {
  const alarms = [...state.alarms.values()].sort((a, b) =>
      !!a.acknowledgedBy - !!b.acknowledgedBy || (b.atUnixMs || 0) - (a.atUnixMs || 0));
  const key = JSON.stringify([alarms.map(a => [a.kind, a.serviceCode, a.window, a.ticket,
                                               a.atUnixMs, a.acknowledgedBy]),
                              // What the texts and the room depend on.
                              state.openWindows, state.minOpenWindows, q.t('alarms'),
                              window.innerHeight, state.windows.size, state.services.size]);
  if (key === alarmsShown) return;
  alarmsShown = key;
  const list = $('alarms');
  list.replaceChildren(...(alarms.length ? alarms.map(alarmItem)
                                         : [q.h('li', {class: 'none'}, q.t('no_alarms'))]));
  let hidden = 0;
  while (list.children.length > 1 && list.scrollHeight > list.clientHeight) {
    list.lastChild.remove();
    ++hidden;
  }
  $('alarms-more').textContent = hidden ? q.t('alarms_more', hidden) : '';
}

function alarmItem(a) {
  const acked = !!a.acknowledgedBy;
  return q.h('li', {class: acked ? 'acked' : 'unacked', dataset: {kind: a.kind, acked: acked ? 1 : 0},
                    title: a.message},
      a.atUnixMs ? q.h('span', {class: 'time'}, q.timeOfDay(a.atUnixMs)) : null,
      q.h('span', {class: 'text'}, alarmText(a)),
      acked ? q.h('span', {class: 'ack-note'},
                  q.t('acknowledged_by', a.acknowledgedBy, q.timeOfDay(Number(a.acknowledgedAtUnixMs))))
            : q.h('button', {class: 'ack', onclick: async e => {
                const button = e.target;
                button.disabled = true;  // once: a second press would be refused
                const ok = await act('Supervisor', 'AcknowledgeAlarm', {
                  kind: a.kind, serviceCode: a.serviceCode || '', window: a.window || 0,
                  ticket: a.ticket || '', businessDay: a.businessDay || 0});
                if (!ok) button.disabled = false;
              }}, q.t('acknowledge')));
}

// The engine words a window's own reasons in English; the page says them in
// its language. A reason a clerk typed is shown as typed.
function reasonText(reason) {
  if (reason === 'counter lost') return q.t('reason_counter_lost');
  const standby = /^standby for window (\d+)$/.exec(reason);
  if (standby) {
    const n = Number(standby[1]);
    return q.t('reason_standby', q.windowLabel(n, state.windows.get(n)?.name));
  }
  return reason;
}

// ---------------------------------------------------------------------------
// Acting on windows

function windowActions(w) {
  if (w.state === 'WINDOW_STATE_CLOSED') {
    // The standby clerks (AB岗) who may take this window come first.
    const standby = (view?.standbyClerks || []).filter(c => (c.windows || []).includes(w.number));
    const listId = `clerks-${w.number}`;
    const clerk = clerkInput(w.number, listId);
    return [q.h('datalist', {id: listId}, standby.map(c => q.h('option', {value: c.clerkId}))),
            clerk,
            q.h('button', {class: 'open-window', onclick: () => {
              const clerkId = clerk.value.trim();
              if (clerkId) act('Counter', 'OpenWindow', {window: w.number, clerkId});
            }}, q.t('open_window'))];
  }
  const acts = [];
  if (w.state !== 'WINDOW_STATE_PAUSED') {
    acts.push(q.h('button', {class: 'pause-window', onclick: () => askWindow(w, 'PauseWindow')},
                  q.t('pause')));
  }
  acts.push(q.h('button', {class: 'close-window', onclick: () => askWindow(w, 'CloseWindow')},
                q.t('close_window')));
  return acts;
}

// The clerk id inputs of closed windows outlive the rows, which are rebuilt
// every second: what is being typed, and the focus, stay.
const clerkInputs = new Map();
function clerkInput(number, listId) {
  if (!clerkInputs.has(number)) {
    clerkInputs.set(number, q.h('input', {class: 'clerk-input', list: listId, size: 8,
                                          placeholder: q.t('clerk_id')}));
  }
  return clerkInputs.get(number);
}

// Pause or close with a reason. Below the minimum the server refuses; the
// refusal is shown and a second confirmation sends the manager's override
// (the server records who approved it and why).
function askWindow(w, method) {
  const dialog = $('window-dialog');
  const reason = $('window-reason');
  const refusal = $('window-refusal');
  let override = false;
  $('window-dialog-title').textContent =
      `${q.windowLabel(w.number, w.name)} · ${q.t(method === 'PauseWindow' ? 'pause' : 'close_window')}`;
  reason.value = '';
  refusal.hidden = true;
  $('window-go').textContent = q.t('confirm');
  $('window-cancel').onclick = () => dialog.close();
  $('window-form').onsubmit = async e => {
    e.preventDefault();
    const text = reason.value.trim();
    if (!text) return;
    const body = {window: w.number, reason: text};
    if (override) body.override = {reason: text};
    try {
      await q.command('Counter', method, {hallId: hall, ...body}, {prefix: 'dash'});
      dialog.close();
      scheduleRefresh();
    } catch (err) {
      if (err.code === 'failed_precondition' && !override && /needs a supervisor override/.test(err.message)) {
        override = true;
        refusal.hidden = false;
        refusal.textContent = q.t('below_min_override', state.minOpenWindows, state.openWindows);
        $('window-go').textContent = q.t('override');
      } else {
        refusal.hidden = false;
        refusal.textContent = err.message;
      }
    }
  };
  dialog.showModal();
  reason.focus();
}

// ---------------------------------------------------------------------------
// Today by clerk and window (the day report so far)

let clerkRows = [];

async function loadReport() {
  // The hall's business day (YYYYMMDD), not the calendar date: a hall open
  // past midnight is still in yesterday's day until its day starts.
  const day = state.businessDay;
  const today = day ? {year: Math.floor(day / 10000), month: Math.floor(day / 100) % 100, day: day % 100}
                    : q.hallTime(Date.now());
  try {
    const report = await q.call('Supervisor', 'GetReport', {
      hallId: hall, kind: 'REPORT_KIND_DAY', year: today.year, month: today.month, day: today.day});
    clerkRows = report.clerks || [];
    renderClerks();
  } catch (e) {
    console.warn('report', e.message);
  }
}

function renderClerks() {
  const pct = x => `${Math.round((x || 0) * 100)}%`;
  $('clerks').tBodies[0].replaceChildren(...(clerkRows.length ? clerkRows.map(c =>
      q.h('tr', {dataset: {clerk: c.clerkId, window: c.window}},
          q.h('td', {}, c.clerkId),
          q.h('td', {}, q.windowLabel(c.window, state.windows.get(c.window)?.name)),
          q.h('td', {class: 'num served'}, Number(c.served || 0)),
          q.h('td', {class: 'num no-shows'}, Number(c.noShows || 0)),
          // Of the tickets this clerk called, the share whose wait was in target.
          q.h('td', {class: 'num in-target'}, Number(c.called || 0) ? pct(c.waitWithinTarget) : '—'),
          q.h('td', {class: 'num'}, q.clockDuration(c.meanHandlingSeconds || 0)),
          q.h('td', {class: 'num'}, Number(c.rated || 0)),
          q.h('td', {class: 'num satisfaction'}, Number(c.rated || 0) ? pct(c.satisfactionRate) : '—')))
      : [q.h('tr', {class: 'none'}, q.h('td', {colspan: 8}, q.t('none')))]));
}

// The server words alarms in English; the page says them in its language.
function alarmText(a) {
  const w = a.window ? q.windowLabel(a.window, state.windows.get(a.window)?.name) : '';
  switch (a.kind) {
    case 'KIND_BELOW_MIN_OPEN':
      return q.t('alarm_below_min', state.minOpenWindows, state.openWindows);
    case 'KIND_WAIT_OVER_TARGET': {
      const s = state.services.get(a.serviceCode);
      return s && s.targetWaitSeconds
          ? q.t('alarm_wait', q.shortName(s.name), q.durationWords(s.targetWaitSeconds))
          : a.message;
    }
    case 'KIND_HANDLING_OVER_TARGET':
      return q.t('alarm_handling', w);
    case 'KIND_WINDOW_LOST':
      return q.t('alarm_lost', w);
    case 'KIND_QUEUE_GROWING': {
      const s = state.services.get(a.serviceCode);
      return q.t('alarm_growing', s ? q.shortName(s.name) : a.serviceCode);
    }
    case 'KIND_NO_WINDOW_SERVES': {
      const s = state.services.get(a.serviceCode);
      return q.t('alarm_no_window', s ? q.shortName(s.name) : a.serviceCode);
    }
    case 'KIND_WINDOW_IDLE':
      return q.t('alarm_idle', w);
    case 'KIND_COMPLAINT_DUE_SOON':
      return q.t('alarm_complaint_due', a.ticket);
    case 'KIND_COMPLAINT_OVERDUE':
      return q.t('alarm_complaint_overdue', a.ticket);
    default:
      return a.message;
  }
}

// Rebuilt only when the items change, so that a text being typed survives
// the reads every few seconds.
let casesShown = '';
function renderCases() {
  const followUps = view?.followUps || [];
  const complaints = view?.complaints || [];
  const key = JSON.stringify([followUps, complaints]);
  if (key === casesShown) return;
  casesShown = key;
  const none = n => [q.h('tr', {class: 'none'}, q.h('td', {colspan: n}, q.t('none')))];
  $('follow-ups').tBodies[0].replaceChildren(...(followUps.length ? followUps.map(f => {
    const text = q.h('input', {type: 'text', placeholder: q.t('what_was_done')});
    return q.h('tr', {dataset: {followUp: f.id, ticket: f.ticket}},
        q.h('td', {class: 'digits'}, f.ticket),
        q.h('td', {}, q.windowLabel(f.window, state.windows.get(f.window)?.name)),
        q.h('td', {}, f.clerkId),
        q.h('td', {class: 'num'}, f.level),
        q.h('td', {}, f.reason),
        q.h('td', {}, text, q.h('button', {class: 'close-follow-up', onclick: () =>
            act('Supervisor', 'CloseFollowUp', {id: f.id, text: text.value.trim()})},
            q.t('close_item'))));
  }) : none(6)));
  $('complaints').tBodies[0].replaceChildren(...(complaints.length ? complaints.map(c => {
    const text = q.h('input', {type: 'text', placeholder: q.t('resolution')});
    const named = {ticket: c.ticket, businessDay: c.businessDay, window: 0};
    const open = c.state === 'STATE_OPEN';
    return q.h('tr', {dataset: {complaint: c.ticket, state: c.state},
                      class: c.overdue ? 'bad' : c.dueSoon ? 'warn' : ''},
        q.h('td', {class: 'digits'}, c.ticket),
        q.h('td', {}, c.ownerClerkId),
        q.h('td', {}, q.t(open ? 'case_open' : 'case_called_back')),
        q.h('td', {class: 'digits'}, q.dateTimeText(c.dueAtUnixMs)),
        q.h('td', {}, open ? q.h('button', {class: 'call-back', onclick: () =>
                act('Counter', 'CallBackComplaint', named)}, q.t('called_back')) : null,
            text, q.h('button', {class: 'resolve', onclick: () =>
                act('Counter', 'ResolveComplaint', {...named, resolution: text.value.trim()})},
                q.t('resolve'))));
  }) : none(5)));
}


// Whether the server took it; a refusal is shown as a toast.
async function act(service, method, body, done = () => {}) {
  let ok = false;
  try {
    await q.command(service, method, {hallId: hall, ...body}, {prefix: 'dash'});
    ok = true;
    done();
  } catch (e) {
    q.toast(e.message, 'error');
  }
  scheduleRefresh();
  return ok;
}

function renderCharts() {
  const now = Date.now();
  // The samples of the day, then the figures of this moment.
  const samples = history.map(s => ({at: s.atUnixMs, services: s.services || []}));
  const lastSampled = samples.length ? samples[samples.length - 1].at : 0;
  samples.push(...live.filter(p => p.at > lastSampled));
  if (view) {
    samples.push({at: now, services: [...state.services.values()].map(s => ({
      code: s.code, waiting: s.waiting || 0, oldestWaitSeconds: oldestNow(s)}))});
  }
  // The day so far, and at least the last quarter of an hour.
  const from = Math.min(samples.length ? samples[0].at : now, now - 15 * 60000);
  const codes = [...state.services.keys()];
  const series = field => codes.map(code => ({
    name: code,
    color: colour(code),
    points: samples.map(p => {
      const s = p.services.find(x => x.code === code);
      const v = s ? s[field] || 0 : 0;
      return [p.at, field === 'oldestWaitSeconds' ? v / 60 : v];
    }),
  }));
  $('chart-queue').replaceChildren(lineChart({from, to: now, series: series('waiting')}));
  $('chart-wait').replaceChildren(lineChart({
    from, to: now, series: series('oldestWaitSeconds'),
    guides: [...state.services.values()].filter(s => s.targetWaitSeconds)
                .map(s => ({color: colour(s.code), value: s.targetWaitSeconds / 60})),
  }));
  $('legend').replaceChildren(...[...state.services.values()].map(s =>
      q.h('span', {}, q.h('i', {style: `background:${colour(s.code)}`}), q.shortName(s.name))));
}

// Durations and waits run on between two reads.
function tick() {
  $('clock').textContent = q.timeOfDay(Date.now(), true);
  if (state.hallId) renderTables();
}

function setStatus(connected) {
  $('status').textContent = connected ? '' : q.t('offline');
}

function setUpForms() {
  $('void-ticket').placeholder = q.t('ticket');
  $('void-reason').placeholder = q.t('void_reason');
  $('notice-text').placeholder = q.t('notice_placeholder');
  $('min-form').onsubmit = e => {
    e.preventDefault();
    const min = Number($('min-input').value);
    if (Number.isInteger(min) && $('min-input').value !== '') {
      act('Supervisor', 'SetMinOpenWindows', {minOpenWindows: min});
    }
  };
  $('void-form').onsubmit = e => {
    e.preventDefault();
    const ticket = $('void-ticket').value.trim().toUpperCase();
    const reason = $('void-reason').value.trim();
    if (!ticket || !reason) return q.toast(q.t('void_needs_reason'), 'error');
    act('Supervisor', 'VoidTicket', {ticket, reason}, () => {
      $('void-ticket').value = '';
      $('void-reason').value = '';
      q.toast(q.t('voided_ok', ticket));
    });
  };
  $('notice-form').onsubmit = e => {
    e.preventDefault();
    act('Supervisor', 'SetNotice', {text: $('notice-text').value.trim()},
        () => q.toast(q.t('notice_set')));
  };
}

tick();
setInterval(tick, 1000);
setUpForms();
if (!hall) {
  q.showStop({code: 'missing_hall', message: 'missing ?hall=<hall id>'});
} else {
  refresh();
  loadHistory();
  loadReport();
  setInterval(loadReport, REPORT_MS);
  q.openEvents(hall, {detail: true, onStatus: setStatus,
                     onFailure: e => q.showStop(e)},
               onMessage);
  setInterval(refresh, REFRESH_MS);
  setInterval(loadHistory, HISTORY_MS);
}

window.qcallDashboard = {
  state,
  get refreshes() { return refreshes; },
  get history() { return history; },
  get clerkRows() { return clerkRows; },
};

// What every qcall page shares: the token, JSON calls to qcalld, the event
// stream, texts in Chinese and English, and formatting. See docs/http-api.md.
//
//   import * as q from '/web/qcall.js';
//   q.takeToken();                        // ?token=.. → sessionStorage + cookie
//   const reply = await q.call('Kiosk', 'IssueTicket', {hallId, serviceCode});
//   q.openEvents(hallId, {windows: [3]}, (kind, message) => ...);
//
// Replies and events arrive with their 64-bit integers (proto3 JSON strings)
// already turned into numbers.

// ---------------------------------------------------------------------------
// Query and token

export const params = new URLSearchParams(location.search);

const TOKEN_KEY = 'qcall_token';

// Over HTTPS the cookie is Secure: a browser never sends it in plain text.
function setCookie(token) {
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = `${TOKEN_KEY}=${encodeURIComponent(token)}; path=/; ` +
      `SameSite=Strict${secure}`;
}

// Moves `token` from the address bar into sessionStorage and the cookie the
// event stream sends (EventSource cannot set headers). The address bar loses
// it so that it does not show on screen, in history or in a bookmark.
export function takeToken() {
  const fromQuery = params.get('token');
  if (fromQuery) {
    sessionStorage.setItem(TOKEN_KEY, fromQuery);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '',
                         location.pathname + (rest ? `?${rest}` : '') + location.hash);
  }
  const token = sessionStorage.getItem(TOKEN_KEY) || '';
  if (token) setCookie(token);
  return token;
}

function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

// ---------------------------------------------------------------------------
// Following the hall's node
//
// Several qcalld nodes may share a city's halls, each hall served by one of
// them. A node asked for a hall it does not serve sends a page to the
// owner (307), and answers its JSON calls 503 with {"owner": <origin>} and
// its event stream with a "moved" event. A page never calls another
// origin: it goes there itself, same path and query, carrying its token,
// the seq it showed last (?seq=, so a board announces what it missed) and
// the origin it was first opened at (?entry=). When the origin it is on
// cannot be reached for UNREACHABLE_MS it goes back to its entry (a
// load-balanced name or any node), which sends it to the hall's owner now.

const UNREACHABLE_MS = 5000;

function httpOrigin(text) {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  } catch {
    // not a URL
  }
  return '';
}

// Where this page was first opened.
const entry = httpOrigin(params.get('entry')) || location.origin;
// The seq a page brought from the node it left; read once, and out of the
// address bar so that a reload does not announce the same calls again.
const resumeSeq = Number(params.get('seq')) || 0;
if (params.has('seq')) {
  params.delete('seq');
  const rest = params.toString();
  history.replaceState(null, '', location.pathname + (rest ? `?${rest}` : '') + location.hash);
}

// The newest seq each open event stream showed.
const streamSeqs = new Set();
let leaving = false;

// Goes to `owner` (an origin), or, with none, asks this origin again for the
// page, whose node sends it on to the hall's owner.
export function followOwner(owner = '') {
  if (leaving) return;
  leaving = true;
  const url = new URL(location.pathname, httpOrigin(owner) || location.origin);
  const query = new URLSearchParams(params);
  const own = token();
  if (own) query.set('token', own);
  query.set('entry', entry);
  const seq = Math.max(0, ...[...streamSeqs].map(f => f()));
  if (seq > 0) query.set('seq', String(seq));
  url.search = query.toString();
  url.hash = location.hash;
  location.replace(url.href);
}

// When this origin first failed to answer, since its last answer.
let unreachableSince = 0;

function reached(ok) {
  if (ok) {
    unreachableSince = 0;
    return;
  }
  const now = Date.now();
  if (!unreachableSince) unreachableSince = now;
  if (now - unreachableSince >= UNREACHABLE_MS && entry !== location.origin) {
    followOwner(entry);
  }
}

// ---------------------------------------------------------------------------
// Numbers

// proto3 JSON writes int64 and uint64 as strings; these are the ones qcall
// sends. Ticket numbers ("A012") and codes stay strings.
const INT64_FIELDS = new Set([
  'seq', 'atUnixMs', 'lastSeq', 'estimatedWaitSeconds', 'issuedAtUnixMs',
  'appointmentUnixSeconds', 'handlingMs', 'stateSinceUnixMs',
  'oldestWaitSeconds', 'meanHandlingSeconds', 'timeoutSeconds',
  'targetWaitSeconds', 'targetHandlingSeconds',
  // Ratings, follow-ups and complaint cases.
  'completedAtUnixMs', 'openedAtUnixMs', 'closedAtUnixMs', 'dueAtUnixMs',
  'calledBackAtUnixMs', 'resolvedAtUnixMs',
]);

export function numbers(value) {
  if (Array.isArray(value)) return value.map(numbers);
  if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (INT64_FIELDS.has(key) && typeof v === 'string') {
        value[key] = Number(v);
      } else if (v && typeof v === 'object') {
        numbers(v);
      }
    }
  }
  return value;
}

// ---------------------------------------------------------------------------
// Calls

// A failed call: `code` is the gRPC status name in lower case
// ("failed_precondition") or "network" when no reply came at all.
export class CallError extends Error {
  constructor(code, message, httpStatus = 0) {
    super(message);
    this.code = code;
    this.httpStatus = httpStatus;
  }
}

// POST /qcall.v1.<service>/<method> with the page's token. Resolves to the
// reply; rejects with a CallError.
export async function call(service, method, body = {}, {signal} = {}) {
  let response;
  try {
    response = await fetch(`/qcall.v1.${service}/${method}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Authorization': `Bearer ${token()}`,
      },
      body: JSON.stringify(body),
      signal,
      cache: 'no-store',
    });
  } catch (e) {
    if (e.name !== 'AbortError') reached(false);
    throw new CallError('network', e.message || String(e));
  }
  reached(true);
  return readReply(response);
}

// GET of one of the read-only helpers (/ticket/.., /history?..).
export async function get(path, {signal} = {}) {
  let response;
  try {
    response = await fetch(path, {signal, cache: 'no-store'});
  } catch (e) {
    if (e.name !== 'AbortError') reached(false);
    throw new CallError('network', e.message || String(e));
  }
  reached(true);
  return readReply(response);
}

async function readReply(response) {
  const text = await response.text().catch(() => '');
  let body = null;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = null;
  }
  if (response.status === 503 && body?.owner) {
    // The hall is served by another node: the page goes there.
    followOwner(body.owner);
    throw new CallError('moved', body.message || body.error, 503);
  }
  if (!response.ok) {
    throw new CallError(body?.code || `http_${response.status}`,
                        body?.message || text || response.statusText,
                        response.status);
  }
  if (body === null) throw new CallError('internal', 'reply is not JSON');
  return numbers(body);
}

// A request id for the retries of one command: the same id makes the server
// return the first result instead of acting twice. getRandomValues works on
// plain http too, unlike crypto.randomUUID.
export function requestId(prefix = 'web') {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return `${prefix}-${Date.now().toString(36)}-${
      Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('')}`;
}

// A failure a retry may mend: no reply came, or the server could not act for
// a moment (its journal, a deadline).
export function isTransient(e) {
  return ['network', 'unavailable', 'deadline_exceeded'].includes(e?.code);
}

// A mutating call with a request id. A lost request, or a server that cannot
// write for a moment, is retried with the SAME id, so the server acts at most
// once. `onRetry(attempt)` lets the page say that it is retrying.
export async function command(service, method, body,
                              {prefix = 'web', onRetry = () => {},
                               delays = [500, 1000, 2000, 3000, 4000, 5000]} = {}) {
  const request = {...body, requestId: requestId(prefix)};
  for (let attempt = 0; ; ++attempt) {
    try {
      return await call(service, method, request);
    } catch (e) {
      if (!isTransient(e) || attempt >= delays.length) throw e;
      onRetry(attempt + 1);
      await new Promise(r => setTimeout(r, delays[attempt]));
    }
  }
}

// ---------------------------------------------------------------------------
// Event stream

// Follows GET /events: `onMessage('snapshot', hallView)` and then
// `onMessage('event', hallEvent)` for every event after it, each exactly once
// and in order, across reconnects. A lost connection is reopened after a
// short pause with `after=<last seq>`, so the server sends just what was
// missed (or a fresh snapshot). `onStatus(connected)` reports the line;
// `onFailure({code, message})` a refusal no reconnect can mend (a wrong
// token or hall), after which the stream stays closed. A HallConfigured
// event carries the hall's new view (services and windows may have been
// added, renamed or removed, which events do not describe): it is passed on
// as a snapshot, on the same stream, so a call right after it is shown and
// announced like any other.
//
// A hall that moves to another node ends the stream with a "moved" event,
// or, on reconnecting, a redirect: the page follows it (followOwner). A page
// that came from another node with ?seq= and `missed: true` gets, after its
// first snapshot, the events between that seq and the snapshot as
// onMessage('missed', event): already in the snapshot, never seen here (a
// board announces their calls).
//
// Returns {reconnect(), lastSeq()}.
export function openEvents(hall, opts, onMessage) {
  const {windows = [], detail = false, onStatus = () => {}, missed = false,
         onFailure = e => console.error('event stream refused:', e.message)} = opts || {};
  let lastSeq = opts?.after || 0;
  streamSeqs.add(() => lastSeq);
  // While the missed events are fetched, the live ones wait here.
  let held = missed && resumeSeq > 0 ? [] : null;
  const deliver = (kind, message) => {
    if (held && kind !== 'missed') {
      held.push([kind, message]);
    } else {
      onMessage(kind, message);
    }
  };
  const release = () => {
    const waiting = held || [];
    held = null;
    for (const [kind, message] of waiting) onMessage(kind, message);
  };
  let source = null;
  let retryTimer = 0;
  let delay = 500;
  let closed = false;
  let catchingUp = false;

  const url = (after = lastSeq) => {
    const q = new URLSearchParams({hall});
    if (windows.length) q.set('windows', windows.join(','));
    if (detail) q.set('detail', '1');
    if (after > 0) q.set('after', String(after));
    return `/events?${q}`;
  };

  // The events after resumeSeq up to the first snapshot's `upTo`, as
  // 'missed'; then the live ones held meanwhile.
  const catchUp = upTo => {
    if (resumeSeq >= upTo) {
      release();
      return;
    }
    const es = new EventSource(url(resumeSeq));
    const done = () => {
      es.close();
      clearTimeout(timer);
      release();
    };
    // Events no longer kept (a snapshot comes instead) or a line that
    // fails: what the snapshot shows has to do.
    const timer = setTimeout(done, 5000);
    es.addEventListener('snapshot', done);
    es.onerror = done;
    es.addEventListener('event', e => {
      const event = numbers(JSON.parse(e.data).event);
      if (event.seq > resumeSeq && event.seq <= upTo) onMessage('missed', event);
      if (event.seq >= upTo) done();
    });
  };

  const connect = () => {
    clearTimeout(retryTimer);
    if (closed) return;
    // Another tab of this browser may have stored a different token in the
    // shared cookie; this page's own token goes with its stream.
    const own = token();
    if (own) setCookie(own);
    const es = new EventSource(url());
    source = es;
    es.onopen = () => {
      delay = 500;
      reached(true);
      onStatus(true);
    };
    es.addEventListener('snapshot', e => {
      if (source !== es) return;
      const view = numbers(JSON.parse(e.data).snapshot);
      lastSeq = view.lastSeq || Number(e.lastEventId) || 0;
      const first = held !== null && held.length === 0 && !catchingUp;
      onMessage('snapshot', view);
      if (first) {
        catchingUp = true;
        catchUp(lastSeq);
      }
    });
    es.addEventListener('event', e => {
      if (source !== es) return;
      const event = numbers(JSON.parse(e.data).event);
      // Invariant 4 promises each event once; a duplicate after a reconnect
      // race must still not be shown or announced twice.
      if (event.seq <= lastSeq) return;
      lastSeq = event.seq;
      deliver('event', event);
      const view = event.hallConfigured?.view;
      if (view) {
        lastSeq = Math.max(lastSeq, view.lastSeq || 0);
        deliver('snapshot', view);
      }
    });
    es.addEventListener('moved', e => {
      if (source !== es) return;
      es.close();
      source = null;
      onStatus(false);
      let owner = '';
      try {
        owner = JSON.parse(e.data).owner || '';
      } catch {
        // ask this origin again: its node redirects
      }
      followOwner(owner);
    });
    es.addEventListener('failure', e => {
      if (source !== es) return;
      closed = true;
      es.close();
      source = null;
      onStatus(false);
      let error = {code: 'unknown', message: e.data};
      try {
        error = JSON.parse(e.data);
      } catch {
        // keep the raw text
      }
      onFailure(error);
    });
    let opened = false;
    es.addEventListener('open', () => { opened = true; });
    es.onerror = async () => {
      if (source !== es) return;
      // EventSource retries by itself, but not after an HTTP error, and then
      // with Last-Event-ID of the last message; this page decides instead,
      // with a growing pause, resuming from what it showed.
      es.close();
      source = null;
      onStatus(false);
      // A stream refused before it opened may be refused for good (a wrong
      // token or hall answers 401/403/404, whose body EventSource hides):
      // ask once more with fetch, which shows the answer.
      // A hall served elsewhere is redirected, which EventSource cannot
      // follow to another origin: the page goes there.
      if (!opened) {
        const refusal = await whyRefused(url());
        if (closed) return;
        if (refusal?.moved) {
          closed = true;
          followOwner(refusal.owner);
          return;
        }
        if (refusal?.unreachable) {
          reached(false);
        } else if (refusal) {
          closed = true;
          onFailure(refusal);
          return;
        }
      }
      retryTimer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 8000);
    };
  };

  connect();
  return {
    // Drops the current connection as a network failure would and resumes.
    reconnect() {
      closed = false;
      source?.close();
      source = null;
      delay = 500;
      connect();
    },
    lastSeq: () => lastSeq,
  };
}

// The refusal of `path` that no retry can mend ({code, message}); {moved,
// owner} when the hall is served by another node (owner '' when only a
// redirect said so); {unreachable} when no answer came; null when the
// server accepts it or is only busy (a stream that opens is dropped at once).
async function whyRefused(path) {
  const abort = new AbortController();
  try {
    const response = await fetch(path, {signal: abort.signal, cache: 'no-store',
                                        redirect: 'manual'});
    if (response.type === 'opaqueredirect') return {moved: true, owner: ''};
    if (response.ok) return null;
    const body = await response.json().catch(() => null);
    if (response.status === 503 && body?.owner) return {moved: true, owner: body.owner};
    if (!FINAL_HTTP.has(response.status)) return null;
    return {code: body?.code || `http_${response.status}`,
            message: body?.message || response.statusText};
  } catch {
    return {unreachable: true};
  } finally {
    abort.abort();
  }
}

const FINAL_HTTP = new Set([400, 401, 403, 404]);

// The gRPC codes (lower case, as CallError has them) that mean this screen is
// set up wrongly: a retry gets the same answer.
const FINAL_CODES = new Set(['unauthenticated', 'permission_denied', 'not_found',
                             'invalid_argument']);

export function isSetupError(e) { return FINAL_CODES.has(e?.code); }

// A screen that cannot work as set up (a wrong or missing token, a hall or
// window that does not exist) says so over the whole page, in the page's
// language, with what to do and the server's own words for staff. It
// replaces a page that would otherwise reconnect for ever or stay blank.
//   q.showStop({code: 'unauthenticated', message: 'unknown token'});
//   q.showStop({code: 'not_found', message: ..}, {window: 99});
//   q.showStop({code: 'missing_hall', setting: 'hall, window'});
export function showStop(error, {window: windowNumber = 0} = {}) {
  const code = error?.code || '';
  const message = error?.message || '';
  let what;
  if (code === 'missing_hall') {
    what = t('stop_missing', error.setting || 'hall');
  } else if (code === 'unauthenticated') {
    what = t('stop_token');
  } else if (code === 'permission_denied') {
    what = t('stop_denied');
  } else if (windowNumber) {
    what = t('stop_no_window', windowNumber);
  } else if (code === 'not_found' || /no hall/.test(message)) {
    what = t('stop_no_hall', params.get('hall') || '');
  } else {
    what = t('stop_other');
  }
  document.getElementById('stop')?.remove();
  document.body.append(h('div', {id: 'stop', class: 'stop', role: 'alert',
                                 dataset: {code}},
      h('div', {class: 'stop-card'},
          h('h2', {}, t('stop_title')),
          h('p', {class: 'stop-what'}, what),
          h('p', {class: 'stop-ask'}, t('stop_ask')),
          message ? h('p', {class: 'stop-detail'}, message) : null)));
}

// ---------------------------------------------------------------------------
// Hall state from a snapshot and events

// The hall as a board, counter or dashboard shows it, kept current by events.
// Window states follow from the events alone (a call leaves no
// WindowChanged, a completion none either); the waiting count of each
// service comes with the last event of every command that changed it.
export class HallState {
  constructor() {
    this.hallId = '';
    this.name = '';
    this.language = 'LANGUAGE_UNSPECIFIED';
    this.businessDay = 0;
    this.openWindows = 0;
    this.minOpenWindows = 0;
    this.windows = new Map();   // number → WindowView
    this.services = new Map();  // code → ServiceView
    this.alarms = new Map();    // key → Alarm
    this.recent = [];           // the last calls, newest first
    this.notice = '';           // the supervisor's line for the boards
    this.todayHours = [];       // OpeningHours of today
    this.lastSeq = 0;           // the newest event applied (or view read)
  }

  applySnapshot(view) {
    this.lastSeq = view.lastSeq || 0;
    this.hallId = view.hallId;
    this.name = view.name;
    this.language = view.language;
    this.businessDay = view.businessDay;
    this.openWindows = view.openWindows;
    this.minOpenWindows = view.minOpenWindows;
    this.windows = new Map((view.windows || []).map(w => [w.number, {...w}]));
    this.services = new Map((view.services || []).map(s => [s.code, {...s}]));
    this.alarms = new Map((view.alarms || []).map(a => [alarmKey(a), a]));
    this.recent = (view.recentCalls || []).map(c => ({
      number: c.number, window: c.window, windowName: c.windowName,
      atUnixMs: c.atUnixMs, recall: c.recall || 0}));
    this.notice = view.notice || '';
    this.todayHours = view.todayHours || [];
    setTimeZone(view.timeZone);
  }

  service(code) {
    if (!this.services.has(code)) {
      this.services.set(code, {code, name: code, waiting: 0, oldestWaitSeconds: 0});
    }
    return this.services.get(code);
  }

  window(number, name) {
    if (!this.windows.has(number)) {
      this.windows.set(number, {number, name: name || String(number),
                                state: 'WINDOW_STATE_CLOSED', clerkId: '',
                                stateSinceUnixMs: 0, reason: ''});
    }
    return this.windows.get(number);
  }

  // Applies one event; returns what a page may want to react to.
  applyEvent(event) {
    this.lastSeq = Math.max(this.lastSeq, event.seq || 0);
    const at = event.atUnixMs;
    if (event.ticketIssued) {
      const t = event.ticketIssued.ticket;
      const s = this.service(t.serviceCode);
      s.issuedToday = (s.issuedToday || 0) + 1;
    } else if (event.ticketCalled) {
      const c = event.ticketCalled;
      const t = c.ticket;
      const w = this.window(c.window, c.windowName);
      w.state = 'WINDOW_STATE_CALLING';
      w.ticket = t;
      if (!c.recall) w.stateSinceUnixMs = at;
      this.recent = [
        {number: t.number, window: c.window, windowName: c.windowName,
         atUnixMs: at, recall: c.recall},
        ...this.recent.filter(r => r.number !== t.number),
      ].slice(0, 10);
    } else if (event.ticketStateChanged) {
      const e = event.ticketStateChanged;
      const t = e.ticket;
      const w = e.window ? this.window(e.window) : null;
      const holds = w && w.ticket && w.ticket.number === t.number;
      switch (t.state) {
        case 'TICKET_STATE_SERVING':
          if (w) {
            w.state = 'WINDOW_STATE_SERVING';
            w.ticket = t;
            w.stateSinceUnixMs = at;
          }
          break;
        case 'TICKET_STATE_COMPLETED':
        case 'TICKET_STATE_NO_SHOW':
          if (holds) {
            w.state = 'WINDOW_STATE_IDLE';
            w.ticket = null;
            w.stateSinceUnixMs = at;
          }
          break;
        case 'TICKET_STATE_WAITING':  // back in the queue
          if (holds) w.ticket = null;
          break;
      }
    } else if (event.ticketTransferred) {
      const e = event.ticketTransferred;
      const from = this.window(e.fromWindow);
      if (from.ticket && from.ticket.number === e.ticket.number) {
        from.ticket = null;
        from.state = 'WINDOW_STATE_IDLE';
        from.stateSinceUnixMs = at;
      }
    } else if (event.windowChanged) {
      const e = event.windowChanged;
      const w = this.window(e.window, e.windowName);
      // Standby (AB岗) from the engine's opening until a clerk of the
      // window's own opens it again or it closes.
      w.standby = !!e.standby || (!!w.standby && w.state !== 'WINDOW_STATE_CLOSED' &&
                                  e.state !== 'WINDOW_STATE_CLOSED');
      w.state = e.state;
      w.clerkId = e.clerkId;
      w.reason = e.reason;
      w.stateSinceUnixMs = at;
      if (e.state === 'WINDOW_STATE_CLOSED' || e.state === 'WINDOW_STATE_IDLE') {
        w.ticket = null;
      }
      this.openWindows = e.openWindows;
    } else if (event.noticeChanged) {
      this.notice = event.noticeChanged.text || '';
    } else if (event.minOpenWindowsChanged) {
      this.minOpenWindows = event.minOpenWindowsChanged.minOpenWindows;
    } else if (event.alarm) {
      const a = event.alarm;
      if (a.raised) {
        this.alarms.set(alarmKey(a), {...a, atUnixMs: at});
      } else {
        this.alarms.delete(alarmKey(a));
      }
    } else if (event.alarmAcknowledged) {
      // Still raised, now acknowledged: who and when, the raising time kept.
      const a = event.alarmAcknowledged.alarm;
      const shown = this.alarms.get(alarmKey(a));
      this.alarms.set(alarmKey(a), {...a, atUnixMs: shown?.atUnixMs});
    } else if (event.dayStarted) {
      this.businessDay = event.dayStarted.businessDay;
      for (const s of this.services.values()) {
        s.waiting = 0;
        s.oldestWaitSeconds = 0;
        s.issuedToday = 0;
      }
      this.recent = [];
    }
    for (const w of event.waiting || []) {
      this.service(w.serviceCode).waiting = w.waiting;
    }
    return event;
  }
}

function alarmKey(a) {
  // A complaint case's alarms are the case's: ticket and day.
  return `${a.kind}|${a.serviceCode || ''}|${a.window || 0}|${a.ticket || ''}|${
      a.businessDay || 0}`;
}

// ---------------------------------------------------------------------------
// Language

// "4", "4 and 5", "4, 5 and 6".
function andList(items) {
  return items.length < 2 ? items.join('') :
      `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

const TEXTS = {
  zh: {
    connecting: '正在连接…',
    offline: '连接中断，正在重连…',
    now_calling: '正在叫号',
    recent_calls: '最近叫号',
    waiting: '等候',
    waiting_suffix: '人等候',
    people: '人',
    window_n: n => `${n} 号窗口`,
    go_to_window: (number, window) => `请 ${number} 号到 ${window}办理`,
    no_windows_open: '暂无开放窗口',
    hours_today: hours => `今日营业时间 ${hours}`,
    closed_today: '今日不营业',
    idle: '空闲',
    paused: '暂停服务',
    closed: '已关闭',
    calling: '叫号中',
    serving: '办理中',
    tap_for_sound: '轻触屏幕以开启声音',
    // Kiosk
    choose_service: '请选择业务',
    est_wait: '预计等候',
    no_wait: '无需等候',
    about_minutes: n => `约 ${n} 分钟`,
    less_than_minute: '不到 1 分钟',
    open_windows_n: n => `${n} 个窗口服务中`,
    no_window_serves: '现在没有窗口办理此业务，已通知工作人员',
    guide: '引导员',
    category_for_next: '为下一位顾客选择类别',
    issuing: '正在取号，请稍候…',
    your_number: '您的号码',
    people_ahead: '前面还有',
    issued_at: '取号时间',
    scan_to_follow: '扫码查看排队进度',
    take_ticket: '请取走您的号票',
    done: '完成',
    retrying: '网络不稳定，正在重试…',
    issue_failed: '取号失败',
    ask_staff: '请联系工作人员',
    // Ticket page
    ticket_title: '排队进度',
    your_turn: '轮到您了',
    please_go: w => `请到 ${w}办理`,
    being_served: w => `正在 ${w}办理`,
    completed: '业务已办理完成，感谢您的光临',
    no_show: '您未在叫号后到窗口，号码已过号。如需办理，请联系工作人员重新排队',
    cancelled: '此号码已取消',
    voided: '此号码已作废，请联系工作人员',
    expired: '此号码已过期（营业日已结束），请重新取号',
    not_found: '找不到这个号码，可能不是今天的号码',
    updated: t => `更新于 ${t}`,
    next_soon: '马上就到您了，请留意叫号',
    // Counter
    clerk_id: '工号',
    open_window: '开窗',
    call_next: '叫下一位',
    recall: '重呼',
    start: '开始办理',
    complete: '办理完成',
    no_show_btn: '过号',
    transfer: '转移',
    pause: '暂停',
    resume: '恢复',
    close_window: '关窗',
    nobody_waiting: '当前没有等候的顾客',
    current_ticket: '当前号码',
    transfer_to_service: '转到业务',
    transfer_to_window: '转到窗口',
    cancel: '取消',
    pause_reason: '暂停原因',
    reason_lunch: '午休',
    reason_meeting: '会议',
    reason_break: '短暂离开',
    reason_other: '其他',
    confirm: '确定',
    close_refused: '暂时不能关窗',
    pause_refused: '暂时不能暂停',
    min_open_explained: (need, open, pausing) =>
        `本厅营业时间内至少要有 ${need} 个窗口开放，现在开放 ${open} 个，${pausing ? '暂停' : '关闭'}本窗口后就不够了。请等其他窗口开放后再操作，或请值班经理授权。`,
    window_closed_hint: '窗口已关闭。输入工号开窗并签到。',
    window_paused_hint: r => `窗口暂停中${r ? `（${r}）` : ''}`,
    waiting_in_hall: '大厅等候',
    sign_in: '签到',
    sign_out: '签退',
    signed_in_as: id => `工号 ${id} 已签到`,
    view_only_hint: clerk => `只读查看：窗口由工号 ${clerk} 开放。该营业员输入工号签到后才能在本屏操作。`,
    sign_in_refused: '不能签到',
    sign_out_close: '关窗并签退',
    sign_out_keep: '窗口保持开放，仅本屏签退',
    sign_out_keep_hint: '保持开放时，同一工号可在另一台终端签到继续；有顾客等候而无人叫号时值班经理会收到告警。',
    sign_in_lost: '本屏已签退：窗口已关闭或由其他工号使用',
    leave_signed_in: '窗口仍在本屏签到中，关闭页面 30 秒后窗口将被判定为失联。',
    waiting_here: n => `本窗口业务等候 ${n} 人`,
    call_ticket: '指定叫号',
    call_ticket_prompt: '输入要叫的号码（如 A012）',
    requeue: '过号重排',
    requeue_prompt: '输入回来的过号顾客的号码',
    no_show_confirm: n => `确认 ${n} 号过号？`,
    no_show_confirm_hint: '过号后顾客需到窗口办理过号重排才能再次排队。',
    standby_mark: '备用',
    // Dashboard
    reason_counter_lost: '柜台失去联系',
    reason_standby: w => `顶替${w}（AB岗）`,
    alarms_more: n => `另有 ${n} 条告警`,
    acknowledge: '确认',
    acknowledged_by: (who, at) => `已确认 · ${who} ${at}`,
    alarms_acknowledged: n => `${n} 条已确认`,
    within_target: '等候达标',
    below_min_override: (need, open) => `低于最低开放窗口数（至少 ${need} 个，现开放 ${open} 个）。确认由值班经理授权并记录原因？`,
    override: '授权并执行',
    set_min: '设置',
    today_by_clerk: '今日服务（按工号）',
    served: '办结',
    no_shows: '过号',
    mean_handling: '平均办理',
    rated: '评价数',
    satisfaction: '满意率',
    hall_actions: '大厅操作',
    void_ticket: '作废号码',
    void_reason: '作废原因',
    void_needs_reason: '作废号码需要填写号码和原因',
    voided_ok: n => `${n} 已作废`,
    set_notice: '发布公告',
    notice_placeholder: '叫号屏公告（留空则撤下）',
    notice_set: '公告已更新',
    dashboard: '值班经理看板',
    windows: '窗口',
    services: '业务',
    state: '状态',
    since: '持续',
    clerk: '工号',
    ticket: '号码',
    oldest_wait: '最长等候',
    target: '目标',
    open_vs_min: '开放窗口 / 最低要求',
    recommended_open: '建议开放',
    // A set of windows (one or more) and the services they open for.
    advice_open: (windows, services) =>
      `建议开 ${windows.join('、')} 号窗口（${services.join('、')}）`,
    advice_close: (windows) => `${windows.join('、')} 号窗口可关闭`,
    advice_clerk_for: (window) => `${window} 号窗口工号`,
    advice_none: '人手合适',
    advice_follow: '照办',
    advice_dismiss: '忽略',
    advice_since: time => `${time} 起`,
    advice_clerk_hint: '开窗口的工号（AB岗）',
    advice_close_reason: '按人手建议关闭',
    advice_followed: '已照办',
    advice_dismissed: '已忽略，暂不再提示',
    alarms: '告警',
    no_alarms: '无告警',
    follow_ups: '整改事项',
    complaints: '投诉工单',
    rating: '评价',
    reason: '原因',
    action: '处理',
    owner: '首问责任人',
    due: '办结期限',
    none: '无',
    what_was_done: '整改情况',
    close_item: '关闭',
    resolution: '处理结果',
    case_open: '待回访',
    case_called_back: '已回访',
    called_back: '已回访',
    resolve: '办结',
    queue_length: '排队人数',
    wait_time: '最长等候（分钟）',
    issued_today: '今日取号',
    handling: '平均办理',
    business_hours: '营业中',
    after_hours: '非营业时间',
    alarm_below_min: (need, open) => `开放窗口不足：至少需要 ${need} 个，现开放 ${open} 个`,
    alarm_wait: (service, target) => `${service}：顾客等候超过 ${target} 的目标`,
    alarm_handling: w => `${w}办理时间超过目标`,
    alarm_lost: w => `${w}与柜台失去联系（心跳中断）`,
    alarm_complaint_due: t => `投诉 ${t} 即将到期，尚未办结`,
    alarm_complaint_overdue: t => `投诉 ${t} 已超过办结期限`,
    alarm_growing: name => `${name}：来的人比开放窗口办得快，队伍在变长`,
    alarm_no_window: name => `${name}：有顾客等候，但没有开放的窗口办理`,
    alarm_idle: w => `${w}开着却没有叫号，而有顾客在等`,
    minutes_n: n => `${n} 分钟`,
    seconds_n: n => `${n} 秒`,
    // A screen set up wrongly
    stop_title: '此屏幕暂时不能使用',
    stop_token: '这台设备的访问令牌无效或已停用。',
    stop_denied: '这台设备无权使用这个大厅或窗口。',
    stop_no_hall: hall => `没有编号为“${hall}”的大厅。`,
    stop_no_window: n => `本厅没有 ${n} 号窗口。`,
    stop_missing: what => `这台设备的网址缺少参数（${what}）。`,
    stop_other: '服务器拒绝了这台设备的请求。',
    stop_ask: '请联系工作人员检查这台设备的设置。',
    // Kiosk offline
    kiosk_offline: '网络中断，暂停取号，正在重新连接…',
    // Kiosk guide mode and language
    guide_pin_title: '请输入引导员密码',
    guide_pin_wrong: '密码错误',
    guide_pin_locked: s => `密码错误次数过多，请 ${s} 秒后再试`,
    guide_mode: '引导员模式',
    guide_exit: '退出',
    other_language: 'English',
    // Kiosk check-in by booking code (预约签到)
    check_in: '预约签到',
    check_in_title: '请输入预约码',
    check_in_hint: '6 位字母或数字，不区分大小写',
    checking_in: '正在签到…',
    booking_not_found: '未找到这个预约码，请核对后重新输入',
    booking_bad_code: '预约码是 6 位字母或数字，请核对后重新输入',
    booking_used: (time, ticket) => `这个预约已于 ${time} 签到，号码 ${ticket}`,
    booking_early: (slot, from) => `还未到签到时间：您预约的是 ${slot}，请于 ${from} 后签到`,
    booking_late: (slot, until) => `已过签到时间：您预约的是 ${slot}，签到已于 ${until} 截止，请取普通号`,
    appointment_at: '预约时间',
  },
  en: {
    connecting: 'Connecting…',
    offline: 'Connection lost, reconnecting…',
    now_calling: 'Now calling',
    recent_calls: 'Recent calls',
    waiting: 'Waiting',
    waiting_suffix: 'waiting',
    people: '',
    window_n: n => `Window ${n}`,
    go_to_window: (number, window) => `Ticket ${number}, please go to ${window}`,
    no_windows_open: 'No window is open',
    hours_today: hours => `Open today ${hours}`,
    closed_today: 'Closed today',
    idle: 'Free',
    paused: 'Paused',
    closed: 'Closed',
    calling: 'Calling',
    serving: 'Serving',
    tap_for_sound: 'Tap the screen to turn on sound',
    choose_service: 'Please choose a service',
    est_wait: 'Estimated wait',
    no_wait: 'No wait',
    about_minutes: n => `about ${n} min`,
    less_than_minute: 'under 1 min',
    open_windows_n: n => `${n} window${n === 1 ? '' : 's'} open`,
    no_window_serves: 'No window serves this now; staff have been told',
    guide: 'Guide',
    category_for_next: 'Category of the next customer',
    issuing: 'Printing your ticket…',
    your_number: 'Your number',
    people_ahead: 'People ahead',
    issued_at: 'Issued',
    scan_to_follow: 'Scan to follow the queue',
    take_ticket: 'Please take your ticket',
    done: 'Done',
    retrying: 'Network is slow, retrying…',
    issue_failed: 'Could not issue a ticket',
    ask_staff: 'Please ask a member of staff',
    ticket_title: 'Queue status',
    your_turn: 'It is your turn',
    please_go: w => `Please go to ${w}`,
    being_served: w => `Being served at ${w}`,
    completed: 'Your visit is complete. Thank you!',
    no_show: 'You did not come when called, so the number has passed. Please ask a member of staff to queue again.',
    cancelled: 'This ticket was cancelled.',
    voided: 'This ticket was voided. Please ask a member of staff.',
    expired: 'This ticket expired when the business day ended. Please take a new one.',
    not_found: 'This ticket was not found; it may be from an earlier day.',
    updated: t => `Updated ${t}`,
    next_soon: 'You are next, please listen for your number',
    clerk_id: 'Clerk ID',
    open_window: 'Open window',
    call_next: 'Call next',
    recall: 'Recall',
    start: 'Start',
    complete: 'Complete',
    no_show_btn: 'No-show',
    transfer: 'Transfer',
    pause: 'Pause',
    resume: 'Resume',
    close_window: 'Close',
    nobody_waiting: 'Nobody is waiting',
    current_ticket: 'Current ticket',
    transfer_to_service: 'To a service',
    transfer_to_window: 'To a window',
    cancel: 'Cancel',
    pause_reason: 'Reason for the pause',
    reason_lunch: 'Lunch',
    reason_meeting: 'Meeting',
    reason_break: 'Short break',
    reason_other: 'Other',
    confirm: 'OK',
    close_refused: 'The window cannot close now',
    pause_refused: 'The window cannot pause now',
    min_open_explained: (need, open, pausing) =>
        `During opening hours this hall keeps at least ${need} windows open and ${open} are open now, so ${pausing ? 'pausing' : 'closing'} this window would leave too few. Wait until another window opens, or ask the duty manager to approve it.`,
    window_closed_hint: 'The window is closed. Enter your clerk ID to open it and sign in.',
    window_paused_hint: r => `The window is paused${r ? ` (${r})` : ''}`,
    waiting_in_hall: 'Waiting in the hall',
    sign_in: 'Sign in',
    sign_out: 'Sign out',
    signed_in_as: id => `Clerk ${id} signed in`,
    view_only_hint: clerk => `View only: clerk ${clerk} opened this window. That clerk signs in with their ID to work from this screen.`,
    sign_in_refused: 'Cannot sign in',
    sign_out_close: 'Close the window and sign out',
    sign_out_keep: 'Keep the window open, sign out of this screen',
    sign_out_keep_hint: 'Kept open, the same clerk can sign in on another terminal; the duty manager is alarmed if customers wait and nobody calls.',
    sign_in_lost: 'Signed out: the window closed or another clerk has it',
    leave_signed_in: 'This screen is signed in to the window; 30 s after it closes the window is declared lost.',
    waiting_here: n => `${n} waiting for this window's services`,
    call_ticket: 'Call a number',
    call_ticket_prompt: 'The number to call (e.g. A012)',
    requeue: 'Requeue no-show',
    requeue_prompt: 'The number of the no-show who came back',
    no_show_confirm: n => `Mark ${n} as a no-show?`,
    no_show_confirm_hint: 'After a no-show the customer must be requeued at a window to wait again.',
    standby_mark: 'Standby',
    reason_counter_lost: 'counter lost',
    reason_standby: w => `standby for ${w}`,
    alarms_more: n => `${n} more alarm${n === 1 ? '' : 's'}`,
    acknowledge: 'Acknowledge',
    acknowledged_by: (who, at) => `Acknowledged · ${who} ${at}`,
    alarms_acknowledged: n => `${n} acknowledged`,
    within_target: 'Wait in target',
    below_min_override: (need, open) => `This goes below the minimum (${need} needed, ${open} open). Approve it as duty manager, with the reason recorded?`,
    override: 'Approve and do it',
    set_min: 'Set',
    today_by_clerk: 'Today by clerk',
    served: 'Served',
    no_shows: 'No-shows',
    mean_handling: 'Mean handling',
    rated: 'Rated',
    satisfaction: 'Satisfied',
    hall_actions: 'Hall actions',
    void_ticket: 'Void ticket',
    void_reason: 'Reason for voiding',
    void_needs_reason: 'Voiding needs the ticket and a reason',
    voided_ok: n => `${n} voided`,
    set_notice: 'Set notice',
    notice_placeholder: 'Notice for the boards (empty takes it down)',
    notice_set: 'Notice updated',
    dashboard: 'Duty manager',
    windows: 'Windows',
    services: 'Services',
    state: 'State',
    since: 'For',
    clerk: 'Clerk',
    ticket: 'Ticket',
    oldest_wait: 'Longest wait',
    target: 'Target',
    open_vs_min: 'Open windows / minimum',
    recommended_open: 'Recommended open',
    advice_open: (windows, services) =>
      `open ${windows.length > 1 ? 'windows' : 'window'} ${andList(windows)} for ${services.join(', ')}`,
    advice_close: (windows) =>
      `${windows.length > 1 ? 'windows' : 'window'} ${andList(windows)} can close`,
    advice_clerk_for: (window) => `clerk for window ${window}`,
    advice_none: 'staffing is right',
    advice_follow: 'Follow',
    advice_dismiss: 'Dismiss',
    advice_since: time => `since ${time}`,
    advice_clerk_hint: 'Clerk id to open the window (standby)',
    advice_close_reason: 'closed on staffing advice',
    advice_followed: 'Done',
    advice_dismissed: 'Dismissed; not advised again for now',
    alarms: 'Alarms',
    no_alarms: 'No alarms',
    follow_ups: 'Follow-ups',
    complaints: 'Complaints',
    rating: 'Rating',
    reason: 'Reason',
    action: 'Action',
    owner: 'Owner',
    due: 'Due',
    none: 'None',
    what_was_done: 'What was done',
    close_item: 'Close',
    resolution: 'Resolution',
    case_open: 'Open',
    case_called_back: 'Called back',
    called_back: 'Called back',
    resolve: 'Resolve',
    queue_length: 'People waiting',
    wait_time: 'Longest wait (min)',
    issued_today: 'Issued today',
    handling: 'Mean handling',
    business_hours: 'Open for business',
    after_hours: 'Outside business hours',
    alarm_below_min: (need, open) => `Too few windows open: ${open} open, ${need} needed`,
    alarm_wait: (service, target) => `${service}: customers wait longer than the ${target} target`,
    alarm_handling: w => `${w} is serving longer than the target`,
    alarm_lost: w => `${w} lost its counter (heartbeat stopped)`,
    alarm_complaint_due: t => `complaint ${t} is due soon and not resolved`,
    alarm_complaint_overdue: t => `complaint ${t} is overdue`,
    alarm_growing: name => `${name}: customers arrive faster than the open windows serve them`,
    alarm_no_window: name => `${name}: customers wait and no open window serves it`,
    alarm_idle: w => `${w} is open but calls nobody while customers wait`,
    minutes_n: n => `${n} min`,
    seconds_n: n => `${n} s`,
    stop_title: 'This screen cannot be used right now',
    stop_token: 'The access token of this device is not valid or was withdrawn.',
    stop_denied: 'This device may not use this hall or window.',
    stop_no_hall: hall => `There is no hall "${hall}".`,
    stop_no_window: n => `This hall has no window ${n}.`,
    stop_missing: what => `The address of this screen lacks a setting (${what}).`,
    stop_other: 'The server refused the requests of this device.',
    stop_ask: 'Please ask a member of staff to check how this device is set up.',
    kiosk_offline: 'Network lost: tickets paused, reconnecting…',
    guide_pin_title: 'Guide PIN',
    guide_pin_wrong: 'Wrong PIN',
    guide_pin_locked: s => `Too many wrong PINs; try again in ${s} s`,
    guide_mode: 'Guide mode',
    guide_exit: 'Leave',
    other_language: '中文',
    check_in: 'Check in',
    check_in_title: 'Enter your booking code',
    check_in_hint: '6 letters or digits, any case',
    checking_in: 'Checking in…',
    booking_not_found: 'No booking has this code; please check it and try again',
    booking_bad_code: 'A booking code is 6 letters or digits; please check it and try again',
    booking_used: (time, ticket) => `This booking was checked in at ${time} as ticket ${ticket}`,
    booking_early: (slot, from) => `Too early: your booking is for ${slot}; please check in from ${from}`,
    booking_late: (slot, until) => `Too late: your booking was for ${slot} and check-in closed at ${until}; please take a normal ticket`,
    appointment_at: 'Appointment',
  },
};

let lang = 'zh';

// The page's language: ?lang=zh|en, else the hall's (unspecified = Chinese).
// `chosen` ('zh' or 'en', a kiosk's 中/EN toggle) overrides both.
export function chooseLanguage(hallLanguage, chosen = '') {
  const asked = chosen || params.get('lang');
  if (asked === 'zh' || asked === 'en') {
    lang = asked;
  } else {
    lang = hallLanguage === 'LANGUAGE_EN' ? 'en' : 'zh';
  }
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  return lang;
}

export function language() { return lang; }

// The text of `key` in the page's language; functions take `args`.
export function t(key, ...args) {
  const text = TEXTS[lang][key] ?? TEXTS.en[key] ?? key;
  return typeof text === 'function' ? text(...args) : text;
}

// A page's own texts, {zh: {...}, en: {...}}, beside the shared ones.
export function addTexts(texts) {
  for (const [language, entries] of Object.entries(texts)) {
    Object.assign(TEXTS[language], entries);
  }
}

// Fills every element with data-t="key" with its text.
export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-t]')) {
    el.textContent = t(el.dataset.t);
  }
}

const CATEGORY = {
  zh: {
    CATEGORY_NORMAL: '普通', CATEGORY_GREEN_CHANNEL: '绿色通道',
    CATEGORY_VIP: 'VIP', CATEGORY_URGENT: '急事急办', CATEGORY_APPOINTMENT: '预约',
  },
  en: {
    CATEGORY_NORMAL: 'Normal', CATEGORY_GREEN_CHANNEL: 'Green channel',
    CATEGORY_VIP: 'VIP', CATEGORY_URGENT: 'Urgent', CATEGORY_APPOINTMENT: 'Appointment',
  },
};

export function categoryName(category) {
  return CATEGORY[lang][category || 'CATEGORY_NORMAL'] || CATEGORY[lang].CATEGORY_NORMAL;
}

const WINDOW_STATE = {
  WINDOW_STATE_CLOSED: 'closed', WINDOW_STATE_IDLE: 'idle',
  WINDOW_STATE_CALLING: 'calling', WINDOW_STATE_SERVING: 'serving',
  WINDOW_STATE_PAUSED: 'paused',
};

export function windowStateName(state) { return t(WINDOW_STATE[state] || 'closed'); }
export function windowStateClass(state) { return WINDOW_STATE[state] || 'closed'; }

// Halls often name things in both languages: "话费缴纳 Bill payment".
// Returns {main, sub}: the part in the page's language first.
export function splitName(name) {
  const m = /^([^A-Za-z]*[\u3400-\u9fff][^A-Za-z]*?)\s+([A-Za-z].*)$/.exec(name || '');
  if (!m) return {main: name || '', sub: ''};
  return lang === 'zh' ? {main: m[1], sub: m[2]} : {main: m[2], sub: m[1]};
}

// The name in the page's language only.
export function shortName(name) { return splitName(name).main; }

// "3 号窗口" / "Window 3": a window's name when it has one in this language.
export function windowLabel(number, name) {
  if (name && (lang === 'zh' ? /[\u3400-\u9fff]/.test(name) : !/[\u3400-\u9fff]/.test(name))) {
    return name;
  }
  if (name && /VIP/i.test(name) && lang === 'en') return `VIP window`;
  return t('window_n', number);
}

// ---------------------------------------------------------------------------
// Formatting

export function minutesText(seconds) {
  if (!seconds || seconds <= 0) return t('no_wait');
  if (seconds < 60) return t('less_than_minute');
  return t('about_minutes', Math.round(seconds / 60));
}

// 600 → "10 分钟" / "10 min", 45 → "45 秒" / "45 s".
export function durationWords(seconds) {
  return seconds >= 60 ? t('minutes_n', Math.round(seconds / 60)) : t('seconds_n', Math.round(seconds));
}

// 75 → "1:15", 3725 → "1:02:05".
export function clockDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = n => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

// Times are shown in the hall's time zone (HallView.timeZone), not the
// browser's: a board or dashboard may run on a machine set to UTC.
let zone;  // undefined: the browser's, until the hall's is known
let zoneParts = null;

export function setTimeZone(name) {
  if (!name || name === zone) return;
  try {
    zoneParts = new Intl.DateTimeFormat('en-GB', {
      timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric',
      day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
      weekday: 'short'});
    zone = name;
  } catch {
    console.warn('unknown time zone', name);
  }
}

export function timeZone() { return zone; }

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

// {year, month (1-12), day, hour, minute, second, weekday (0 = Sunday)} of
// `ms` in the hall's time zone.
export function hallTime(ms) {
  if (!zoneParts) {
    const d = new Date(ms);
    return {year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(),
            hour: d.getHours(), minute: d.getMinutes(), second: d.getSeconds(),
            weekday: d.getDay()};
  }
  const p = Object.fromEntries(zoneParts.formatToParts(new Date(ms)).map(x => [x.type, x.value]));
  return {year: +p.year, month: +p.month, day: +p.day, hour: +p.hour % 24,
          minute: +p.minute, second: +p.second, weekday: WEEKDAYS.indexOf(p.weekday)};
}

const pad2 = n => String(n).padStart(2, '0');

export function timeOfDay(ms, withSeconds = false) {
  const t = hallTime(ms);
  return `${pad2(t.hour)}:${pad2(t.minute)}` + (withSeconds ? `:${pad2(t.second)}` : '');
}

// "08:30" for 510 minutes after midnight (1560 is 02:00 the next day).
export function minuteText(minute) {
  const hour = minute === 1440 ? 24 : Math.floor(minute / 60) % 24;
  return `${pad2(hour)}:${pad2(minute % 60)}`;
}

export function dateText(ms) {
  const t = hallTime(ms);
  if (lang === 'zh') {
    const days = '日一二三四五六';
    return `${t.year}年${t.month}月${t.day}日 星期${days[t.weekday]}`;
  }
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July',
                  'August', 'September', 'October', 'November', 'December'];
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  return `${days[t.weekday]} ${t.day} ${months[t.month - 1]} ${t.year}`;
}

// "2026-11-28 09:00" in the hall's time zone.
export function dateTimeText(ms) {
  const t = hallTime(ms);
  return `${t.year}-${pad2(t.month)}-${pad2(t.day)} ${pad2(t.hour)}:${pad2(t.minute)}`;
}

// ---------------------------------------------------------------------------
// DOM

// h('div', {class: 'x', onclick: f}, child, 'text', ...) → element.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else {
      el.setAttribute(k, v === true ? '' : v);
    }
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// Replaces el's children; like h(), it skips null, undefined and false
// (which replaceChildren would write out as text).
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter(c => c !== null && c !== undefined && c !== false));
  return el;
}

// A bilingual name as a main line and a smaller second line.
export function nameBlock(name, cls = 'name') {
  const {main, sub} = splitName(name);
  return h('span', {class: cls}, h('span', {class: 'main'}, main),
           sub ? h('span', {class: 'sub'}, sub) : null);
}

// A message at the bottom of the screen that goes away by itself.
export function toast(text, kind = 'info', ms = 6000) {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', {id: 'toasts', 'aria-live': 'polite'});
    document.body.append(box);
  }
  const el = h('div', {class: `toast ${kind}`}, text);
  box.append(el);
  setTimeout(() => el.remove(), ms);
  return el;
}

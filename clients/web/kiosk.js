// The ticket kiosk: /kiosk?hall=<id>&token=<kiosk token>[&lang=zh|en]
// [&print=0]. Big service buttons with the waiting count and estimated wait;
// a 中/EN toggle; a guide, after the hall's guide PIN (checked by the
// server, Kiosk.CheckGuidePin), may mark the next customer as priority or
// VIP; guide mode and a toggled language end by themselves after a minute
// without a touch. A touch issues the ticket, shows it with a QR code to
// /t/<hall>/<number> and prints it (Chromium --kiosk-printing prints
// window.print() silently; print=0 skips it). 预约签到: a customer with a
// booking types its code and gets the appointment ticket (Kiosk.GetBooking
// says when to come if it is not time; Kiosk.CheckIn issues it, once).
// Times are the hall's.
import * as q from '/web/qcall.js';

const hall = q.params.get('hall') || '';
const printing = q.params.get('print') !== '0';
const kioskId = (q.params.get('kiosk') || 'kiosk').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 24) || 'kiosk';
q.takeToken();
q.chooseLanguage();
q.translate();
document.getElementById('lang-toggle').textContent = q.t('other_language');

const $ = id => document.getElementById(id);

const GUIDE_CATEGORIES = ['CATEGORY_NORMAL', 'CATEGORY_GREEN_CHANNEL', 'CATEGORY_VIP', 'CATEGORY_URGENT'];
let category = 'CATEGORY_NORMAL';
let services = [];
let hallName = '';
// Where a customer's phone reaches the ticket page: the hall's public
// address (qcalld's --public-url or the hall's public_url), else this
// kiosk's own, which a phone may not reach.
let publicUrl = '';
let languageSet = false;
let issuing = false;
// No reply from qcalld: the buttons are blocked (their figures are stale and
// a touch could not issue) until a refresh gets through again.
let offline = false;
let backTimer = 0;
// Guide mode: entered with the hall's guide PIN (when it has one), which
// goes with each priority ticket; left after IDLE_MS without a touch.
const IDLE_MS = 60000;
let pinRequired = false;
let guideMode = false;
let guidePin = '';
let idleTimer = 0;
let hallLanguage = 'LANGUAGE_UNSPECIFIED';
// The customer's choice of the 中/EN toggle, until the kiosk is left idle.
let chosenLanguage = '';

async function refresh() {
  if (!hall) return;
  try {
    const reply = await q.call('Kiosk', 'ListServices', {hallId: hall});
    hallLanguage = reply.language;
    pinRequired = !!reply.guidePinRequired;
    if (!languageSet) {
      q.setTimeZone(reply.timeZone);
      setLanguage('');
      languageSet = true;
      tick();
    }
    setOffline(false);
    hallName = reply.hallName;
    publicUrl = reply.publicUrl || '';
    services = reply.services || [];
    $('status').textContent = '';
    $('status').classList.remove('offline');
    render();
  } catch (e) {
    if (q.isSetupError(e)) {
      q.showStop(e);
    } else {
      setOffline(true);
    }
  }
}

function setOffline(value) {
  if (offline === value) return;
  offline = value;
  document.body.classList.toggle('offline', offline);
  $('offline').hidden = !offline;
  $('status').textContent = offline ? q.t('kiosk_offline') : '';
  $('status').classList.toggle('offline', offline);
  // A failure shown while the line was down has passed with it.
  if (!offline && $('error').dataset.transient === 'yes') $('error').hidden = true;
  render();
}

function render() {
  $('hall-name').replaceChildren(q.nameBlock(hallName || hall));
  $('services').classList.toggle('many', services.length > 6);
  $('services').replaceChildren(...services.map(s => q.h('button', {
      class: 'service-button', dataset: {service: s.code}, disabled: offline,
      onclick: () => issue(s)},
    q.nameBlock(s.name),
    q.h('span', {class: 'facts'},
        q.h('span', {}, q.h('b', {class: 'waiting'}, s.waiting), ` ${q.t('waiting_suffix')}`),
        // No open window: an estimate would promise what nobody keeps.
        s.openWindows > 0
            ? q.h('span', {}, `${q.t('est_wait')} `,
                  q.h('b', {class: 'estimate'}, q.minutesText(s.estimatedWaitSeconds)))
            : null),
    q.h('span', {class: `note${s.openWindows > 0 ? '' : ' unserved'}`},
        s.openWindows > 0 ? q.t('open_windows_n', s.openWindows) : q.t('no_window_serves')))));
  $('check-in').disabled = offline;
  const note = $('category-note');
  note.hidden = category === 'CATEGORY_NORMAL';
  note.textContent = q.categoryName(category);
}

function setLanguage(chosen) {
  chosenLanguage = chosen;
  q.chooseLanguage(hallLanguage, chosen);
  q.translate();
  $('lang-toggle').textContent = q.t('other_language');
  $('lang-toggle').lang = q.language() === 'zh' ? 'en' : 'zh-CN';
  render();
}

// Every touch keeps guide mode and the chosen language a minute longer.
function touched() {
  clearTimeout(idleTimer);
  if (guideMode || chosenLanguage) idleTimer = setTimeout(idle, IDLE_MS);
}

function idle() {
  if (guideMode) leaveGuideMode();
  if (chosenLanguage) setLanguage('');
}

function askGuidePin() {
  $('guide-pin').value = '';
  $('pin-error').hidden = true;
  $('pin-panel').hidden = false;
  $('guide-pin').focus();
}

async function checkGuidePin() {
  const pin = $('guide-pin').value.trim();
  if (!pin) return $('guide-pin').focus();
  $('pin-ok').disabled = true;
  try {
    await q.call('Kiosk', 'CheckGuidePin', {hallId: hall, pin});
    $('pin-panel').hidden = true;
    enterGuideMode(pin);
  } catch (e) {
    const locked = /try again in (\d+) s/.exec(e.message || '');
    $('pin-error').textContent = e.code === 'permission_denied' ? q.t('guide_pin_wrong')
        : locked ? q.t('guide_pin_locked', Number(locked[1]))
        : q.isTransient(e) ? q.t('kiosk_offline') : e.message;
    $('pin-error').hidden = false;
    $('guide-pin').value = '';
    $('guide-pin').focus();
  } finally {
    $('pin-ok').disabled = false;
  }
}

function enterGuideMode(pin) {
  guideMode = true;
  guidePin = pin;
  $('guide-mode').hidden = false;
  document.body.classList.add('guide');
  touched();
  showCategories();
}

function leaveGuideMode() {
  guideMode = false;
  guidePin = '';
  category = 'CATEGORY_NORMAL';
  for (const id of ['guide-mode', 'guide-panel', 'pin-panel']) $(id).hidden = true;
  document.body.classList.remove('guide');
  touched();
  render();
}

function showCategories() {
  $('categories').replaceChildren(...GUIDE_CATEGORIES.map(c => q.h('button', {
      class: `category-choice${c === category ? ' chosen' : ''}`, dataset: {category: c},
      onclick: () => {
        category = c;
        $('guide-panel').hidden = true;
        render();
      }}, q.categoryName(c))));
  $('guide-panel').hidden = false;
}

function showBusy(text) {
  $('busy-text').textContent = text;
  $('busy').hidden = false;
}

async function issue(service) {
  if (issuing || offline) return;
  issuing = true;
  showBusy(q.t('issuing'));
  try {
    // One request id for all retries: a retry never makes a second ticket.
    const reply = await q.command('Kiosk', 'IssueTicket',
                                  {hallId: hall, serviceCode: service.code, category,
                                   ...(guidePin && category !== 'CATEGORY_NORMAL' ? {guidePin} : {})},
                                  {prefix: kioskId, onRetry: () => showBusy(q.t('retrying'))});
    // The guide's PIN serves one priority ticket: the next customer at the
    // kiosk must not find guide mode (and the PIN) still there.
    if (category !== 'CATEGORY_NORMAL' && pinRequired) leaveGuideMode();
    category = 'CATEGORY_NORMAL';
    $('busy').hidden = true;
    await showTicket(reply);
  } catch (e) {
    $('busy').hidden = true;
    const transient = q.isTransient(e);
    $('error-text').textContent = transient ? q.t('kiosk_offline') : e.message;
    $('error').dataset.transient = transient ? 'yes' : 'no';
    $('error').hidden = false;
    if (transient) setOffline(true);
  } finally {
    issuing = false;
    refresh();
  }
}

function askBookingCode() {
  $('booking-code').value = '';
  $('check-in-error').hidden = true;
  $('check-in-panel').hidden = false;
  $('booking-code').focus();
}

function checkInFailed(text) {
  $('check-in-error').textContent = text;
  $('check-in-error').hidden = false;
  $('booking-code').focus();
}

// Why a booking cannot be checked in now, in the customer's words; the
// server decides, this only says it.
function bookingRefusal(view) {
  const b = view.booking;
  const slot = `${q.dateText(Number(b.appointmentUnixSeconds) * 1000)} ` +
               q.timeOfDay(Number(b.appointmentUnixSeconds) * 1000);
  if (b.ticket) return q.t('booking_used', q.timeOfDay(Number(b.checkedInAtUnixMs)), b.ticket);
  if (Date.now() < Number(view.checkInFromUnixMs)) {
    return q.t('booking_early', slot, q.timeOfDay(Number(view.checkInFromUnixMs)));
  }
  if (Date.now() > Number(view.checkInUntilUnixMs)) {
    return q.t('booking_late', slot, q.timeOfDay(Number(view.checkInUntilUnixMs)));
  }
  return '';
}

function codeError(e) {
  return e.code === 'not_found' ? q.t('booking_not_found')
      : e.code === 'invalid_argument' ? q.t('booking_bad_code')
      : q.isTransient(e) ? q.t('kiosk_offline') : e.message;
}

async function checkIn() {
  const code = $('booking-code').value.trim();
  if (!code) return $('booking-code').focus();
  if (issuing || offline) return;
  issuing = true;
  $('check-in-ok').disabled = true;
  try {
    let view;
    try {
      view = await q.call('Kiosk', 'GetBooking', {hallId: hall, code});
    } catch (e) {
      return checkInFailed(codeError(e));
    }
    const refusal = bookingRefusal(view);
    if (refusal) return checkInFailed(refusal);
    showBusy(q.t('checking_in'));
    try {
      const reply = await q.command('Kiosk', 'CheckIn', {hallId: hall, code},
                                    {prefix: kioskId, onRetry: () => showBusy(q.t('retrying'))});
      $('busy').hidden = true;
      $('check-in-panel').hidden = true;
      await showTicket(reply);
    } catch (e) {
      $('busy').hidden = true;
      // The clock may have passed an edge since the booking was read.
      checkInFailed(e.code === 'failed_precondition' ? (bookingRefusal(view) || e.message)
                                                     : codeError(e));
    }
  } finally {
    issuing = false;
    $('check-in-ok').disabled = false;
    refresh();
  }
}

function ticketUrl(number) {
  return `${publicUrl || location.origin}/t/${encodeURIComponent(hall)}/${encodeURIComponent(number)}?lang=${q.language()}`;
}

async function showTicket(reply) {
  const t = reply.ticket;
  const qr = q.h('img', {class: 't-qr', alt: '',
                         src: `/qr.svg?text=${encodeURIComponent(ticketUrl(t.number))}`});
  const loaded = new Promise(resolve => {
    qr.onload = qr.onerror = resolve;
    setTimeout(resolve, 3000);
  });
  const normal = !t.category || t.category === 'CATEGORY_NORMAL';
  $('ticket').replaceChildren(...[
      q.h('div', {class: 't-hall'}, q.nameBlock(hallName)),
      q.h('div', {class: 't-label'}, q.t('your_number')),
      q.h('div', {class: 't-number', id: 'ticket-number'}, t.number),
      q.h('div', {class: 't-service'}, q.nameBlock(t.serviceName)),
      normal ? null : q.h('div', {class: 't-category'}, q.categoryName(t.category)),
      t.appointmentUnixSeconds && Number(t.appointmentUnixSeconds) > 0
          ? q.h('div', {class: 't-time', id: 'ticket-slot'},
                `${q.t('appointment_at')} ${q.timeOfDay(Number(t.appointmentUnixSeconds) * 1000)}`)
          : null,
      q.h('div', {class: 't-facts'},
          q.h('div', {class: 't-fact'},
              q.h('div', {class: 'k'}, q.t('people_ahead')),
              q.h('div', {class: 'v', id: 'ticket-ahead'}, reply.peopleAhead)),
          q.h('div', {class: 't-fact'},
              q.h('div', {class: 'k'}, q.t('est_wait')),
              q.h('div', {class: 'v', id: 'ticket-wait'}, q.minutesText(reply.estimatedWaitSeconds)))),
      q.h('div', {class: 't-time'},
          `${q.t('issued_at')} ${q.dateText(t.issuedAtUnixMs)} ${q.timeOfDay(t.issuedAtUnixMs)}`),
      qr,
      q.h('div', {class: 't-scan'}, q.t('scan_to_follow')),
  ].filter(Boolean));
  $('services-view').hidden = true;
  $('ticket-view').hidden = false;
  clearTimeout(backTimer);
  backTimer = setTimeout(back, 20000);
  if (printing) {
    await loaded;  // the QR code must be on the paper
    window.print();
  }
  document.body.dataset.printed = printing ? 'yes' : 'skipped';
}

function back() {
  clearTimeout(backTimer);
  $('ticket-view').hidden = true;
  $('services-view').hidden = false;
  render();
}

$('done').addEventListener('click', back);
$('error-close').addEventListener('click', () => { $('error').hidden = true; });
$('guide').addEventListener('click', () => {
  if (guideMode || !pinRequired) {
    guideMode = true;
    $('guide-mode').hidden = false;
    touched();
    showCategories();
  } else {
    askGuidePin();
  }
});
$('guide-close').addEventListener('click', () => { $('guide-panel').hidden = true; });
$('check-in').addEventListener('click', askBookingCode);
$('check-in-ok').addEventListener('click', checkIn);
$('booking-code').addEventListener('keydown', e => { if (e.key === 'Enter') checkIn(); });
$('check-in-cancel').addEventListener('click', () => { $('check-in-panel').hidden = true; });
$('guide-exit').addEventListener('click', leaveGuideMode);
$('pin-ok').addEventListener('click', checkGuidePin);
$('guide-pin').addEventListener('keydown', e => { if (e.key === 'Enter') checkGuidePin(); });
$('pin-cancel').addEventListener('click', () => { $('pin-panel').hidden = true; });
$('lang-toggle').addEventListener('click', () => {
  setLanguage(q.language() === 'zh' ? 'en' : 'zh');
  touched();
});
for (const kind of ['pointerdown', 'keydown']) document.addEventListener(kind, touched, true);

function tick() { $('clock').textContent = q.timeOfDay(Date.now()); }
tick();
setInterval(tick, 1000);

if (!hall) {
  q.showStop({code: 'missing_hall', message: 'missing ?hall=<hall id>'});
} else {
  refresh();
  // Every 5 s, every 2 s while offline, so that it comes back soon.
  let since = 0;
  setInterval(() => {
    since += 1;
    if (!issuing && (offline || since >= 5)) {
      since = 0;
      refresh();
    }
  }, 1000);
}

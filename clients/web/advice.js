// The staffing advice on the dashboard: ONE current instruction
// (HallView.advice, which holds until it is done, dismissed or changed; the
// engine's steady advice) with 照办 / follow and 忽略 / dismiss.
//
// Follow does what it says with the calls a clerk or supervisor has anyway:
// Counter.OpenWindow for the window to open, with the standby clerk (AB岗)
// the view names or a clerk id typed in; Counter.CloseWindow for a window
// that can close. Once done the advice is gone without another word.
// Dismiss is Supervisor.DismissAdvice, naming the action shown (a page behind
// dismisses nothing): the server journals it and keeps the same action away
// for a while, across restarts.
//
//   renderAdvice($('staffing-advice'), {view, hall, serviceName, onChange});
import * as q from '/web/qcall.js';

// What is drawn, so that the reads every few seconds keep a typed clerk id.
let shown = '';

export function renderAdvice(el, {view, hall, serviceName, onChange}) {
  const a = view?.advice || {};
  const open = a.openWindow || 0;
  const close = a.closeWindow || 0;
  const key = JSON.stringify([!!view, open, a.openForService || '', close,
                              a.standbyClerkId || '', a.sinceUnixMs || 0,
                              q.language()]);
  if (key === shown) return;
  shown = key;
  el.dataset.open = open;
  el.dataset.close = close;
  if (!view) {
    el.replaceChildren();
    return;
  }
  const text = open ? q.t('advice_open', open, serviceName(a.openForService)) :
      close ? q.t('advice_close', close) : q.t('advice_none');
  const since = Number(a.sinceUnixMs || 0);
  if (!open && !close) {
    q.fill(el, q.h('div', {class: 'advice-text'}, text));
    return;
  }
  const clerk = open ? q.h('input', {type: 'text', class: 'advice-clerk',
                                     placeholder: q.t('clerk'),
                                     title: q.t('advice_clerk_hint')}) : null;
  if (clerk) clerk.value = a.standbyClerkId || '';
  const send = async (service, method, body, done) => {
    for (const b of el.querySelectorAll('button')) b.disabled = true;
    try {
      await q.command(service, method, {hallId: hall, ...body}, {prefix: 'advice'});
      q.toast(done, 'ok');
    } catch (e) {
      q.toast(e.message, 'error');
      for (const b of el.querySelectorAll('button')) b.disabled = false;
    }
    onChange();
  };
  const follow = () => {
    if (!open) {
      return send('Counter', 'CloseWindow',
                  {window: close, reason: q.t('advice_close_reason')},
                  q.t('advice_followed'));
    }
    const id = clerk.value.trim();
    if (!id) {
      clerk.focus();
      return q.toast(q.t('advice_clerk_hint'), 'error');
    }
    return send('Counter', 'OpenWindow', {window: open, clerkId: id},
                q.t('advice_followed'));
  };
  const dismiss = () => send('Supervisor', 'DismissAdvice',
                             {openWindow: open, closeWindow: close},
                             q.t('advice_dismissed'));
  q.fill(el,
      q.h('div', {class: 'advice-text'}, text),
      since ? q.h('div', {class: 'advice-since'}, q.t('advice_since', q.timeOfDay(since))) : null,
      q.h('div', {class: 'advice-actions'},
          clerk,
          q.h('button', {class: 'ok advice-follow', onclick: follow}, q.t('advice_follow')),
          q.h('button', {class: 'secondary advice-dismiss', onclick: dismiss},
              q.t('advice_dismiss'))));
}

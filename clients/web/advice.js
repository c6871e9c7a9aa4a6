// The staffing advice on the dashboard: ONE current instruction
// (HallView.advice, which holds until it is done, dismissed or changed; the
// engine's steady advice) with 照办 / follow and 忽略 / dismiss. It may name
// several windows at once ("open windows 4, 5 and 6"); what is shown is what
// is left of it, the windows opened or closed since gone.
//
// Follow does all of it with the calls a clerk or supervisor has anyway:
// Counter.OpenWindow for each window to open, with its standby clerk (AB岗)
// the view names or a clerk id typed in; Counter.CloseWindow for each window
// that can close (one still serving a customer says so and stays in the
// advice until its clerk closes it). Once all is done the advice is gone
// without another word. Dismiss is Supervisor.DismissAdvice, naming the
// advice by when it was told (a page behind dismisses nothing): the server
// journals it and keeps the same action away for a while, across restarts.
//
//   renderAdvice($('staffing-advice'), {view, hall, serviceName, onChange});
import * as q from '/web/qcall.js';

// What is drawn, so that the reads every few seconds keep typed clerk ids.
let shown = '';

// The windows to open ({window, forService, standbyClerkId}) and to close:
// the sets, or the single fields of a server before sets.
function windowsOf(a) {
  const openings = a.openings?.length ? a.openings :
      a.openWindow ? [{window: a.openWindow, forService: a.openForService,
                       standbyClerkId: a.standbyClerkId}] : [];
  const closings = a.closings?.length ? a.closings.map(Number) :
      a.closeWindow ? [a.closeWindow] : [];
  return {openings, closings};
}

export function renderAdvice(el, {view, hall, serviceName, onChange}) {
  const a = view?.advice || {};
  const {openings, closings} = windowsOf(a);
  const key = JSON.stringify([!!view, openings, closings, a.sinceUnixMs || 0,
                              q.language()]);
  if (key === shown) return;
  shown = key;
  el.dataset.open = openings.map(o => o.window).join(',') || '0';
  el.dataset.close = closings.join(',') || '0';
  if (!view) {
    el.replaceChildren();
    return;
  }
  const since = Number(a.sinceUnixMs || 0);
  if (!openings.length && !closings.length) {
    q.fill(el, q.h('div', {class: 'advice-text'}, q.t('advice_none')));
    return;
  }
  const services = [...new Set(openings.map(o => serviceName(o.forService)))];
  const text = openings.length ?
      q.t('advice_open', openings.map(o => o.window), services) :
      q.t('advice_close', closings);
  // A clerk id per window to open, the standby clerk's filled in.
  const clerks = openings.map(o => {
    const input = q.h('input', {
      type: 'text', class: 'advice-clerk', 'data-window': o.window,
      placeholder: openings.length > 1 ? q.t('advice_clerk_for', o.window) : q.t('clerk'),
      title: q.t('advice_clerk_hint'),
    });
    input.value = o.standbyClerkId || '';
    return input;
  });
  const buttons = () => el.querySelectorAll('button');
  // Each call in turn; what failed is said, and stays in the advice.
  const run = async (calls, done) => {
    for (const b of buttons()) b.disabled = true;
    const failed = [];
    for (const [service, method, body] of calls) {
      try {
        await q.command(service, method, {hallId: hall, ...body}, {prefix: 'advice'});
      } catch (e) {
        failed.push(e.message);
      }
    }
    if (failed.length) {
      q.toast(failed.join('; '), 'error');
      for (const b of buttons()) b.disabled = false;
    } else {
      q.toast(done, 'ok');
    }
    onChange();
  };
  const follow = () => {
    if (!openings.length) {
      return run(closings.map(window => ['Counter', 'CloseWindow',
                                         {window, reason: q.t('advice_close_reason')}]),
                 q.t('advice_followed'));
    }
    const empty = clerks.find(c => !c.value.trim());
    if (empty) {
      empty.focus();
      return q.toast(q.t('advice_clerk_hint'), 'error');
    }
    return run(openings.map((o, i) => ['Counter', 'OpenWindow',
                                       {window: o.window, clerkId: clerks[i].value.trim()}]),
               q.t('advice_followed'));
  };
  const dismiss = () => run([['Supervisor', 'DismissAdvice',
                              {openWindow: a.openWindow || 0, closeWindow: a.closeWindow || 0,
                               sinceUnixMs: since}]],
                            q.t('advice_dismissed'));
  q.fill(el,
      q.h('div', {class: 'advice-text'}, text),
      since ? q.h('div', {class: 'advice-since'}, q.t('advice_since', q.timeOfDay(since))) : null,
      q.h('div', {class: 'advice-actions'},
          ...clerks,
          q.h('button', {class: 'ok advice-follow', onclick: follow}, q.t('advice_follow')),
          q.h('button', {class: 'secondary advice-dismiss', onclick: dismiss},
              q.t('advice_dismiss'))));
}

// The counter page as a clerk works it (issue 16, items 1 and 8): looking at
// a window is not taking it, a clerk signs in and out explicitly, a closing
// tab asks first, a lost window's standby shows on the board; the waiting
// count, a call by number, a confirmed no-show and its requeue, all on a
// 1366×768 screen.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {
  CONFIG, HALL, TOKENS, counter, issue, openBoard, openPage, screenshot, sleep,
  text, ticketStatus, waitFor, withServer,
} from './harness.mjs';

const SMALL_SCREEN = {width: 1366, height: 768};

const openDesk = (server, window) => openPage(
    `${server.base}/counter?hall=${HALL}&token=${TOKENS.counter}&window=${window}`,
    {viewport: SMALL_SCREEN});

// Counts the page's heartbeats as they leave, whatever the page reports.
function countHeartbeats(page) {
  const beats = [];
  page.on('request', r => {
    if (r.url().endsWith('/qcall.v1.Counter/Heartbeat')) beats.push(JSON.parse(r.postData()));
  });
  return beats;
}

test('counter: looking is not taking; a clerk signs in, is asked before the tab closes, and signs out', () =>
  withServer(async server => {
    await counter(server, 'OpenWindow', {window: 1, clerkId: 'zhang'});
    await counter(server, 'OpenWindow', {window: 2, clerkId: 'li'});
    await counter(server, 'OpenWindow', {window: 3, clerkId: 'wang'});
    await issue(server, 'BILL');
    const desk = await openDesk(server, 1);
    const beats = countHeartbeats(desk);
    await desk.waitForSelector('#sign-in-form:not([hidden])');
    assert.match(await text(desk, '#view-only-hint'), /只读查看：窗口由工号 zhang 开放/);
    assert.ok(await desk.locator('#call-next').isDisabled(), 'a page that only looks cannot call');
    assert.ok(await desk.locator('#pause').isDisabled());
    assert.ok(await desk.locator('#sign-out').isDisabled());
    await sleep(300);
    assert.equal(beats.length, 0, 'a page that only looks sends no heartbeat');
    await screenshot(desk, 'counter-view-only');

    // Another clerk's id does not take the window: the server says whose it is.
    await desk.fill('#sign-in-id', 'chen');
    await desk.click('#sign-in');
    await desk.waitForSelector('#dialog:not([hidden]) .refused');
    assert.match(await text(desk, '#refusal-text'), /signed in by clerk zhang, not chen/);
    await desk.click('#dialog .actions button');
    assert.equal(await desk.evaluate(() => window.qcallCounter.signedIn), '');

    await desk.fill('#sign-in-id', 'zhang');
    await desk.click('#sign-in');
    await desk.waitForFunction(() => document.body.dataset.signedIn === 'zhang');
    assert.ok(await desk.locator('#sign-in-form').isHidden());
    assert.ok(await desk.locator('#call-next').isEnabled());
    assert.ok(beats.length >= 1);
    assert.deepEqual(beats.at(-1), {hallId: HALL, window: 1, clerkId: 'zhang'});

    // Closing the tab asks first (the page stays when the clerk says no).
    const asked = [];
    desk.on('dialog', d => {
      asked.push(d.type());
      d.dismiss();
    });
    await desk.close({runBeforeUnload: true});
    await sleep(300);
    assert.deepEqual(asked, ['beforeunload']);
    assert.equal(desk.isClosed(), false);

    // Sign out, keeping the window open: no more heartbeats, the window stays.
    await desk.click('#sign-out');
    await desk.click('#sign-out-keep');
    await desk.waitForFunction(() => document.body.dataset.signedIn === '');
    assert.deepEqual(beats.at(-1), {hallId: HALL, window: 1, clerkId: 'zhang', signOut: true});
    assert.ok(await desk.locator('#call-next').isDisabled());
    const sent = beats.length;
    await sleep(300);
    assert.equal(beats.length, sent);

    // Signed in again, signing out closes the window cleanly.
    await desk.click('#sign-in');
    await desk.waitForFunction(() => document.body.dataset.signedIn === 'zhang');
    await desk.click('#sign-out');
    await desk.click('#sign-out-close');
    await desk.waitForFunction(() => document.body.dataset.state === 'WINDOW_STATE_CLOSED');
    await desk.waitForSelector('#open-form:not([hidden])');
    assert.equal(await desk.evaluate(() => window.qcallCounter.signedIn), '');

    // Not signed in, the tab closes without asking.
    await desk.close({runBeforeUnload: true});
    await sleep(200);
    assert.deepEqual(asked, ['beforeunload']);
    assert.equal(desk.isClosed(), true);
    assert.deepEqual(desk.errors, []);
  }));

// test-hall with a standby clerk (AB岗) for windows 3 and 4.
function standbyConfig() {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'qcall-standby-')), 'halls.textproto');
  const config = readFileSync(CONFIG, 'utf8').replace(
      'min_open_windows: 2',
      'min_open_windows: 2\n  standby_clerks { clerk_id: "standby-1" windows: [3, 4] }');
  writeFileSync(file, config);
  return file;
}

test('counter and board: a page that looks never loses its window; a signed-in tab that goes does, and the board marks the standby', () =>
  withServer(async server => {
    const board = await openBoard(server.base);
    await counter(server, 'OpenWindow', {window: 2, clerkId: 'li'});
    // Window 2 watched by a page that only looks, which then goes away.
    const watcher = await openDesk(server, 2);
    await watcher.waitForSelector('#sign-in-form:not([hidden])');
    await watcher.close();

    const desk = await openDesk(server, 1);
    await desk.waitForSelector('#open-form:not([hidden])');
    await desk.fill('#clerk-id', 'zhang');
    await desk.click('#open');
    await desk.waitForFunction(() => document.body.dataset.signedIn === 'zhang');
    await waitFor(desk, () => window.qcallCounter.heartbeats >= 1);
    await desk.close();  // the clerk's tab is gone without signing out

    // 2 s without heartbeats: window 1 is lost, standby-1 opens window 3.
    await board.waitForSelector('.window-card[data-window="3"] .standby', {timeout: 12000});
    assert.equal(await text(board, '.window-card[data-window="3"] .standby'), '备用');
    // The board shows open windows only: lost window 1 is gone from it.
    assert.equal(await board.locator('.window-card[data-window="1"]').count(), 0);
    // Window 2 had only been looked at: still open, no standby mark.
    assert.ok(await board.locator('.window-card[data-window="2"]').evaluate(
        el => el.classList.contains('idle')));
    assert.equal(await board.locator('.window-card[data-window="2"] .standby').count(), 0);
    await screenshot(board, 'board-standby');

    // A fresh board learns it from the snapshot.
    const fresh = await openBoard(server.base);
    await fresh.waitForSelector('.window-card[data-window="3"] .standby');
    // A clerk of its own taking the window over clears the mark.
    await counter(server, 'OpenWindow', {window: 4, clerkId: 'zhao'});
    await counter(server, 'CloseWindow', {window: 3});
    await counter(server, 'OpenWindow', {window: 3, clerkId: 'wang'});
    await fresh.waitForFunction(
        () => document.querySelector('.window-card[data-window="3"]')?.classList.contains('idle') &&
              !document.querySelector('.window-card[data-window="3"] .standby'));
    assert.deepEqual(board.errors, []);
    assert.deepEqual(fresh.errors, []);
  }, {config: standbyConfig(), extraArgs: ['--heartbeat-timeout', '2']}));

test('counter: waiting for its services, a call by number, a confirmed no-show and its requeue, on 1366×768', () =>
  withServer(async server => {
    const desk = await openDesk(server, 1);
    await desk.waitForSelector('#open-form:not([hidden])');
    await desk.fill('#clerk-id', 'zhang');
    await desk.click('#open');
    await desk.waitForFunction(() => document.body.dataset.signedIn === 'zhang');
    await counter(server, 'OpenWindow', {window: 2, clerkId: 'li'});
    for (const service of ['BILL', 'BILL', 'BILL', 'PLAN', 'SIM']) await issue(server, service);
    // Window 1 serves BILL and PLAN: four of the five.
    await desk.waitForFunction(
        () => document.querySelector('#waiting-here').textContent === '本窗口业务等候 4 人');

    // A given number, typed in lower case.
    await desk.click('#call-ticket');
    await desk.fill('#number-input', 'a003');
    await desk.click('#number-confirm');
    await desk.waitForFunction(() => document.querySelector('#current-number').textContent === 'A003');
    await desk.waitForFunction(
        () => document.querySelector('#waiting-here').textContent === '本窗口业务等候 3 人');

    // 过号 asks first; cancelled, nothing is sent.
    await desk.click('#no-show');
    assert.equal(await text(desk, '#dialog h2'), '确认 A003 号过号？');
    await screenshot(desk, 'counter-no-show-confirm');
    await desk.click('#dialog .actions button.secondary');
    await sleep(200);
    assert.equal((await ticketStatus(server, 'A003')).ticket.state, 'TICKET_STATE_CALLED');
    await desk.click('#no-show');
    await desk.click('#no-show-confirm');
    await desk.waitForFunction(() => document.body.dataset.state === 'WINDOW_STATE_IDLE');
    assert.equal((await ticketStatus(server, 'A003')).ticket.state, 'TICKET_STATE_NO_SHOW');

    // The customer comes back: requeued at this window.
    await desk.click('#requeue');
    await desk.fill('#number-input', 'A003');
    await desk.click('#number-confirm');
    await desk.waitForFunction(
        () => document.querySelector('#waiting-here').textContent === '本窗口业务等候 4 人');
    assert.equal((await ticketStatus(server, 'A003')).ticket.state, 'TICKET_STATE_WAITING');
    // A number that is not a no-show is refused in words.
    await desk.click('#requeue');
    await desk.fill('#number-input', 'A001');
    await desk.click('#number-confirm');
    await desk.waitForSelector('#dialog:not([hidden]) .refused');
    await desk.click('#dialog .actions button');

    // Serving, every button of the screen is whole inside 1366×768.
    await desk.click('#call-next');
    await desk.waitForFunction(() => document.body.dataset.state === 'WINDOW_STATE_CALLING');
    await desk.click('#start');
    await desk.waitForFunction(() => document.body.dataset.state === 'WINDOW_STATE_SERVING');
    const cut = await desk.evaluate(() => {
      const out = [];
      for (const el of document.querySelectorAll('header, #work button, #waiting-here, .evaluator')) {
        const r = el.getBoundingClientRect();
        if (r.bottom > innerHeight || r.right > innerWidth || r.height === 0) out.push(el.id || el.className);
      }
      return {out, scroll: document.documentElement.scrollHeight, height: innerHeight};
    });
    assert.deepEqual(cut.out, [], `cut off at 1366×768: ${JSON.stringify(cut)}`);
    assert.ok(cut.scroll <= cut.height, `the page scrolls: ${cut.scroll} > ${cut.height}`);
    await screenshot(desk, 'counter-1366x768');
    assert.deepEqual(desk.errors, []);
  }));

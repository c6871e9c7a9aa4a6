// Browser tests of the web pages against a real qcalld: Playwright drives
// Debian's chromium headless. Each test starts its own qcalld (QCALLD, the
// open-all-day halls of halls.textproto) and leaves screenshots in
// SCREENSHOTS (default build/screenshots).
//
//   npm ci --prefix tests/browser
//   QCALLD=build/dispatcher/qcalld node tests/browser/run.mjs
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {
  HALL, TOKENS, api, closeBrowser, counter, issue, launchBrowser, noPageErrors,
  openBoard, openPage, screenshot, sleep, startProxy, text, ticketStatus,
  waitFor, withServer,
} from './harness.mjs';

// Each screen's further tests live in a file of their own, imported here so
// that one browser and one `node` run serve them all.
import './reports.mjs';
import './advice.mjs';
import './counter.mjs';
import './kiosk-guide.mjs';
import './kiosk-booking.mjs';
import './hall_screens.mjs';
import './dashboard-acts.mjs';
import './follow.mjs';

before(launchBrowser);
after(closeBrowser);

test('kiosk: a touch issues a ticket, shows it with its QR code and prints it', () =>
  withServer(async server => {
    const page = await openPage(
        `${server.base}/kiosk?hall=${HALL}&token=${TOKENS.kiosk}`,
        {viewport: {width: 1080, height: 1920}});
    // window.print() is counted instead of opening a dialog.
    await page.evaluate(() => {
      window.printed = [];
      window.print = () => window.printed.push(
          document.querySelector('.t-qr')?.complete && document.querySelector('.t-qr').naturalWidth > 0);
    });
    await page.waitForSelector('.service-button[data-service="BILL"]');
    assert.ok(!page.url().includes('token='), 'the token left the address bar');
    const cookies = await page.context().cookies();
    const cookie = cookies.find(c => c.name === 'qcall_token');
    assert.equal(cookie?.value, TOKENS.kiosk);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await text(page, 'h1'), '请选择业务');
    await screenshot(page, 'kiosk');

    await page.click('.service-button[data-service="BILL"]');
    await page.waitForSelector('#ticket-view:not([hidden]) #ticket-number');
    assert.equal(await text(page, '#ticket-number'), 'A001');
    assert.equal(await text(page, '#ticket-ahead'), '0');
    // The QR code leads a phone to the hall's public address, not to the
    // kiosk's own (127.0.0.1 here).
    const qrSrc = await page.getAttribute('.t-qr', 'src');
    assert.ok(decodeURIComponent(qrSrc).includes(`text=https://q.example.cn/t/${HALL}/A001`), qrSrc);
    await waitFor(page, () => window.printed.length === 1);
    assert.deepEqual(await page.evaluate(() => window.printed), [true], 'printed after the QR code loaded');
    await screenshot(page, 'kiosk-ticket');
    // The paper: 80 mm is 302 CSS pixels.
    await page.emulateMedia({media: 'print'});
    await page.setViewportSize({width: 302, height: 600});
    assert.equal(await page.locator('#services-view').isVisible(), false);
    await screenshot(page, 'kiosk-print', {fullPage: true});
    // As printed: one page of the 80 mm roll (226.8 pt wide).
    const pdf = (await page.pdf({preferCSSPageSize: true})).toString('latin1');
    assert.equal(pdf.match(/\/Type\s*\/Page[^s]/g)?.length, 1, 'one page');
    const [, width] = /\/MediaBox\s*\[\s*0\s+0\s+([\d.]+)/.exec(pdf);
    assert.ok(Math.abs(Number(width) - 226.8) < 1, `page width ${width} pt`);
    await page.emulateMedia({media: 'screen'});
    await page.setViewportSize({width: 1080, height: 1920});

    // A guide marks the next customer as VIP; the mark is for one ticket.
    await page.click('#done');
    await page.click('#guide');
    await page.click('[data-category="CATEGORY_VIP"]');
    assert.equal(await text(page, '#category-note'), 'VIP');
    await page.click('.service-button[data-service="BILL"]');
    await page.waitForFunction(() => document.querySelector('#ticket-number')?.textContent === 'A002');
    assert.equal((await ticketStatus(server, 'A002')).ticket.category, 'CATEGORY_VIP');
    await page.click('#done');
    assert.equal(await page.locator('#category-note').isVisible(), false);
    noPageErrors(page);
  }, {extraArgs: ['--public-url', 'https://q.example.cn/']}));

test('kiosk: a lost reply is retried with the same request id, not a second ticket', () =>
  withServer(async server => {
    const page = await openPage(`${server.base}/kiosk?hall=${HALL}&token=${TOKENS.kiosk}&print=0`,
                                {viewport: {width: 1920, height: 1080}});
    await page.waitForSelector('.service-button[data-service="PLAN"]');
    const bodies = [];
    await page.route('**/qcall.v1.Kiosk/IssueTicket', async route => {
      bodies.push(JSON.parse(route.request().postData()));
      if (bodies.length === 1) {
        await route.fetch();  // the server issues B001 ...
        await route.abort('connectionreset');  // ... and the reply is lost
      } else {
        await route.continue();
      }
    });
    await page.click('.service-button[data-service="PLAN"]');
    await page.waitForFunction(() => document.querySelector('#ticket-number')?.textContent === 'B001',
                               null, {timeout: 10000});
    assert.equal(bodies.length, 2);
    assert.ok(bodies[0].requestId);
    assert.equal(bodies[1].requestId, bodies[0].requestId);
    const next = await issue(server, 'PLAN');
    assert.equal(next.ticket.number, 'B002', 'the retry made no second ticket');
    assert.equal(await page.evaluate(() => document.body.dataset.printed), 'skipped');
    await screenshot(page, 'kiosk-landscape-ticket');
    noPageErrors(page);
  }));

test('ticket page: position, then "your turn" with the window, then the end', () =>
  withServer(async server => {
    await issue(server, 'BILL');
    await issue(server, 'BILL');
    const phone = {viewport: {width: 390, height: 844}};
    const first = await openPage(`${server.base}/t/${HALL}/A001?lang=zh`, phone);
    const second = await openPage(`${server.base}/t/${HALL}/A002?lang=zh`, phone);
    await second.waitForSelector('#ahead');
    assert.equal(await text(second, '#ahead'), '1');
    await screenshot(second, 'ticket-waiting');

    await counter(server, 'OpenWindow', {window: 3, clerkId: 'zhang'});
    await counter(server, 'CallNext', {window: 3});
    await first.waitForSelector('.headline.called', {timeout: 5000});
    assert.equal(await text(first, '#go'), '请到 3 号窗口办理');
    await screenshot(first, 'ticket-called');
    await counter(server, 'StartServing', {window: 3});
    await counter(server, 'Complete', {window: 3});
    await first.waitForFunction(() => document.body.dataset.state === 'TICKET_STATE_COMPLETED',
                                null, {timeout: 5000});
    assert.match(await text(first, '#headline'), /办理完成/);

    await counter(server, 'CallNext', {window: 3});
    await counter(server, 'NoShow', {window: 3});
    await second.waitForFunction(() => document.body.dataset.state === 'TICKET_STATE_NO_SHOW',
                                 null, {timeout: 5000});
    assert.match(await text(second, '#headline'), /过号/);
    await screenshot(second, 'ticket-no-show');

    const missing = await openPage(`${server.base}/t/${HALL}/A099?lang=en`, phone);
    await missing.waitForFunction(() => document.body.dataset.state === 'NOT_FOUND');
    assert.match(await text(missing, '#headline'), /not found/);
    noPageErrors(first, second, missing);
  }));

test('pad: the clerk completes, the pad asks, a bad rating and its reason open a follow-up on the dashboard', () =>
  withServer(async server => {
    const pad = await openPage(`${server.base}/pad?hall=${HALL}&window=1&ask=3&token=${TOKENS.pad1}`,
                               {viewport: {width: 1024, height: 600}});
    const dash = await openPage(`${server.base}/dashboard?hall=${HALL}&token=${TOKENS.supervisor}`,
                                {viewport: {width: 1920, height: 1080}});
    await waitFor(pad, () => window.qcallPad?.screen === 'idle');
    assert.ok(!pad.url().includes('token='), 'the token left the address bar');
    await counter(server, 'OpenWindow', {window: 1, clerkId: 'zhang'});
    await counter(server, 'OpenWindow', {window: 2, clerkId: 'li'});
    for (let i = 0; i < 3; ++i) await issue(server, 'BILL');
    await counter(server, 'CallNext', {window: 1});
    await counter(server, 'StartServing', {window: 1});
    await screenshot(pad, 'pad-idle');
    // Another window's completion is not this pad's business.
    await counter(server, 'CallNext', {window: 2});
    await counter(server, 'StartServing', {window: 2});
    await counter(server, 'Complete', {window: 2});
    await sleep(300);
    assert.equal(await pad.evaluate(() => window.qcallPad.screen), 'idle');

    await counter(server, 'Complete', {window: 1});
    await pad.waitForSelector('#ask:not([hidden])', {timeout: 3000});
    assert.equal(await text(pad, '#ask-ticket'), 'A001');
    assert.equal(await pad.locator('#levels button').count(), 5);
    assert.match(await text(pad, '#levels button[data-level="1"]'), /非常不满意[\s\S]*Very dissatisfied/);
    await screenshot(pad, 'pad-asking');
    await pad.click('#levels button[data-level="2"]');
    await pad.waitForSelector('#reason:not([hidden]) button[data-reason]');
    assert.equal(await pad.locator('#reasons button').count(), 6, 'the default reasons');
    await screenshot(pad, 'pad-reason');
    await pad.click('#reasons button[data-reason="等候时间长 Long wait"]');
    await pad.waitForSelector('#thanks:not([hidden])');
    assert.deepEqual(await pad.evaluate(() => window.qcallPad.rated),
                     [{ticket: 'A001', level: 2, reason: '等候时间长 Long wait'}]);
    assert.deepEqual(await pad.evaluate(() => window.qcallPad.errors), []);
    await screenshot(pad, 'pad-thanks');
    await pad.waitForFunction(() => window.qcallPad.screen === 'idle', null, {timeout: 8000});

    // The follow-up shows on the dashboard, who served whom and why.
    const row = '#follow-ups tr[data-ticket="A001"]';
    await dash.waitForSelector(row, {timeout: 8000});
    const shown = await text(dash, row);
    assert.match(shown, /zhang/);
    assert.match(shown, /等候时间长/);
    await screenshot(dash, 'dashboard-follow-up');
    // Closing without a text is refused; with one, it goes.
    await dash.click(`${row} button.close-follow-up`);
    await dash.waitForSelector('.toast', {timeout: 3000});
    assert.equal(await dash.locator(row).count(), 1);
    await dash.fill(`${row} input`, 'talked with zhang');
    await dash.click(`${row} button.close-follow-up`);
    await dash.waitForSelector(row, {state: 'detached', timeout: 8000});

    // A customer who walks away leaves the ticket unrated: the pad goes back
    // to idle by itself (after ?ask=3 seconds) and sends nothing.
    await counter(server, 'CallNext', {window: 1});
    await counter(server, 'StartServing', {window: 1});
    await counter(server, 'Complete', {window: 1});
    await pad.waitForSelector('#ask:not([hidden])', {timeout: 3000});
    await pad.waitForFunction(() => window.qcallPad.screen === 'idle', null, {timeout: 6000});
    assert.equal(await pad.evaluate(() => window.qcallPad.rated.length), 1);
    const view = await api(server, TOKENS.supervisor, 'Supervisor', 'GetHall', {hallId: HALL});
    assert.deepEqual(view.followUps, []);
    noPageErrors(pad, dash);
  }));

test('counter and board: Call next shows on the board within a second and is announced', t =>
  withServer(async server => {
    const board = await openPage(`${server.base}/board?hall=${HALL}&token=${TOKENS.display}`);
    const desk = await openPage(`${server.base}/counter?hall=${HALL}&token=${TOKENS.counter}&window=1`,
                                {viewport: {width: 1366, height: 900}});
    await waitFor(board, () => window.qcallBoard?.state.hallId === 'test-hall');
    await desk.waitForSelector('#open-form:not([hidden])');
    await screenshot(desk, 'counter-closed');
    await desk.fill('#clerk-id', 'zhang');
    await desk.click('#open');
    await desk.waitForFunction(() => document.body.dataset.state === 'WINDOW_STATE_IDLE');
    await waitFor(desk, () => window.qcallCounter.heartbeats >= 1);
    await counter(server, 'OpenWindow', {window: 2, clerkId: 'li'});
    await issue(server, 'BILL');
    await issue(server, 'BILL');
    await issue(server, 'BILL');
    await board.waitForSelector('.window-card[data-window="1"]');

    const clicked = Date.now();
    await desk.click('#call-next');
    await board.waitForFunction(
        () => document.querySelector('.window-card[data-window="1"] .number')?.textContent === 'A001',
        null, {timeout: 1000, polling: 10});
    const shownAfter = Date.now() - clicked;
    assert.ok(shownAfter < 1000, `board showed the call after ${shownAfter} ms`);
    t.diagnostic(`click on Call next → call on the board: ${shownAfter} ms`);
    const sentence = '请 A001 号到 1 号窗口办理';
    const pending = await board.evaluate(() => [...window.qcallBoard.announced, ...window.qcallBoard.queue]);
    assert.deepEqual(pending, [sentence]);
    assert.equal(await text(board, '#recent li[data-number="A001"] .number'), 'A001');
    await board.waitForSelector('#announce.active');
    await screenshot(board, 'board-announcing');
    // Chime, then the sentence from /speech (espeak-ng), played to the end.
    const [entry] = await waitFor(board, () => {
      const log = window.qcallBoard.log;
      return log.length && log[0].endMs ? log : null;
    }, null, 15000);
    assert.equal(entry.speech, 'ok', JSON.stringify(entry));
    assert.equal(entry.repeats, 1);
    assert.ok(entry.endMs - entry.startMs > 1500, 'the chime and the sentence take time');

    await desk.waitForFunction(() => document.body.dataset.state === 'WINDOW_STATE_CALLING');
    assert.equal(await text(desk, '#current-number'), 'A001');
    await desk.click('#start');
    await desk.waitForFunction(() => document.body.dataset.state === 'WINDOW_STATE_SERVING');
    await desk.waitForFunction(() => /^0:0[1-9]$/.test(document.querySelector('#timer').textContent),
                               null, {timeout: 3000});
    await screenshot(desk, 'counter-serving');
    // The customer rates on the window's evaluator pad, not on this screen.
    assert.equal(await desk.locator('[data-rating], #eval-rate').count(), 0);
    await desk.click('#complete');
    await desk.waitForFunction(() => document.body.dataset.state === 'WINDOW_STATE_IDLE');
    assert.equal((await ticketStatus(server, 'A001')).ticket.state, 'TICKET_STATE_COMPLETED');
    await board.waitForFunction(
        () => document.querySelector('.window-card[data-window="1"]')?.classList.contains('idle'));

    // No-show, then a transfer to another service.
    await desk.click('#call-next');
    await desk.waitForFunction(() => document.querySelector('#current-number').textContent === 'A002');
    await desk.click('#no-show');
    await desk.click('#no-show-confirm');
    await desk.waitForFunction(() => document.body.dataset.state === 'WINDOW_STATE_IDLE');
    assert.equal((await ticketStatus(server, 'A002')).ticket.state, 'TICKET_STATE_NO_SHOW');
    await desk.click('#call-next');
    await desk.waitForFunction(() => document.querySelector('#current-number').textContent === 'A003');
    await desk.click('#transfer');
    await desk.click('#dialog [data-service="SIM"]');
    await desk.waitForFunction(() => document.body.dataset.state === 'WINDOW_STATE_IDLE');
    const moved = await ticketStatus(server, 'A003');
    assert.equal(moved.ticket.state, 'TICKET_STATE_WAITING');
    assert.equal(moved.ticket.serviceCode, 'SIM');
    await board.waitForFunction(
        () => document.querySelector('#services li[data-service="SIM"] .count')?.textContent === '1');
    await desk.click('#call-next');
    await desk.waitForFunction(() => document.body.dataset.state === 'WINDOW_STATE_IDLE');
    await desk.waitForSelector('.toast');
    assert.equal(await text(desk, '.toast'), '当前没有等候的顾客');
    noPageErrors(board, desk);
  }));

test('board: calls made while it was offline appear once and are announced once', () =>
  withServer(async server => {
    await counter(server, 'OpenWindow', {window: 1, clerkId: 'zhang'});
    await counter(server, 'OpenWindow', {window: 2, clerkId: 'li'});
    await issue(server, 'BILL');
    await issue(server, 'PLAN');
    const line = await startProxy(server);
    try {
      const board = await openBoard(line.base);
      line.cut();
      await waitFor(board, () => document.querySelector('#status').classList.contains('offline'));

      await counter(server, 'CallNext', {window: 1});
      await counter(server, 'CallNext', {window: 2});
      await sleep(300);
      assert.equal(await board.evaluate(() => window.qcallBoard.calls), 0, 'offline: nothing came');
      line.restore();
      await board.waitForFunction(
          () => document.querySelector('.window-card[data-window="2"] .number')?.textContent === 'B001',
          null, {timeout: 10000});
      assert.equal(await text(board, '.window-card[data-window="1"] .number'), 'A001');
      // A second resume must not bring them again.
      await board.evaluate(() => window.qcallBoard.connection.reconnect());
      await sleep(500);
      await waitFor(board, () => window.qcallBoard.queue.length === 0 && !window.qcallBoard.announcer.running);
      assert.equal(await board.evaluate(() => window.qcallBoard.calls), 2);
      assert.equal(await board.locator('#recent li[data-number="A001"]').count(), 1);
      assert.equal(await board.locator('#recent li[data-number="B001"]').count(), 1);
      assert.deepEqual(await board.evaluate(() => window.qcallBoard.announced),
                       ['请 A001 号到 1 号窗口办理', '请 B001 号到 2 号窗口办理']);

      // A recall is announced twice; announcements never overlap.
      await counter(server, 'Recall', {window: 1});
      const log = await waitFor(board, () => {
        const l = window.qcallBoard.log;
        return l.length === 3 && l[2].endMs ? l : null;
      });
      assert.equal(log[2].recall, 1);
      assert.equal(log[2].repeats, 2);
      for (let i = 1; i < log.length; ++i) {
        assert.ok(log[i].startMs >= log[i - 1].endMs, 'one announcement at a time');
      }
      await screenshot(board, 'board');
      noPageErrors(board);
    } finally {
      await line.close();
    }
  }));

test('board: a missed call its window has already let go of is not announced', () =>
  withServer(async server => {
    await counter(server, 'OpenWindow', {window: 1, clerkId: 'zhang'});
    await issue(server, 'BILL');
    await issue(server, 'BILL');
    const line = await startProxy(server);
    try {
      const board = await openBoard(line.base);
      line.cut();
      await waitFor(board, () => document.querySelector('#status').classList.contains('offline'));
      await counter(server, 'CallNext', {window: 1});
      await counter(server, 'NoShow', {window: 1});
      await counter(server, 'CallNext', {window: 1});
      line.restore();
      const log = await waitFor(board, () => {
        const l = window.qcallBoard.log;
        return l.length === 2 && l[1].endMs ? l : null;
      }, null, 10000);
      // A001 was called and marked no-show while the board was away: sending
      // the customer to window 1 now would be wrong. A002 is called there.
      assert.deepEqual(log.map(e => [e.text, e.speech]),
                       [['请 A001 号到 1 号窗口办理', 'skipped'], ['请 A002 号到 1 号窗口办理', 'muted']]);
      assert.deepEqual(await board.evaluate(() => window.qcallBoard.announced), ['请 A002 号到 1 号窗口办理']);
      assert.equal(await board.locator('#recent li').count(), 2);
      noPageErrors(board);
    } finally {
      await line.close();
    }
  }));

test('board: without /speech each call still gets its chime, in order', () =>
  withServer(async server => {
    await counter(server, 'OpenWindow', {window: 1, clerkId: 'zhang'});
    await counter(server, 'OpenWindow', {window: 2, clerkId: 'li'});
    await issue(server, 'BILL');
    await issue(server, 'BILL');
    const board = await openPage(`${server.base}/board?hall=${HALL}&token=${TOKENS.display}`);
    await board.route('**/speech?*', route => route.fulfill({status: 503, body: '{}'}));
    await waitFor(board, () => window.qcallBoard?.state.hallId === 'test-hall');
    await counter(server, 'CallNext', {window: 1});
    await counter(server, 'CallNext', {window: 2});
    const log = await waitFor(board, () => {
      const l = window.qcallBoard.log;
      return l.length === 2 && l[1].endMs ? l : null;
    }, null, 10000);
    assert.deepEqual(log.map(e => [e.text, e.speech]),
                     [['请 A001 号到 1 号窗口办理', 'failed'], ['请 A002 号到 2 号窗口办理', 'failed']]);
    assert.ok(log[1].startMs >= log[0].endMs, 'one after the other');
    assert.ok(log[0].endMs - log[0].startMs >= 1300, 'the chime played');
    noPageErrors(board);
  }));

test('board: its waiting counts and windows follow every kind of event exactly', () =>
  withServer(async server => {
    await counter(server, 'OpenWindow', {window: 1, clerkId: 'zhang'});
    await counter(server, 'OpenWindow', {window: 2, clerkId: 'li'});
    for (const service of ['BILL', 'BILL', 'BILL', 'BILL', 'PLAN', 'SIM']) await issue(server, service);
    const board = await openBoard(server.base);
    const supervisor = (method, body) =>
        api(server, TOKENS.supervisor, 'Supervisor', method, {hallId: HALL, ...body});
    // The board, once it has seen every event, shows what GetHall reads.
    const matchesHall = async (page = board) => {
      const view = await supervisor('GetHall', {});
      await waitFor(page, seq => window.qcallBoard.connection.lastSeq() >= seq, Number(view.lastSeq));
      const shown = await page.evaluate(() => ({
        services: Object.fromEntries([...window.qcallBoard.state.services.values()].map(
            s => [s.code, s.waiting])),
        windows: Object.fromEntries([...window.qcallBoard.state.windows.values()].map(
            w => [w.number, `${w.state} ${w.ticket?.number || ''}`])),
      }));
      assert.deepEqual(shown.services, Object.fromEntries(view.services.map(s => [s.code, s.waiting])));
      assert.deepEqual(shown.windows, Object.fromEntries(view.windows.map(
          w => [w.number, `${w.state} ${w.ticket?.number || ''}`])));
    };
    await issue(server, 'BILL');
    await counter(server, 'CallNext', {window: 1});
    await counter(server, 'Recall', {window: 1});
    await counter(server, 'StartServing', {window: 1});
    await counter(server, 'Complete', {window: 1});
    const noShow = (await counter(server, 'CallNext', {window: 1})).ticket.number;
    await counter(server, 'NoShow', {window: 1});
    await counter(server, 'Requeue', {window: 1, ticket: noShow});
    await counter(server, 'CallNext', {window: 2});
    await counter(server, 'Transfer', {window: 2, toServiceCode: 'SIM'});
    await matchesHall();
    await counter(server, 'CallNext', {window: 2});
    await counter(server, 'Transfer', {window: 2, toWindow: 1});
    await matchesHall();  // a ticket sent to a window waits in no service's queue
    const second = (await counter(server, 'CallNext', {window: 2})).ticket.number;
    await counter(server, 'NoShow', {window: 2});
    await matchesHall();
    await api(server, TOKENS.kiosk, 'Kiosk', 'CancelTicket', {hallId: HALL, ticket: second});
    await api(server, TOKENS.kiosk, 'Kiosk', 'CancelTicket', {hallId: HALL, ticket: 'C001'});
    await supervisor('VoidTicket', {ticket: 'A004', reason: 'duplicate'});
    await counter(server, 'CallNext', {window: 1});  // the ticket sent to window 1
    await counter(server, 'OpenWindow', {window: 3, clerkId: 'wang'});
    await counter(server, 'PauseWindow', {window: 2, reason: 'break'});
    await matchesHall();
    noPageErrors(board);
    // A ticket that was a no-show before a board opened, voided after: the
    // board never saw it wait, and must not count it out of the queue.
    await issue(server, 'BILL');
    const gone = (await counter(server, 'CallNext', {window: 3})).ticket.number;
    await counter(server, 'NoShow', {window: 3});
    const late = await openBoard(server.base);
    await supervisor('VoidTicket', {ticket: gone, reason: 'left the hall'});
    await issue(server, 'BILL');
    await matchesHall(late);
    await matchesHall();
    noPageErrors(late);
  }));

test('dashboard: a paused window, queues against their targets, alarms and charts', () =>
  withServer(async server => {
    for (const [window, clerkId] of [[1, 'zhang'], [2, 'li'], [3, 'wang']]) {
      await counter(server, 'OpenWindow', {window, clerkId});
    }
    for (const service of ['BILL', 'BILL', 'PLAN', 'BILL']) await issue(server, service);
    await counter(server, 'CallNext', {window: 1});
    const page = await openPage(`${server.base}/dashboard?hall=${HALL}&token=${TOKENS.supervisor}`);
    await page.waitForSelector('#windows tr[data-window="3"][data-state="WINDOW_STATE_IDLE"]');
    assert.equal(await text(page, '#open-windows'), '3 / 2');

    const paused = Date.now();
    await counter(server, 'PauseWindow', {window: 3, reason: '午休'});
    await page.waitForSelector('#windows tr[data-window="3"][data-state="WINDOW_STATE_PAUSED"]',
                               {timeout: 2000});
    assert.ok(Date.now() - paused < 2000);
    assert.match(await text(page, '#windows tr[data-window="3"]'), /暂停服务\s*午休/);
    assert.equal(await text(page, '#open-windows'), '2 / 2');
    assert.equal(await text(page, '#services tr[data-service="BILL"] .waiting'), '2');
    assert.equal(await page.getAttribute('#services tr[data-service="BILL"] .level', 'data-level'), 'green');

    // SIM's target is 3 s: its queue turns red and the alarm shows.
    await issue(server, 'SIM');
    await page.waitForSelector('#services tr[data-service="SIM"] .level[data-level="red"]', {timeout: 8000});
    await page.waitForSelector('#alarms li[data-kind="KIND_WAIT_OVER_TARGET"]', {timeout: 3000});
    assert.ok(await page.locator('#chart-queue svg path[data-series="BILL"]').count() === 1);
    assert.ok(await page.locator('#chart-wait svg path[data-series="SIM"]').count() === 1);
    // The staffing plan beside the minimum: what GetHall recommends, and
    // its advice in words.
    const view = await api(server, TOKENS.supervisor, 'Supervisor', 'GetHall', {hallId: HALL});
    assert.ok(view.recommendedOpenWindows >= 2, JSON.stringify(view.recommendedOpenWindows));
    await page.waitForFunction(
        n => document.querySelector('#recommended-open').textContent === String(n),
        view.recommendedOpenWindows, {timeout: 5000});
    assert.match(await text(page, '#staffing-advice'), /窗口|人手合适/);
    await screenshot(page, 'dashboard');
    noPageErrors(page);
  }));

test('counter: a close or pause below the minimum is refused and explained in words', () =>
  withServer(async server => {
    const desk = await openPage(`${server.base}/counter?hall=${HALL}&token=${TOKENS.counter}&window=1`,
                                {viewport: {width: 1366, height: 900}});
    await desk.waitForSelector('#open-form:not([hidden])');
    await desk.fill('#clerk-id', 'zhang');
    await desk.click('#open');
    await desk.waitForFunction(() => document.body.dataset.state === 'WINDOW_STATE_IDLE');
    await counter(server, 'OpenWindow', {window: 2, clerkId: 'li'});

    await desk.click('#close');
    await desk.waitForSelector('#dialog:not([hidden]) .refused');
    const explained = await text(desk, '#refusal-text');
    assert.match(explained, /至少要有 2 个窗口开放，现在开放 2 个，关闭本窗口后就不够了/);
    assert.doesNotMatch(await text(desk, '#dialog'), /failed_precondition|FAILED_PRECONDITION|400/);
    await screenshot(desk, 'counter-close-refused');
    await desk.click('#dialog .actions button');
    assert.equal(await desk.evaluate(() => document.body.dataset.state), 'WINDOW_STATE_IDLE');

    await desk.click('#pause');
    await desk.click('#dialog [data-reason="reason_lunch"]');
    await desk.waitForSelector('#dialog:not([hidden]) .refused');
    assert.match(await text(desk, '#dialog h2'), /暂时不能暂停/);
    assert.match(await text(desk, '#refusal-text'), /暂停本窗口后就不够了/);
    await desk.click('#dialog .actions button');

    // With a third window open the same close goes through.
    await counter(server, 'OpenWindow', {window: 3, clerkId: 'wang'});
    await desk.click('#pause');
    await desk.click('#dialog [data-reason="reason_lunch"]');
    await desk.waitForFunction(() => document.body.dataset.state === 'WINDOW_STATE_PAUSED');
    assert.match(await text(desk, '#paused-note'), /午休/);
    await desk.click('#resume');
    await desk.waitForFunction(() => document.body.dataset.state === 'WINDOW_STATE_IDLE');
    await desk.click('#close');
    await desk.waitForFunction(() => document.body.dataset.state === 'WINDOW_STATE_CLOSED');
    await desk.waitForSelector('#open-form:not([hidden])');
    noPageErrors(desk);
  }));

test('board: a reconfigured hall is shown afresh, a new service by its name', () =>
  withServer(async server => {
    const board = await openBoard(server.base, 'en-hall');
    const hours = [1, 2, 3, 4, 5, 6, 7].map(weekday => ({weekday, openMinute: 0, closeMinute: 1440}));
    const service = (code, name, ticketPrefix) => ({
      code, name, ticketPrefix, numberWidth: 3, targetWaitSeconds: 600,
      targetHandlingSeconds: 300, priorHandlingSeconds: 180});
    await api(server, TOKENS.supervisor, 'Supervisor', 'ConfigureHall', {
      requestId: 'reconfigure-1',
      config: {
        hallId: 'en-hall', name: 'Riverside Service Centre', timeZone: 'Europe/London',
        language: 'LANGUAGE_EN', minOpenWindows: 0, hours,
        services: [service('BILL', 'Bill payment', 'A'), service('CARD', 'Bank cards', 'K')],
        windows: [
          {number: 1, name: 'Window 1', serves: [{serviceCode: 'BILL'}]},
          {number: 2, name: 'Window 2', serves: [{serviceCode: 'BILL'}, {serviceCode: 'CARD'}]},
        ],
      },
    });
    await api(server, TOKENS.kiosk, 'Kiosk', 'IssueTicket',
              {hallId: 'en-hall', serviceCode: 'CARD', requestId: 'card-1'});
    // Events say nothing of a service's name: the board took a new snapshot.
    await waitFor(board, () => {
      const card = window.qcallBoard.state.services.get('CARD');
      return card?.name === 'Bank cards' && card.waiting === 1;
    });
    noPageErrors(board);
  }));

test('English: the hall\'s language, and ?lang= overrides it', () =>
  withServer(async server => {
    await api(server, TOKENS.counter, 'Counter', 'OpenWindow',
              {hallId: 'en-hall', window: 1, clerkId: 'sam'});
    await api(server, TOKENS.kiosk, 'Kiosk', 'IssueTicket', {hallId: 'en-hall', serviceCode: 'BILL'});
    const board = await openPage(`${server.base}/board?hall=en-hall&token=${TOKENS.display}&audio=0`);
    await board.waitForFunction(() => document.querySelector('h1').textContent === 'Now calling');
    await api(server, TOKENS.counter, 'Counter', 'CallNext', {hallId: 'en-hall', window: 1});
    await waitFor(board, () => window.qcallBoard.announced.length === 1);
    assert.deepEqual(await board.evaluate(() => window.qcallBoard.announced),
                     ['Ticket A001, please go to window 1']);
    await screenshot(board, 'board-en');
    const kiosk = await openPage(`${server.base}/kiosk?hall=${HALL}&token=${TOKENS.kiosk}&lang=en`);
    await kiosk.waitForSelector('.service-button');
    assert.equal(await text(kiosk, 'h1'), 'Please choose a service');
    assert.match(await text(kiosk, '.service-button[data-service="BILL"] .main'), /Bill payment/);
    // A board set up for a hall the server does not have says so, and stops.
    const lost = await openPage(`${server.base}/board?hall=nope&token=${TOKENS.display}&audio=0`);
    await lost.waitForFunction(() => /no hall 'nope'/.test(document.querySelector('#status').textContent));
    noPageErrors(board, kiosk, lost);
  }));

test('screens set up wrongly say so in words, and ticket numbers ignore case', () =>
  withServer(async server => {
    const stopOf = async page => {
      await page.waitForSelector('#stop', {timeout: 8000});
      return {code: await page.getAttribute('#stop', 'data-code'),
              text: await text(page, '#stop')};
    };
    // A wrong token: not "reconnecting" for ever over 401s.
    const board = await openPage(`${server.base}/board?hall=${HALL}&token=not-a-token&audio=0`);
    let stop = await stopOf(board);
    assert.equal(stop.code, 'unauthenticated');
    assert.match(stop.text, /访问令牌无效/);
    assert.match(stop.text, /请联系工作人员/);
    await screenshot(board, 'stop-token');
    const kiosk = await openPage(`${server.base}/kiosk?hall=${HALL}&token=not-a-token`);
    stop = await stopOf(kiosk);
    assert.equal(stop.code, 'unauthenticated');
    // A hall that does not exist.
    const dashboard = await openPage(`${server.base}/dashboard?hall=nope&token=${TOKENS.supervisor}`);
    stop = await stopOf(dashboard);
    assert.match(stop.text, /没有编号为“nope”的大厅/);
    // A window the hall does not have: not a blank page.
    const desk = await openPage(`${server.base}/counter?hall=${HALL}&window=99&token=${TOKENS.counter}`);
    stop = await stopOf(desk);
    assert.match(stop.text, /本厅没有 99 号窗口/);
    await screenshot(desk, 'stop-window');
    // No hall in the address.
    const bare = await openPage(`${server.base}/board?token=${TOKENS.display}&audio=0`);
    stop = await stopOf(bare);
    assert.match(stop.text, /缺少参数/);
    noPageErrors(board, kiosk, dashboard, desk, bare);
    // A customer types a003 for A003.
    await issue(server, 'BILL');
    const lower = await fetch(`${server.base}/ticket/${HALL}/a001`);
    assert.equal(lower.status, 200);
    assert.equal((await lower.json()).ticket.number, 'A001');
  }));

test('kiosk: offline, its buttons are blocked and it says so; they come back with the line', () =>
  withServer(async server => {
    const proxy = await startProxy(server);
    try {
      const page = await openPage(`${proxy.base}/kiosk?hall=${HALL}&token=${TOKENS.kiosk}&print=0`,
                                  {viewport: {width: 1920, height: 1080}});
      await page.waitForSelector('.service-button[data-service="BILL"]:not([disabled])');
      assert.equal(await page.locator('#offline').isVisible(), false);
      proxy.cut();
      await page.waitForSelector('.service-button[data-service="BILL"][disabled]', {timeout: 8000});
      assert.equal(await page.locator('#offline').isVisible(), true);
      assert.match(await text(page, '#offline'), /暂停取号/);
      await screenshot(page, 'kiosk-offline');
      // A touch while offline issues nothing, now or later.
      await page.click('.service-button[data-service="BILL"]', {force: true});
      proxy.restore();
      await page.waitForSelector('.service-button[data-service="BILL"]:not([disabled])', {timeout: 8000});
      assert.equal(await page.locator('#offline').isVisible(), false);
      assert.equal(await page.locator('#ticket-view').isVisible(), false);
      const first = await issue(server, 'BILL');
      assert.equal(first.ticket.number, 'A001', 'the touch while offline issued nothing');
      noPageErrors(page);
    } finally {
      await proxy.close();
    }
  }));

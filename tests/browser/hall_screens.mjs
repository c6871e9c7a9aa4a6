// The hall's big screens as a hall runs them (issue 16, items 5, 6, 10, 11):
// a board read from across the room, a dashboard the duty manager acts from,
// announcements across a reconfiguration, times in the hall's time zone.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync, writeFileSync, mkdtempSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {
  CONFIG, HALL, TOKENS, api, counter, issue, noPageErrors, openBoard, openPage,
  screenshot, sleep, text, ticketStatus, waitFor, withServer,
} from './harness.mjs';

const supervisor = (server, method, body) =>
    api(server, TOKENS.supervisor, 'Supervisor', method, {hallId: HALL, ...body});

// The board as seen from 10 m: its 1920×1080 screenshot drawn 480 px wide.
async function fromTenMetres(page, name) {
  const png = await page.screenshot();
  const small = await openPage('about:blank', {viewport: {width: 480, height: 270}});
  await small.setContent(`<body style="margin:0"><img style="width:480px;height:270px"
      src="data:image/png;base64,${png.toString('base64')}"></body>`);
  await small.waitForFunction(() => document.images[0].complete);
  await screenshot(small, name);
  await small.context().close();
}

test('board: one open window fills the screen; recent calls, waits, hours and the notice survive a reload', () =>
  withServer(async server => {
    await counter(server, 'OpenWindow', {window: 3, clerkId: 'wang'});
    for (let i = 0; i < 5; ++i) await issue(server, 'BILL');
    for (let i = 0; i < 3; ++i) {
      await counter(server, 'CallNext', {window: 3});
      await counter(server, 'StartServing', {window: 3});
      await counter(server, 'Complete', {window: 3});
    }
    await counter(server, 'CallNext', {window: 3});  // A004 at window 3
    await supervisor(server, 'SetNotice', {text: '午休时间 12:00-13:00 仅开放 2 个窗口'});
    const board = await openBoard(server.base);
    await board.waitForSelector('#notice:not([hidden])');

    // The tile takes the calling area, not a quarter of it.
    // Measured in one evaluate: render() replaces the cards (a flash ending,
    // estimates arriving), so a handle taken before may be detached after.
    await board.waitForSelector('.window-card[data-window="3"]');
    const [tile, calling] = await board.evaluate(() =>
        [document.querySelector('.window-card[data-window="3"]'), document.getElementById('windows')]
            .map(e => e.getBoundingClientRect().toJSON()));
    assert.ok(tile.width > 1000 && tile.height > 500 && tile.width >= calling.width - 10 &&
              tile.height >= calling.height - 10, JSON.stringify([tile, calling]));
    const numberPx = await board.evaluate(() =>
        parseFloat(getComputedStyle(document.querySelector('.window-card .number')).fontSize));
    assert.ok(numberPx >= 200, `tile number ${numberPx}px`);
    // Recent calls at a quarter size still ≥ 12 px: legible at 10 m.
    const recentPx = await board.evaluate(() =>
        parseFloat(getComputedStyle(document.querySelector('#recent .number')).fontSize));
    assert.ok(recentPx >= 48, `recent call number ${recentPx}px`);

    const shown = async () => board.evaluate(() =>
        [...document.querySelectorAll('#recent li')].map(li => li.dataset.number));
    assert.deepEqual(await shown(), ['A004', 'A003', 'A002', 'A001']);
    assert.equal(await text(board, '#notice'), '午休时间 12:00-13:00 仅开放 2 个窗口');
    assert.equal(await text(board, '#hours'), '今日营业时间 00:00–24:00');
    // One waits for BILL; its estimate beside the count.
    await board.waitForFunction(() =>
        /约 \d+ 分钟|不到 1 分钟/.test(document.querySelector('#services li[data-service="BILL"] .estimate')?.textContent));
    assert.equal(await text(board, '#services li[data-service="BILL"] .count'), '1');
    await screenshot(board, 'board-one-window');
    await fromTenMetres(board, 'board-one-window-from-10m');

    // A reload keeps the last calls (the snapshot carries them).
    await board.reload();
    await waitFor(board, () => window.qcallBoard?.state.hallId === 'test-hall');
    await board.waitForSelector('#recent li');
    assert.deepEqual(await shown(), ['A004', 'A003', 'A002', 'A001']);

    // Six windows share the area in a grid, all whole on the screen.
    for (const w of [1, 2, 4, 5, 6]) await counter(server, 'OpenWindow', {window: w, clerkId: `c${w}`});
    await board.waitForFunction(() => document.querySelectorAll('.window-card').length === 6);
    await sleep(100);
    const boxes = await board.locator('.window-card').evaluateAll(cards =>
        cards.map(c => c.getBoundingClientRect().toJSON()));
    const area = await board.locator('#windows').evaluate(g => g.getBoundingClientRect().toJSON());
    for (const b of boxes) {
      assert.ok(b.bottom <= area.bottom + 1 && b.right <= area.right + 1 && b.height > 200,
                JSON.stringify(b));
    }
    await supervisor(server, 'SetNotice', {text: ''});
    await board.waitForSelector('#notice[hidden]', {state: 'attached'});
    await screenshot(board, 'board-six-windows');
    await fromTenMetres(board, 'board-six-windows-from-10m');
    noPageErrors(board);
  }));

test('board: the banner never shows a call its window has already let go of', () =>
  withServer(async server => {
    await counter(server, 'OpenWindow', {window: 1, clerkId: 'zhang'});
    for (let i = 0; i < 2; ++i) await issue(server, 'BILL');
    const board = await openBoard(server.base);
    // Every frame: is the banner up with a number the window no longer holds?
    await board.evaluate(() => {
      window.mismatches = [];
      window.bannerShown = [];
      const check = () => {
        const banner = document.getElementById('announce');
        const tile = document.querySelector('.window-card[data-window="1"] .number');
        if (banner.classList.contains('active')) {
          const number = banner.dataset.number;
          if (!window.bannerShown.includes(number)) window.bannerShown.push(number);
          if (tile && tile.textContent !== number) window.mismatches.push(`${number}/${tile.textContent}`);
        }
        requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    });
    await counter(server, 'CallNext', {window: 1});
    await waitFor(board, () => document.getElementById('announce').dataset.number === 'A001');
    // While A001 is announced the clerk marks it a no-show and calls A002.
    await counter(server, 'NoShow', {window: 1});
    await counter(server, 'CallNext', {window: 1});
    await waitFor(board, () => window.bannerShown.includes('A002'));
    assert.deepEqual(await board.evaluate(() => window.mismatches), []);
    noPageErrors(board);
  }));

test('board: a call made right after a reconfiguration is shown and announced exactly once', () =>
  withServer(async server => {
    const board = await openBoard(server.base, 'en-hall');
    const en = (service, method, body) =>
        api(server, service === 'Kiosk' ? TOKENS.kiosk : TOKENS.counter, service, method,
            {hallId: 'en-hall', ...body});
    await en('Counter', 'OpenWindow', {window: 1, clerkId: 'sam'});
    await en('Kiosk', 'IssueTicket', {serviceCode: 'BILL', requestId: 'bill-1'});
    await api(server, TOKENS.supervisor, 'Supervisor', 'ConfigureHall', {
      requestId: 'reconfigure-2',
      config: {
        hallId: 'en-hall', name: 'Riverside Service Centre', timeZone: 'Europe/London',
        language: 'LANGUAGE_EN', minOpenWindows: 0,
        hours: [1, 2, 3, 4, 5, 6, 7].map(weekday => ({weekday, closeMinute: 1440})),
        services: [{code: 'BILL', name: 'Bill payment', ticketPrefix: 'A', numberWidth: 3}],
        windows: [
          {number: 1, name: 'Counter One', serves: [{serviceCode: 'BILL'}]},
          {number: 2, name: 'Window 2', serves: [{serviceCode: 'BILL'}]},
        ],
      },
    });
    // At once, in the gap a page reconnecting for a snapshot used to leave.
    await en('Counter', 'CallNext', {window: 1});
    await waitFor(board, () => window.qcallBoard.announced.length >= 1 && window.qcallBoard.announcer.idle);
    await sleep(500);
    assert.deepEqual(await board.evaluate(() => window.qcallBoard.announced),
                     ['Ticket A001, please go to window 1']);
    assert.equal(await board.evaluate(() => window.qcallBoard.calls), 1);
    // The new window name came with the event.
    assert.equal(await board.evaluate(() => window.qcallBoard.state.windows.get(1).name), 'Counter One');
    assert.equal(await text(board, '.window-card[data-window="1"] .number'), 'A001');
    noPageErrors(board);
  }));

// test-hall with standby clerks (AB岗) for windows 5 and 6.
function standbyConfig() {
  const dir = mkdtempSync(path.join(tmpdir(), 'qcall-standby-'));
  const file = path.join(dir, 'halls.textproto');
  writeFileSync(file, readFileSync(CONFIG, 'utf8').replace(
      'min_open_windows: 2',
      'min_open_windows: 2\n  standby_clerks { clerk_id: "standby-1" windows: 5 windows: 6 }'));
  return file;
}

test('dashboard: the duty manager acts from it, in Chinese, and it fits 1920×1080 as alarms grow', () =>
  withServer(async server => {
    for (const [window, clerkId] of [[1, 'zhang'], [2, 'li']]) {
      await counter(server, 'OpenWindow', {window, clerkId});
    }
    await issue(server, 'BILL');
    await counter(server, 'CallNext', {window: 1});
    await counter(server, 'StartServing', {window: 1});
    await counter(server, 'Complete', {window: 1});
    await issue(server, 'BILL');
    await counter(server, 'CallNext', {window: 1});
    await counter(server, 'NoShow', {window: 1});
    const page = await openPage(`${server.base}/dashboard?hall=${HALL}&token=${TOKENS.supervisor}`);
    await page.waitForSelector('#windows tr[data-window="2"][data-state="WINDOW_STATE_IDLE"]');

    // Today by clerk: zhang served one and had one no-show at window 1.
    await page.waitForSelector('#clerks tr[data-clerk="zhang"]');
    assert.equal(await text(page, '#clerks tr[data-clerk="zhang"] .served'), '1');
    assert.equal(await text(page, '#clerks tr[data-clerk="zhang"] .no-shows'), '1');

    // Closing window 2 would leave one window open of the two required: the
    // refusal is shown, then the manager's override closes it.
    await page.click('#windows tr[data-window="2"] .close-window');
    await page.fill('#window-reason', '培训');
    await page.click('#window-go');
    await page.waitForSelector('#window-refusal:not([hidden])');
    assert.match(await text(page, '#window-refusal'), /低于最低开放窗口数/);
    await page.click('#window-go');
    await page.waitForSelector('#windows tr[data-window="2"][data-state="WINDOW_STATE_CLOSED"]');
    let view = await supervisor(server, 'GetHall', {});
    assert.equal(view.windows.find(w => w.number === 2).state, 'WINDOW_STATE_CLOSED');

    // The minimum, set from its tile.
    await page.fill('#min-input', '1');
    await page.click('#set-min');
    await page.waitForFunction(() => document.querySelector('#open-windows').textContent === '1 / 1');

    // A clerk opens window 2 again from the dashboard.
    await page.fill('#windows tr[data-window="2"] .clerk-input', 'li');
    await page.click('#windows tr[data-window="2"] .open-window');
    await page.waitForSelector('#windows tr[data-window="2"][data-state="WINDOW_STATE_IDLE"]');

    // Void a ticket with its reason; without a reason nothing is sent.
    const {ticket} = await issue(server, 'PLAN');
    await page.fill('#void-ticket', ticket.number.toLowerCase());
    await page.click('#void');
    assert.equal((await ticketStatus(server, ticket.number)).ticket?.state ?? 'TICKET_STATE_WAITING',
                 'TICKET_STATE_WAITING');
    await page.fill('#void-reason', '重复取号');
    await page.click('#void');
    await page.waitForFunction(() => !document.querySelector('#void-ticket').value);
    view = await supervisor(server, 'GetHall', {});
    assert.equal(view.services.find(s => s.code === 'PLAN').waiting || 0, 0);

    // The boards' notice.
    await page.fill('#notice-text', '系统维护，请稍候');
    await page.click('#set-notice');
    await sleep(300);
    assert.equal((await supervisor(server, 'GetHall', {})).notice, '系统维护，请稍候');

    // Forty alarms: the page still does not scroll; the ones without room are counted.
    await page.evaluate(() => {
      const alarms = window.qcallDashboard.state.alarms;
      for (let i = 0; i < 40; ++i) {
        alarms.set(`test|${i}`, {kind: 'KIND_WINDOW_IDLE', window: 1, atUnixMs: Date.now() - i * 1000});
      }
    });
    await page.waitForFunction(() => /另有 \d+ 条告警/.test(document.querySelector('#alarms-more').textContent));
    const size = await page.evaluate(() => ({
      height: document.documentElement.scrollHeight, width: document.documentElement.scrollWidth}));
    assert.ok(size.height <= 1080 && size.width <= 1920, JSON.stringify(size));
    await screenshot(page, 'dashboard-many-alarms');
    noPageErrors(page);
  }));

test('dashboard: a lost counter and its standby say so in Chinese; the chart\'s hours are the hall\'s', () =>
  withServer(async server => {
    await counter(server, 'OpenWindow', {window: 1, clerkId: 'zhang'});
    await counter(server, 'OpenWindow', {window: 2, clerkId: 'li'});
    await counter(server, 'Heartbeat', {window: 1});
    // A browser in New York; the hall is in Shanghai.
    const page = await openPage(`${server.base}/dashboard?hall=${HALL}&token=${TOKENS.supervisor}`,
                                {timezoneId: 'America/New_York'});
    await page.waitForSelector('#windows tr[data-window="1"][data-state="WINDOW_STATE_CLOSED"]',
                               {timeout: 8000});
    await page.waitForSelector('#windows tr[data-window="5"][data-state="WINDOW_STATE_IDLE"]');
    assert.match(await text(page, '#windows tr[data-window="1"]'), /柜台失去联系/);
    assert.match(await text(page, '#windows tr[data-window="5"]'), /顶替1号窗口（AB岗）/);
    assert.doesNotMatch(await text(page, '#windows'), /counter lost|standby for/);
    await page.waitForSelector('#alarms li[data-kind="KIND_WINDOW_LOST"]');
    assert.match(await text(page, '#alarms li[data-kind="KIND_WINDOW_LOST"]'), /1号窗口与柜台失去联系/);

    // The clock and the chart's time marks are Shanghai's.
    const shanghai = new Intl.DateTimeFormat('en-GB', {timeZone: 'Asia/Shanghai', hour: '2-digit',
                                                       minute: '2-digit', hourCycle: 'h23'});
    const expected = shanghai.format(new Date());
    const clock = await text(page, '#clock');
    assert.ok(clock.startsWith(expected) || clock.slice(0, 5) >= expected, `${clock} vs ${expected}`);
    const marks = await page.locator('#chart-queue svg text[text-anchor="middle"]')
        .evaluateAll(texts => texts.map(t => t.textContent));
    const hour = Number(expected.slice(0, 2));
    assert.ok(marks.some(m => Math.abs(Number(m.split(':')[0]) - hour) <= 1 ||
                              Math.abs(Number(m.split(':')[0]) - hour) === 23), marks.join(' '));
    await screenshot(page, 'dashboard-lost-and-standby');
    noPageErrors(page);
  }, {config: standbyConfig(), extraArgs: ['--heartbeat-timeout', '1']}));

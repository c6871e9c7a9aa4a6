// The dashboard acting on alarms, on a very busy day, and on a hall open
// past midnight: an alarm acknowledged (确认) stops flashing and stays listed
// with who and when on every dashboard, until it clears; the right panel
// fits 1920×1080 however many alarms and follow-ups there are; "today by
// clerk" reads the hall's business day, not the calendar date.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {
  CONFIG, HALL, TOKENS, api, counter, issue, noPageErrors, openPage, screenshot, text,
  waitFor, withServer,
} from './harness.mjs';

const supervisor = (server, method, body) =>
    api(server, TOKENS.supervisor, 'Supervisor', method, {hallId: HALL, ...body});
const dashboard = (server, query = '') =>
    openPage(`${server.base}/dashboard?hall=${HALL}&token=${TOKENS.supervisor}${query}`);
const alarmItem = (kind, acked) => `#alarms li[data-kind="${kind}"][data-acked="${acked}"]`;
const animation = (page, selector) =>
    page.locator(selector).first().evaluate(e => getComputedStyle(e).animationName);

test('dashboard: an alarm acknowledged stops flashing and stays, marked, on every dashboard until it clears', () =>
  withServer(async server => {
    // Windows 1 and 2 serve BILL and PLAN: nobody serves SIM.
    await counter(server, 'OpenWindow', {window: 1, clerkId: 'zhang'});
    await counter(server, 'OpenWindow', {window: 2, clerkId: 'li'});
    await issue(server, 'SIM');
    const zh = await dashboard(server);
    const en = await dashboard(server, '&lang=en');
    const noWindow = 'KIND_NO_WINDOW_SERVES';
    for (const page of [zh, en]) {
      await page.waitForSelector(alarmItem(noWindow, 0), {timeout: 8000});
      await page.waitForSelector(alarmItem('KIND_WAIT_OVER_TARGET', 0), {timeout: 8000});
    }
    assert.equal(await animation(zh, alarmItem(noWindow, 0)), 'alarm-flash');
    assert.equal(await text(zh, '#alarm-count'), '2');
    assert.match(await text(zh, `${alarmItem(noWindow, 0)} button.ack`), /^确认$/);
    assert.match(await text(en, `${alarmItem(noWindow, 0)} button.ack`), /^Acknowledge$/);

    await zh.click(`${alarmItem(noWindow, 0)} button.ack`);
    for (const page of [zh, en]) {
      await page.waitForSelector(alarmItem(noWindow, 1), {timeout: 5000});
      assert.equal(await animation(page, alarmItem(noWindow, 1)), 'none');
      assert.equal(await page.locator(`${alarmItem(noWindow, 1)} button`).count(), 0);
      assert.equal(await text(page, '#alarm-count'), '1', 'one alarm left unacknowledged');
    }
    assert.match(await text(zh, alarmItem(noWindow, 1)), /已确认 · duty manager \d\d:\d\d/);
    assert.match(await text(en, alarmItem(noWindow, 1)), /Acknowledged · duty manager \d\d:\d\d/);
    assert.match(await text(zh, '#alarms-acked'), /1 条已确认/);
    // The one still unacknowledged comes first and flashes on.
    assert.equal(await zh.getAttribute('#alarms li:first-child', 'data-acked'), '0');
    await screenshot(zh, 'dashboard-alarm-acknowledged');
    await screenshot(en, 'dashboard-alarm-acknowledged-en');

    // The server's word: acknowledged once; a retry with the same request
    // id gets the first reply; an alarm not raised is not found.
    const wait = {kind: 'KIND_WAIT_OVER_TARGET', serviceCode: 'SIM', requestId: 'node:ack-1'};
    const first = await supervisor(server, 'AcknowledgeAlarm', wait);
    assert.deepEqual(await supervisor(server, 'AcknowledgeAlarm', wait), first);
    await assert.rejects(supervisor(server, 'AcknowledgeAlarm', {kind: noWindow, serviceCode: 'SIM'}),
                         e => e.status === 400 && /duty manager/.test(e.body.message));
    await assert.rejects(supervisor(server, 'AcknowledgeAlarm', {kind: 'KIND_WINDOW_LOST', window: 5}),
                         e => e.status === 404);
    await zh.waitForFunction(() => document.querySelector('#alarm-count').textContent === '0');
    assert.match(await zh.getAttribute('#kpi-alarms', 'class'), /warn/);

    // Window 3 opens for SIM: the alarm clears. It closes: the alarm is
    // raised again, a new one, unacknowledged, flashing.
    await counter(server, 'OpenWindow', {window: 3, clerkId: 'wang'});
    await zh.waitForSelector(`#alarms li[data-kind="${noWindow}"]`, {state: 'detached', timeout: 5000});
    await counter(server, 'CloseWindow', {window: 3, reason: '下班'});
    for (const page of [zh, en]) {
      await page.waitForSelector(alarmItem(noWindow, 0), {timeout: 8000});
    }
    assert.equal(await animation(zh, alarmItem(noWindow, 0)), 'alarm-flash');
    const view = await supervisor(server, 'GetHall', {});
    assert.equal(view.alarms.find(a => a.kind === noWindow).acknowledgedBy ?? '', '');
    noPageErrors(zh, en);
  }));

// test-hall with five more services that no window serves, each with a
// one-second target: two alarms apiece once a ticket waits.
function busyConfig() {
  const dir = mkdtempSync(path.join(tmpdir(), 'qcall-busy-'));
  const file = path.join(dir, 'halls.textproto');
  const services = 'DEFGH'.split('').map((prefix, i) => `
  services {
    code: "S${i + 1}" name: "专项业务${i + 1} Special ${i + 1}" ticket_prefix: "${prefix}" number_width: 3
    target_wait_seconds: 1 target_handling_seconds: 600 prior_handling_seconds: 300
  }`).join('');
  writeFileSync(file, readFileSync(CONFIG, 'utf8').replace(
      '  windows { number: 1 ', `${services}\n  windows { number: 1 `));
  return file;
}

// Where each part of the right panel ends, against the panel and the screen.
const measure = page => page.evaluate(() => {
  const panel = document.querySelector('.services-panel');
  const bottom = e => Math.round(e.getBoundingClientRect().bottom);
  const box = document.querySelector('#follow-ups-box .case-scroll');
  return {
    screen: innerHeight,
    page: document.documentElement.scrollHeight,
    panel: bottom(panel),
    parts: [...panel.querySelectorAll(':scope > *, .case-box, .case-scroll')]
        .map(e => ({part: e.id || e.className || e.tagName, bottom: bottom(e)})),
    box: {scroll: box.scrollHeight, client: box.clientHeight, bottom: bottom(box)},
  };
});

test('dashboard: on a very busy day the right panel fits 1920×1080, follow-ups scroll inside it', () =>
  withServer(async server => {
    await counter(server, 'OpenWindow', {window: 1, clerkId: 'zhang'});
    await counter(server, 'OpenWindow', {window: 2, clerkId: 'li'});
    // Twelve bad ratings at window 1: twelve follow-ups (整改).
    for (let i = 0; i < 12; ++i) {
      const {ticket} = await issue(server, 'BILL');
      await counter(server, 'CallNext', {window: 1});
      await counter(server, 'StartServing', {window: 1});
      await counter(server, 'Complete', {window: 1});
      await api(server, TOKENS.pad1, 'Evaluator', 'RateTicket', {
        hallId: HALL, window: 1, ticket: ticket.number, level: 1, reason: '等候时间长 Long wait'});
    }
    for (let i = 1; i <= 5; ++i) await issue(server, `S${i}`);
    const page = await dashboard(server);
    await page.waitForFunction(() => document.querySelectorAll('#follow-ups tbody tr').length === 12,
                               null, {timeout: 8000});
    await page.waitForFunction(() => /另有 \d+ 条告警/.test(document.querySelector('#alarms-more').textContent),
                               null, {timeout: 8000});
    await screenshot(page, 'dashboard-busy-day');
    const m = await measure(page);
    assert.ok(m.page <= m.screen, `the page scrolls: ${JSON.stringify(m)}`);
    assert.ok(m.panel <= m.screen, `the panel runs off the screen: ${JSON.stringify(m)}`);
    for (const part of m.parts) {
      assert.ok(part.bottom <= m.panel, `${part.part} is cut off at the panel's foot: ${JSON.stringify(m)}`);
    }
    assert.ok(m.box.scroll > m.box.client, `the follow-ups fit without scrolling? ${JSON.stringify(m.box)}`);

    // The last follow-up is reached by scrolling its box, and closed there.
    const last = '#follow-ups tbody tr:last-child';
    await page.locator('#follow-ups-box .case-scroll').evaluate(box => { box.scrollTop = box.scrollHeight; });
    const row = await page.locator(last).evaluate(e => {
      const r = e.getBoundingClientRect();
      const box = e.closest('.case-scroll').getBoundingClientRect();
      return {top: r.top, bottom: r.bottom, boxTop: box.top, boxBottom: box.bottom};
    });
    assert.ok(row.bottom <= row.boxBottom + 1 && row.top >= row.boxTop, JSON.stringify(row));
    await page.fill(`${last} input`, '已约谈');
    await page.click(`${last} button.close-follow-up`);
    await page.waitForFunction(() => document.querySelectorAll('#follow-ups tbody tr').length === 11,
                               null, {timeout: 5000});
    assert.equal(await page.evaluate(() => document.scrollingElement.scrollTop), 0);

    const en = await dashboard(server, '&lang=en');
    await en.waitForFunction(() => /\d+ more alarms?/.test(document.querySelector('#alarms-more').textContent),
                             null, {timeout: 8000});
    const e = await measure(en);
    for (const part of e.parts) assert.ok(part.bottom <= e.panel, `${part.part}: ${JSON.stringify(e)}`);
    await screenshot(en, 'dashboard-busy-day-en');
    noPageErrors(page, en);
  }, {config: busyConfig()}));

// An Etc/GMT zone in which it is now between 01:00 and 02:00: a hall open
// until 03:00 is still in yesterday's business day, which starts at 04:00.
function justAfterMidnightZone() {
  let offset = (1 - new Date().getUTCHours() + 24) % 24;  // hours east of UTC
  if (offset > 14) offset -= 24;
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}

test('dashboard: today by clerk of a hall open past midnight is its business day, not the date', () =>
  withServer(async server => {
    const zone = justAfterMidnightZone();
    const night = 'night-hall';
    await api(server, TOKENS.supervisor, 'Supervisor', 'ConfigureHall', {
      requestId: 'night-1',
      config: {
        hallId: night, name: '夜间营业厅 Night Hall', timeZone: zone, language: 'LANGUAGE_ZH',
        minOpenWindows: 0, businessDayStartMinute: 240,
        // 06:00 to 03:00 the next morning, every day.
        hours: [1, 2, 3, 4, 5, 6, 7].map(weekday => ({weekday, openMinute: 360, closeMinute: 1620})),
        services: [{code: 'BILL', name: '话费缴纳 Bill payment', ticketPrefix: 'A', numberWidth: 3,
                    targetWaitSeconds: 600, targetHandlingSeconds: 300, priorHandlingSeconds: 180}],
        windows: [{number: 1, name: '1号窗口', serves: [{serviceCode: 'BILL'}]}],
      },
    });
    const call = (service, method, body, token) =>
        api(server, token, service, method, {hallId: night, ...body});
    await call('Counter', 'OpenWindow', {window: 1, clerkId: 'owl'}, TOKENS.counter);
    await call('Kiosk', 'IssueTicket', {serviceCode: 'BILL'}, TOKENS.kiosk);
    await call('Counter', 'CallNext', {window: 1}, TOKENS.counter);
    await call('Counter', 'StartServing', {window: 1}, TOKENS.counter);
    await call('Counter', 'Complete', {window: 1}, TOKENS.counter);
    const view = await call('Supervisor', 'GetHall', {}, TOKENS.supervisor);
    assert.ok(view.businessHours, `${zone}: open now`);
    // The calendar date there is a day after the business day.
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en-CA', {
      timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit'}).formatToParts(new Date())
        .map(p => [p.type, p.value]));
    const calendar = Number(`${parts.year}${parts.month}${parts.day}`);
    assert.notEqual(calendar, view.businessDay, `${zone}: the date is the business day`);

    const page = await openPage(`${server.base}/dashboard?hall=${night}&token=${TOKENS.supervisor}`);
    const asked = [];
    page.on('request', r => {
      if (r.url().endsWith('.Supervisor/GetReport')) asked.push(JSON.parse(r.postData()));
    });
    await page.reload();
    await page.waitForSelector('#clerks tr[data-clerk="owl"]', {timeout: 8000});
    const day = view.businessDay;
    assert.ok(asked.length >= 1);
    for (const b of asked) {
      assert.deepEqual([b.year, b.month, b.day],
                       [Math.floor(day / 10000), Math.floor(day / 100) % 100, day % 100]);
    }
    assert.equal(await text(page, '#clerks tr[data-clerk="owl"] .served'), '1');
    // Called at once: its wait was within the target.
    assert.equal(await text(page, '#clerks tr[data-clerk="owl"] .in-target'), '100%');
    await screenshot(page, 'dashboard-past-midnight');
    noPageErrors(page);
  }));

test('dashboard: a read answered after a newer event never undoes what the event showed', () =>
  withServer(async server => {
    // Three open: one may pause above the hall's minimum of two.
    for (const [window, clerkId] of [[1, 'zhang'], [2, 'li'], [3, 'wang']]) {
      await counter(server, 'OpenWindow', {window, clerkId});
    }
    const page = await dashboard(server);
    await page.waitForSelector('#windows tr[data-window="3"][data-state="WINDOW_STATE_IDLE"]');
    // Every state window 3's row shows, frame by frame.
    await page.evaluate(() => {
      window.shownStates = [];
      const look = () => {
        const state = document.querySelector('#windows tr[data-window="3"]')?.dataset.state;
        if (state && state !== window.shownStates.at(-1)) window.shownStates.push(state);
        requestAnimationFrame(look);
      };
      requestAnimationFrame(look);
    });
    // The read that follows the next event is answered by the server at once
    // (window 3 idle) but reaches the page only after the pause has.
    let release;
    const paused = new Promise(resolve => { release = resolve; });
    let held = false;
    await page.route('**/qcall.v1.Supervisor/GetHall', async route => {
      if (held) return route.continue();
      held = true;
      const response = await route.fetch();
      await paused;
      await route.fulfill({response});
    });
    await issue(server, 'BILL');
    for (let i = 0; i < 50 && !held; ++i) await new Promise(r => setTimeout(r, 100));
    assert.ok(held, 'the page read the hall after the issue');
    await counter(server, 'PauseWindow', {window: 3, reason: '午休'});
    await page.waitForSelector('#windows tr[data-window="3"][data-state="WINDOW_STATE_PAUSED"]');
    release();
    await new Promise(r => setTimeout(r, 1500));  // the stale answer, then a fresh read
    assert.deepEqual(await page.evaluate(() => window.shownStates),
                     ['WINDOW_STATE_IDLE', 'WINDOW_STATE_PAUSED']);
    noPageErrors(page);
  }));

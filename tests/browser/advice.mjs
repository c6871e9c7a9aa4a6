// The dashboard's staffing advice: one current instruction, followed or
// dismissed from the page (clients/web/advice.js).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {
  HALL, TOKENS, api, counter, noPageErrors, openPage, screenshot, sleep, text,
  withServer,
} from './harness.mjs';

const getHall = server =>
    api(server, TOKENS.supervisor, 'Supervisor', 'GetHall', {hallId: HALL});
const adviceShown = (page, open, close) => page.waitForSelector(
    `#staffing-advice[data-open="${open}"][data-close="${close}"]`, {timeout: 5000});

test('advice: the dashboard shows one instruction; 照办 does it, 忽略 keeps it away', () =>
  withServer(async server => {
    // A quiet hall, four windows open, a minimum of two: one can close.
    for (const [window, clerkId] of [[1, 'zhang'], [2, 'li'], [3, 'wang'], [4, 'zhao']]) {
      await counter(server, 'OpenWindow', {window, clerkId});
    }
    const page = await openPage(`${server.base}/dashboard?hall=${HALL}&token=${TOKENS.supervisor}`);
    await adviceShown(page, 0, 1);
    assert.match(await text(page, '#staffing-advice .advice-text'), /^1 号窗口可关闭$/);
    assert.match(await text(page, '#staffing-advice .advice-since'), /^\d\d:\d\d 起$/);
    assert.equal(await page.locator('#staffing-advice button').count(), 2);
    await screenshot(page, 'advice-close');

    // 照办: window 1 closes, and the advice it asked for is done, not repeated.
    await page.click('#staffing-advice .advice-follow');
    await page.waitForSelector('#windows tr[data-window="1"][data-state="WINDOW_STATE_CLOSED"]');
    // The plan now names the next window that can close, at once (nothing
    // was pending): window 2.
    await adviceShown(page, 0, 2);

    // 忽略: it goes at once and stays away though the plan still says so,
    // on this page and any other (the server keeps it).
    await page.click('#staffing-advice .advice-dismiss');
    await adviceShown(page, 0, 0);
    assert.equal(await text(page, '#staffing-advice'), '人手合适');
    await sleep(2500);  // qcalld ticks every second.
    assert.equal((await getHall(server)).advice?.closeWindow ?? 0, 0);
    const other = await openPage(`${server.base}/dashboard?hall=${HALL}&token=${TOKENS.supervisor}`);
    await other.waitForSelector('#staffing-advice[data-open="0"][data-close="0"] .advice-text');
    assert.equal(await page.getAttribute('#staffing-advice', 'data-close'), '0');

    // A dismissal of an advice no longer shown is refused: a page behind
    // dismisses nothing.
    await assert.rejects(
        api(server, TOKENS.supervisor, 'Supervisor', 'DismissAdvice',
            {hallId: HALL, closeWindow: 3}),
        e => e.status === 400 || e.status === 409 || e.status === 412);

    // The minimum goes up to four: open window 1 again. No standby clerk is
    // configured, so 照办 asks for the clerk's id first.
    await api(server, TOKENS.supervisor, 'Supervisor', 'SetMinOpenWindows',
              {hallId: HALL, minOpenWindows: 4});
    await adviceShown(page, 1, 0);
    assert.match(await text(page, '#staffing-advice .advice-text'), /^建议开 1 号窗口/);
    await page.click('#staffing-advice .advice-follow');
    await page.waitForSelector('.toast');
    assert.equal(await page.evaluate(() => document.activeElement?.className), 'advice-clerk');
    await page.fill('#staffing-advice .advice-clerk', 'sun');
    await screenshot(page, 'advice-open');
    await page.click('#staffing-advice .advice-follow');
    await page.waitForSelector('#windows tr[data-window="1"][data-state="WINDOW_STATE_IDLE"]');
    assert.match(await text(page, '#windows tr[data-window="1"]'), /sun/);
    await adviceShown(page, 0, 0);
    noPageErrors(page, other);
  }));

test('advice: in English, Follow and Dismiss', () =>
  withServer(async server => {
    for (const [window, clerkId] of [[1, 'zhang'], [2, 'li'], [3, 'wang']]) {
      await counter(server, 'OpenWindow', {window, clerkId});
    }
    const page = await openPage(
        `${server.base}/dashboard?hall=${HALL}&token=${TOKENS.supervisor}&lang=en`);
    await adviceShown(page, 0, 1);
    assert.equal(await text(page, '#staffing-advice .advice-text'), 'window 1 can close');
    assert.equal(await text(page, '#staffing-advice .advice-follow'), 'Follow');
    assert.equal(await text(page, '#staffing-advice .advice-dismiss'), 'Dismiss');
    noPageErrors(page);
  }));

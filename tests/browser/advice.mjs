// The dashboard's staffing advice: one current instruction, which may name
// several windows, followed or dismissed from the page (clients/web/advice.js).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {
  HALL, TOKENS, api, counter, noPageErrors, openPage, screenshot, sleep, text,
  withServer,
} from './harness.mjs';

const getHall = server =>
    api(server, TOKENS.supervisor, 'Supervisor', 'GetHall', {hallId: HALL});
// data-open / data-close: the windows shown, "4,5" or "0".
const adviceShown = (page, open, close) => page.waitForSelector(
    `#staffing-advice[data-open="${open}"][data-close="${close}"]`, {timeout: 5000});
const data = async page => ({
  open: await page.getAttribute('#staffing-advice', 'data-open'),
  close: await page.getAttribute('#staffing-advice', 'data-close'),
});
const isOpen = (page, window) => page.waitForSelector(
    `#windows tr[data-window="${window}"][data-state="WINDOW_STATE_IDLE"]`);
const setMin = (server, minOpenWindows) =>
    api(server, TOKENS.supervisor, 'Supervisor', 'SetMinOpenWindows',
        {hallId: HALL, minOpenWindows});

test('advice: one instruction on a set of windows; 照办 does all of it, 忽略 keeps it away', () =>
  withServer(async server => {
    // Two windows open, the minimum: then the minimum goes up to five.
    for (const [window, clerkId] of [[1, 'zhang'], [2, 'li']]) {
      await counter(server, 'OpenWindow', {window, clerkId});
    }
    const page = await openPage(`${server.base}/dashboard?hall=${HALL}&token=${TOKENS.supervisor}`);
    // The minimum goes up to five: three windows to open, one instruction.
    // No standby clerk is configured, so each window asks for its clerk.
    await setMin(server, 5);
    await page.waitForSelector('#staffing-advice[data-open*=","]', {timeout: 5000});
    const opening = (await data(page)).open.split(',');
    assert.equal(opening.length, 3);
    assert.match(await text(page, '#staffing-advice .advice-text'),
                 new RegExp(`^建议开 ${opening.join('、')} 号窗口（`));
    assert.equal(await page.locator('#staffing-advice .advice-clerk').count(), 3);
    const since = (await getHall(server)).advice.sinceUnixMs;
    await screenshot(page, 'advice-open-set');

    // The manager opens one of them at the counter: the rest stands, the
    // same advice (told at the same time), not a new one.
    await counter(server, 'OpenWindow', {window: Number(opening[0]), clerkId: 'sun'});
    await adviceShown(page, opening.slice(1).join(','), 0);
    await sleep(2500);  // qcalld ticks every second.
    assert.equal((await getHall(server)).advice.sinceUnixMs, since);
    assert.equal(await page.locator('#staffing-advice .advice-clerk').count(), 2);

    // 照办 with a clerk id missing asks for it; with both, both open.
    await page.fill(`#staffing-advice .advice-clerk[data-window="${opening[1]}"]`, 'zhou');
    await page.click('#staffing-advice .advice-follow');
    await page.waitForSelector('.toast');
    assert.equal(await page.evaluate(() => document.activeElement?.dataset.window), opening[2]);
    await page.fill(`#staffing-advice .advice-clerk[data-window="${opening[2]}"]`, 'wu');
    await screenshot(page, 'advice-open-rest');
    await page.click('#staffing-advice .advice-follow');
    await isOpen(page, opening[1]);
    await isOpen(page, opening[2]);
    assert.match(await text(page, `#windows tr[data-window="${opening[2]}"]`), /wu/);
    await adviceShown(page, 0, 0);

    // One more: 忽略 makes it go at once and stay away, on this page and
    // any other (the server keeps it).
    await setMin(server, 6);
    await page.waitForSelector('#staffing-advice:not([data-open="0"])', {timeout: 5000});
    const stale = (await getHall(server)).advice.sinceUnixMs;
    await page.click('#staffing-advice .advice-dismiss');
    await adviceShown(page, 0, 0);
    await sleep(2500);
    assert.equal((await getHall(server)).advice?.openWindow ?? 0, 0);
    const other = await openPage(`${server.base}/dashboard?hall=${HALL}&token=${TOKENS.supervisor}`);
    await other.waitForSelector('#staffing-advice[data-open="0"][data-close="0"] .advice-text');

    // A dismissal of an advice no longer shown is refused: a page behind
    // dismisses nothing.
    await assert.rejects(
        api(server, TOKENS.supervisor, 'Supervisor', 'DismissAdvice',
            {hallId: HALL, sinceUnixMs: stale}),
        e => e.status === 400 || e.status === 409 || e.status === 412);
    noPageErrors(page, other);
  }));

test('advice: in English, Follow and Dismiss', () =>
  withServer(async server => {
    for (const [window, clerkId] of [[1, 'zhang'], [2, 'li']]) {
      await counter(server, 'OpenWindow', {window, clerkId});
    }
    const page = await openPage(
        `${server.base}/dashboard?hall=${HALL}&token=${TOKENS.supervisor}&lang=en`);
    await setMin(server, 5);
    await page.waitForSelector('#staffing-advice[data-open*=","]', {timeout: 5000});
    const [a, b, c] = (await data(page)).open.split(',');
    assert.match(await text(page, '#staffing-advice .advice-text'),
                 new RegExp(`^open windows ${a}, ${b} and ${c} for `));
    assert.equal(await page.getAttribute(`#staffing-advice .advice-clerk[data-window="${c}"]`,
                                         'placeholder'), `clerk for window ${c}`);
    assert.equal(await text(page, '#staffing-advice .advice-follow'), 'Follow');
    assert.equal(await text(page, '#staffing-advice .advice-dismiss'), 'Dismiss');
    noPageErrors(page);
  }));

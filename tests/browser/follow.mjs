// Pages follow their hall to the node that serves it (README "Several
// nodes"). One real qcalld plays both nodes: it is reached as 127.0.0.1 and
// as localhost, two origins to the browser, and page.route makes one of
// them answer as a node that does not serve the hall does (307 for a page or
// event stream, 503 naming the owner for a JSON call) or as a node that is
// gone. What a node answers is tested in tests/dispatcher/http_owner_test.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {
  HALL, TOKENS, counter, issue, noPageErrors, openPage, screenshot, waitFor,
  withServer,
} from './harness.mjs';

// The same qcalld under the other name.
const otherOrigin = server => server.base.replace('127.0.0.1', 'localhost');

// What a node that does not serve the hall answers for a page or stream:
// 307 to the owner, same path and query; a page learns its entry.
function redirectTo(owner, from) {
  return route => {
    const url = new URL(route.request().url());
    const page = !url.pathname.startsWith('/events');
    if (page && !url.searchParams.has('entry')) url.searchParams.set('entry', from);
    route.fulfill({status: 307, headers: {Location: owner + url.pathname + url.search},
                   body: ''});
  };
}

const announcedNumbers = page => page.evaluate(
    () => window.qcallBoard.log.map(entry => entry.text.match(/[A-Z]\d{3}/)[0]));

async function callAt(server, window) {
  await issue(server, 'BILL');
  return (await counter(server, 'CallNext', {window})).ticket.number;
}

test('follow: a board whose hall moves goes to the owner and announces each call once', () =>
  withServer(async server => {
    for (const window of [1, 2, 3, 5]) {
      await counter(server, 'OpenWindow', {window, clerkId: `c${window}`});
    }
    const first = await callAt(server, 1);
    const board = await openPage(
        `${server.base}/board?hall=${HALL}&token=${TOKENS.display}&audio=0`);
    await waitFor(board, n => window.qcallBoard?.state.recent[0]?.number === n, first);
    const before = await board.evaluate(() => window.qcallBoard.connection.lastSeq());

    // The hall moves to "localhost": its old node redirects; two calls are
    // made at the new one while the board is on its way.
    const owner = otherOrigin(server);
    const whileMoving = [];
    let moved = false;
    const pageOrStream = url => url.origin === server.base &&
        (url.pathname === '/board' || url.pathname === '/events');
    await board.route(pageOrStream, async route => {
      if (!moved) {
        moved = true;
        whileMoving.push(await callAt(server, 2), await callAt(server, 3));
      }
      await redirectTo(owner, server.base)(route);
    });
    await board.evaluate(() => window.qcallBoard.connection.reconnect());
    await board.waitForURL(url => url.origin === owner, {timeout: 10000});
    await waitFor(board, n => window.qcallBoard?.state.recent.length >= n, 3);
    const url = new URL(board.url());
    assert.equal(url.pathname, '/board');
    assert.equal(url.searchParams.get('hall'), HALL);
    assert.equal(url.searchParams.get('audio'), '0');
    assert.equal(url.searchParams.get('entry'), server.base);
    // The token went to this origin's storage; the seq was read and dropped.
    assert.equal(url.searchParams.get('token'), null);
    assert.equal(url.searchParams.get('seq'), null);

    // The calls made while it moved are announced, then live ones as ever.
    const after = await callAt(server, 5);
    await waitFor(board, () => window.qcallBoard.log.length >= 3 && window.qcallBoard.announcer.idle,
                  undefined, 10000);
    assert.deepEqual(await announcedNumbers(board), [...whileMoving, after]);
    assert.ok(before > 0);
    await screenshot(board, 'follow-board-moved');
    noPageErrors(board);
    await board.context().close();
  }));

test('follow: a board goes back to its entry when its node is gone, and misses nothing', () =>
  withServer(async server => {
    for (const window of [1, 2]) {
      await counter(server, 'OpenWindow', {window, clerkId: `c${window}`});
    }
    // Opened at "localhost", a node that sends it to the hall's owner.
    const entry = otherOrigin(server);
    const board = await openPage('about:blank');
    await board.route(`${entry}/board*`, redirectTo(server.base, entry));
    await board.goto(`${entry}/board?hall=${HALL}&token=${TOKENS.display}&audio=0`);
    await waitFor(board, h => window.qcallBoard?.state.hallId === h, HALL);
    assert.equal(new URL(board.url()).origin, server.base);
    assert.equal(new URL(board.url()).searchParams.get('entry'), entry);
    await board.unroute(`${entry}/board*`);
    const first = await callAt(server, 1);
    await waitFor(board, () => window.qcallBoard.log.length >= 1);

    // The owner's node is gone; the hall is served behind the entry now.
    await board.route(`${server.base}/**`, route => route.abort('connectionrefused'));
    await board.evaluate(() => window.qcallBoard.connection.reconnect());
    const missed = await callAt(server, 2);
    await board.waitForURL(url => url.origin === entry, {timeout: 20000});
    await waitFor(board, () => window.qcallBoard?.log.length >= 1 && window.qcallBoard.announcer.idle,
                  undefined, 10000);
    assert.deepEqual(await announcedNumbers(board), [missed]);
    assert.notEqual(first, missed);
    noPageErrors(board);
    await board.context().close();
  }));

test('follow: a kiosk told by a JSON answer where its hall is goes there', () =>
  withServer(async server => {
    const owner = otherOrigin(server);
    const kiosk = await openPage('about:blank');
    await kiosk.route(`${server.base}/qcall.v1.**`, route => route.fulfill({
      status: 503,
      headers: {'Qcall-Owner': owner},
      contentType: 'application/json',
      body: JSON.stringify({code: 'unavailable', message: `hall ${HALL} is served by node b`,
                            error: `hall ${HALL} is served by node b`, owner}),
    }));
    await kiosk.goto(`${server.base}/kiosk?hall=${HALL}&token=${TOKENS.kiosk}&print=0`);
    await kiosk.waitForURL(url => url.origin === owner, {timeout: 10000});
    await kiosk.waitForSelector('.service-button[data-service="BILL"]', {timeout: 10000});
    const url = new URL(kiosk.url());
    assert.equal(url.searchParams.get('entry'), server.base);
    assert.equal(url.searchParams.get('print'), '0');
    noPageErrors(kiosk);
    await kiosk.context().close();
  }));

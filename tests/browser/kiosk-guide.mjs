// The kiosk's guide and its customers (issue 16, items 4 and 9): the guide's
// PIN is checked by the server, wrong ones refused and limited, guide mode
// and a toggled language end by themselves; a 中/EN toggle; times in the
// hall's zone, whatever zone the kiosk's machine is set to.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {
  CONFIG, HALL, TOKENS, api, issue, openPage, refusal, screenshot, sleep, text, waitFor, withServer,
} from './harness.mjs';

const PIN = '4821';

// test-hall with a guide PIN, stored as its hash.
function pinConfig() {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'qcall-pin-')), 'halls.textproto');
  const sha = createHash('sha256').update(PIN).digest('hex');
  writeFileSync(file, `${readFileSync(CONFIG, 'utf8')}\nguide_pins { hall: "${HALL}" pin_sha256: "${sha}" }\n`);
  return file;
}

// A kiosk whose timers the test moves (page.clock), its machine set to
// `zone`.
async function openKiosk(server, zone = '') {
  const page = await openPage(`${server.base}/kiosk?hall=${HALL}&token=${TOKENS.kiosk}&print=0`,
                              {viewport: {width: 1080, height: 1920}});
  if (zone) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setTimezoneOverride', {timezoneId: zone});
  }
  await page.clock.install();
  await page.reload();
  await page.waitForSelector('.service-button[data-service="BILL"]');
  return page;
}

test('kiosk: the guide\'s PIN is checked by the server, wrong ones are refused and limited, guide mode ends by itself', () =>
  withServer(async server => {
    // The server, not the page, keeps priority to the guide.
    const refused = await refusal(issue(server, 'BILL', {category: 'CATEGORY_VIP'}));
    assert.deepEqual([refused.status, refused.code, refused.message],
                     [403, 'permission_denied', 'wrong guide PIN']);
    assert.equal((await refusal(issue(server, 'BILL', {category: 'CATEGORY_VIP', guidePin: '1234'}))).status, 403);
    const vip = await issue(server, 'BILL', {category: 'CATEGORY_VIP', guidePin: PIN});
    assert.equal(vip.ticket.category, 'CATEGORY_VIP');
    assert.equal((await issue(server, 'BILL')).ticket.category, 'CATEGORY_NORMAL');

    const kiosk = await openKiosk(server);
    await kiosk.click('#guide');
    await kiosk.waitForSelector('#pin-panel:not([hidden])');
    assert.equal(await kiosk.locator('#guide-panel').isHidden(), true, 'no categories before the PIN');
    await kiosk.fill('#guide-pin', '0000');
    await kiosk.click('#pin-ok');
    await kiosk.waitForSelector('#pin-error:not([hidden])');
    assert.equal(await text(kiosk, '#pin-error'), '密码错误');
    await screenshot(kiosk, 'kiosk-guide-pin-wrong');
    await kiosk.fill('#guide-pin', PIN);
    await kiosk.click('#pin-ok');
    await kiosk.waitForSelector('#guide-panel:not([hidden])');
    assert.ok(await kiosk.locator('#guide-mode').isVisible());
    await kiosk.click('.category-choice[data-category="CATEGORY_GREEN_CHANNEL"]');
    assert.equal(await text(kiosk, '#category-note'), '绿色通道');
    await kiosk.click('.service-button[data-service="PLAN"]');
    await kiosk.waitForSelector('#ticket-view:not([hidden])');
    assert.equal(await text(kiosk, '#ticket-number'), 'B001');
    assert.equal(await text(kiosk, '.t-category'), '绿色通道');
    await kiosk.click('#done');

    // The PIN served that one priority ticket: the next customer at the
    // kiosk cannot pick a priority without the guide.
    assert.ok(await kiosk.locator('#guide-mode').isHidden(), 'guide mode ends with its ticket');
    await kiosk.click('#guide');
    await kiosk.waitForSelector('#pin-panel:not([hidden])');
    assert.ok(await kiosk.locator('#guide-panel').isHidden());
    await kiosk.fill('#guide-pin', PIN);
    await kiosk.click('#pin-ok');
    await kiosk.waitForSelector('#guide-panel:not([hidden])');

    // Guide mode with no ticket issued: a minute without a touch ends it.
    await kiosk.click('.category-choice[data-category="CATEGORY_URGENT"]');
    await kiosk.clock.fastForward(59000);
    assert.ok(await kiosk.locator('#guide-mode').isVisible());
    await kiosk.clock.fastForward(2000);
    await kiosk.waitForSelector('#guide-mode', {state: 'hidden'});
    assert.ok(await kiosk.locator('#category-note').isHidden(), 'the priority chosen went with it');
    await kiosk.click('#guide');
    await kiosk.waitForSelector('#pin-panel:not([hidden])');

    // Five wrong PINs in a row lock the hall's guide mode for a minute.
    for (let i = 0; i < 5; ++i) {
      await kiosk.fill('#guide-pin', `000${i}`);
      await kiosk.click('#pin-ok');
      await kiosk.waitForFunction(() => !document.querySelector('#pin-ok').disabled);
    }
    await kiosk.fill('#guide-pin', PIN);
    await kiosk.click('#pin-ok');
    await kiosk.waitForFunction(() => /次数过多/.test(document.querySelector('#pin-error').textContent));
    assert.match(await text(kiosk, '#pin-error'), /^密码错误次数过多，请 (60|59) 秒后再试$/);
    assert.ok(await kiosk.locator('#guide-panel').isHidden());
    assert.equal((await refusal(issue(server, 'BILL', {category: 'CATEGORY_VIP', guidePin: PIN}))).status, 429);
    assert.deepEqual(kiosk.errors, []);
  }, {config: pinConfig()}));

test('kiosk: a 中/EN toggle that a minute idle undoes, and the hall\'s time on a kiosk set to another zone', () =>
  withServer(async server => {
    // The kiosk's machine runs on New York time; the hall is in Shanghai.
    const kiosk = await openKiosk(server, 'America/New_York');
    const hallTime = () => new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'}).format(new Date());
    const before = hallTime();
    const shown = await text(kiosk, '#clock');
    assert.ok([before, hallTime()].includes(shown), `clock ${shown}, hall time ${before}`);
    assert.equal(await text(kiosk, 'h1'), '请选择业务');
    assert.equal(await text(kiosk, '#lang-toggle'), 'English');

    await kiosk.click('#lang-toggle');
    assert.equal(await text(kiosk, 'h1'), 'Please choose a service');
    assert.equal(await text(kiosk, '#lang-toggle'), '中文');
    assert.match(await text(kiosk, '.service-button[data-service="BILL"] .name .main'), /^Bill payment$/);
    await kiosk.click('.service-button[data-service="BILL"]');
    await kiosk.waitForSelector('#ticket-view:not([hidden])');
    const issued = await text(kiosk, '.t-time');
    const status = await (await fetch(`${server.base}/ticket/${HALL}/A001`)).json();
    const at = new Date(Number(status.ticket.issuedAtUnixMs));
    const inHall = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hourCycle: 'h23'}).format(at);
    const dayInHall = new Intl.DateTimeFormat('en-GB', {timeZone: 'Asia/Shanghai', weekday: 'long'}).format(at);
    assert.ok(issued.startsWith(`Issued ${dayInHall}`) && issued.endsWith(` ${inHall}`),
              `${issued}: not ${dayInHall} ${inHall} in Shanghai`);
    await screenshot(kiosk, 'kiosk-english-ticket');
    await kiosk.click('#done');

    // The next customer, a minute later, finds the hall's language again.
    await kiosk.clock.fastForward(61000);
    await kiosk.waitForFunction(() => document.querySelector('h1').textContent === '请选择业务');
    assert.equal(await text(kiosk, '#lang-toggle'), 'English');
    await sleep(100);
    assert.deepEqual(kiosk.errors, []);
  }));

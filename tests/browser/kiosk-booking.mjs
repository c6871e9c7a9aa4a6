// Appointments at the kiosk (issue 16, item 9): a booking made through the
// API is checked in by typing its code; the ticket is issued once; a wrong,
// malformed, used or early code is refused in the customer's words with
// when to come. The ticket page shows the hall's times, whatever zone the
// phone is set to.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {
  HALL, TOKENS, api, issue, noPageErrors, openPage, refusal, screenshot, text, withServer,
} from './harness.mjs';

// The kiosk and the phone run in New York; the hall is in Shanghai.
const AWAY = 'America/New_York';
const hallClock = ms => new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
}).format(new Date(ms));

const book = (server, serviceCode, slotSeconds) =>
    api(server, TOKENS.supervisor, 'Supervisor', 'CreateBooking',
        {hallId: HALL, serviceCode, appointmentUnixSeconds: slotSeconds});

async function openKiosk(server, lang = '') {
  const page = await openPage(
      `${server.base}/kiosk?hall=${HALL}&token=${TOKENS.kiosk}&print=0${lang ? `&lang=${lang}` : ''}`,
      {viewport: {width: 1080, height: 1920}, timezoneId: AWAY});
  await page.waitForSelector('.service-button[data-service="BILL"]');
  return page;
}

// Types `code` into the check-in dialog and confirms.
async function typeCode(page, code) {
  if (await page.locator('#check-in-panel').isHidden()) await page.click('#check-in');
  await page.waitForSelector('#check-in-panel:not([hidden])');
  await page.fill('#booking-code', code);
  await page.click('#check-in-ok');
}

async function refusedWith(page, code) {
  await page.evaluate(() => { document.querySelector('#check-in-error').hidden = true; });
  await typeCode(page, code);
  await page.waitForSelector('#check-in-error:not([hidden])');
  return text(page, '#check-in-error');
}

test('kiosk: a booking is checked in by its code, once; wrong and early codes are refused in Chinese', () =>
  withServer(async server => {
    const slot = Math.floor(Date.now() / 1000) + 300;  // in 5 minutes
    const booked = await book(server, 'BILL', slot);
    const code = booked.booking.code;
    assert.match(code, /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}$/);
    const later = Math.floor(Date.now() / 1000) + 7200;  // in 2 hours
    const early = (await book(server, 'PLAN', later)).booking.code;
    assert.notEqual(early, code);
    // A code no booking holds: the first one's last character changed.
    const unknown = code.slice(0, 5) + (code[5] === 'Z' ? 'Y' : 'Z');

    const kiosk = await openKiosk(server);
    assert.equal(await text(kiosk, '#check-in'), '预约签到');
    await kiosk.click('#check-in');
    await screenshot(kiosk, 'kiosk-check-in');
    assert.equal(await refusedWith(kiosk, unknown), '未找到这个预约码，请核对后重新输入');
    await screenshot(kiosk, 'kiosk-check-in-unknown');
    assert.equal(await refusedWith(kiosk, 'O0I1'), '预约码是 6 位字母或数字，请核对后重新输入');
    const from = hallClock(later * 1000 - 900 * 1000);
    const earlyText = await refusedWith(kiosk, early);
    assert.match(earlyText, new RegExp(`请于 ${from} 后签到`));
    assert.match(earlyText, new RegExp(`您预约的是 .*${hallClock(later * 1000)}`));
    await screenshot(kiosk, 'kiosk-check-in-early');

    // The right code, typed in lower case with a space.
    await typeCode(kiosk, `${code.slice(0, 3).toLowerCase()} ${code.slice(3).toLowerCase()}`);
    await kiosk.waitForSelector('#ticket-view:not([hidden]) #ticket-number');
    assert.equal(await text(kiosk, '#ticket-number'), 'A001');
    assert.equal(await text(kiosk, '.t-category'), '预约');
    // The slot in the hall's time, not New York's.
    assert.equal(await text(kiosk, '#ticket-slot'), `预约时间 ${hallClock(slot * 1000)}`);
    assert.equal(await kiosk.locator('#check-in-panel').isHidden(), true);
    await screenshot(kiosk, 'kiosk-check-in-ticket');
    const issuedAt = Date.now();
    await kiosk.click('#done');

    // Once: the second time says when and which ticket.
    assert.equal(await refusedWith(kiosk, code),
                 `这个预约已于 ${hallClock(issuedAt)} 签到，号码 A001`);
    const again = await refusal(api(server, TOKENS.kiosk, 'Kiosk', 'CheckIn', {hallId: HALL, code}));
    assert.equal(again.status, 400);
    assert.equal(again.code, 'failed_precondition');
    assert.match(again.message, new RegExp(`booking ${code} was checked in already, at .* as ticket A001`));
    const listed = await api(server, TOKENS.supervisor, 'Supervisor', 'ListBookings', {hallId: HALL});
    assert.deepEqual(listed.bookings.map(b => [b.booking.code, b.booking.ticket || '']),
                     [[code, 'A001'], [early, '']]);
    // Nothing else was issued by the refusals.
    assert.equal((await issue(server, 'BILL')).ticket.number, 'A002');
    assert.equal((await issue(server, 'PLAN')).ticket.number, 'B001');

    // A kiosk may not make or list bookings; a code of another hall is none
    // of this one's.
    assert.equal((await refusal(api(server, TOKENS.kiosk, 'Supervisor', 'CreateBooking',
        {hallId: HALL, serviceCode: 'BILL', appointmentUnixSeconds: slot}))).status, 403);
    const elsewhere = await refusal(api(server, TOKENS.kiosk, 'Kiosk', 'GetBooking',
                                        {hallId: 'en-hall', code: early}));
    assert.deepEqual([elsewhere.status, elsewhere.code], [404, 'not_found']);
    noPageErrors(kiosk);

    const english = await openKiosk(server, 'en');
    assert.equal(await text(english, '#check-in'), 'Check in');
    assert.equal(await refusedWith(english, unknown),
                 'No booking has this code; please check it and try again');
    assert.match(await refusedWith(english, early), new RegExp(`please check in from ${from}`));
    await screenshot(english, 'kiosk-check-in-en');
    noPageErrors(english);
  }));

test('ticket page: the hall\'s times, not the phone\'s', () =>
  withServer(async server => {
    const slot = Math.floor(Date.now() / 1000) + 120;
    const {booking} = await book(server, 'SIM', slot);
    const ticket = await api(server, TOKENS.kiosk, 'Kiosk', 'CheckIn',
                             {hallId: HALL, code: booking.code});
    assert.equal(ticket.ticket.number, 'C001');
    const phone = await openPage(`${server.base}/t/${HALL}/C001?lang=zh`,
                                 {viewport: {width: 390, height: 844}, timezoneId: AWAY});
    await phone.waitForSelector('#ahead');
    assert.equal(await text(phone, '#times'),
                 `取号时间 ${hallClock(Number(ticket.ticket.issuedAtUnixMs))} · ` +
                 `预约时间 ${hallClock(slot * 1000)}`);
    // The phone's own clock would say otherwise.
    const local = await phone.evaluate(ms => new Date(ms).getHours(), Number(ticket.ticket.issuedAtUnixMs));
    assert.notEqual(String(local).padStart(2, '0'), hallClock(Number(ticket.ticket.issuedAtUnixMs)).slice(0, 2));
    await screenshot(phone, 'ticket-hall-time');
    noPageErrors(phone);
  }));

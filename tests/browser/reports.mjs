// The reports page (/reports): a 10-day period picked, its figures, charts
// and tables shown, printed to PDF on A4 (the page count, the report's text
// in it, and each page rendered to a PNG in SCREENSHOTS to look at), and in
// English.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdirSync, writeFileSync} from 'node:fs';
import path from 'node:path';
import {
  HALL, SCREENSHOTS, TOKENS, api, counter, issue, noPageErrors, openPage,
  screenshot, text, waitFor, withServer,
} from './harness.mjs';

// A4 at 96 dpi.
const A4 = {width: 794, height: 1123};

test('reports: a 10-day period is picked, shown with charts and tables, and printed on A4', () =>
  withServer(async server => {
    // A short day: three windows, eight tickets, six served, one missed, one
    // badly rated at window 1's pad (a follow-up).
    await counter(server, 'OpenWindow', {window: 1, clerkId: 'alice'});
    await counter(server, 'OpenWindow', {window: 3, clerkId: 'bob'});
    await counter(server, 'OpenWindow', {window: 4, clerkId: 'carol'});
    for (const s of ['BILL', 'BILL', 'PLAN', 'SIM', 'BILL', 'PLAN', 'SIM', 'BILL']) {
      await issue(server, s);
    }
    let rated = '';
    let missed = false;
    for (const w of [1, 3, 4, 1, 3, 4, 1]) {
      const called = await counter(server, 'CallNext', {window: w});
      if (!called.ticket) continue;
      if (w === 4 && !missed) {
        missed = true;
        await counter(server, 'NoShow', {window: w});
        continue;
      }
      await counter(server, 'StartServing', {window: w});
      await counter(server, 'Complete', {window: w});
      if (w === 1 && !rated) {
        rated = called.ticket.number;
        await api(server, TOKENS.pad1, 'Evaluator', 'RateTicket',
                  {hallId: HALL, window: 1, ticket: rated, level: 1, reason: '等候时间长 Long wait'});
      }
    }
    const view = await api(server, TOKENS.supervisor, 'Supervisor', 'GetHall', {hallId: HALL});
    const day = view.businessDay;
    const month = `${Math.floor(day / 10000)}-${String(Math.floor(day / 100) % 100).padStart(2, '0')}`;
    const period = day % 100 <= 10 ? '1' : day % 100 <= 20 ? '2' : '3';
    const expected = await api(server, TOKENS.supervisor, 'Supervisor', 'GetReport',
                               {hallId: HALL, kind: 'REPORT_KIND_PERIOD', year: Math.floor(day / 10000),
                                month: Math.floor(day / 100) % 100, period: Number(period)});
    assert.equal(Number(expected.total.issued), 8);

    const page = await openPage(`${server.base}/reports?hall=${HALL}&token=${TOKENS.supervisor}`,
                                {viewport: {width: 1400, height: 1000}});
    assert.ok(!page.url().includes('token='), 'the token left the address bar');
    // The business day's report first.
    await waitFor(page, () => window.qcallReports?.loads >= 1);
    assert.equal(await text(page, '#title'), '日报');
    // A 10-day period, picked.
    await page.selectOption('#kind', 'period');
    assert.ok(await page.isHidden('#day-box'));
    await page.fill('#month', month);
    await page.selectOption('#period', period);
    await page.click('#show');
    await waitFor(page, () => window.qcallReports.report?.kind === 'REPORT_KIND_PERIOD');
    assert.equal(await page.evaluate(() => window.qcallReports.error), '');
    assert.match(page.url(), new RegExp(`kind=period&date=${month}&period=${period}`));
    assert.equal(await text(page, '#title'), '旬报');
    assert.match(await text(page, '#hall-name'), /测试营业厅/);
    assert.equal(await text(page, '[data-kpi="issued"] .v'), '8');
    assert.equal(await text(page, '[data-kpi="completed"] .v'), String(Number(expected.total.completed)));
    // The tables: every service, each clerk, the follow-up of the bad rating.
    const services = await page.locator('#services tbody tr').allInnerTexts();
    assert.equal(services.length, 3);
    assert.match(services.join('\n'), /话费缴纳[\s\S]*套餐变更[\s\S]*新卡办理/);
    const clerks = await page.locator('#clerks tbody tr').allInnerTexts();
    assert.deepEqual(clerks.map(r => r.split('\t')[0]).sort(), ['alice', 'bob', 'carol']);
    const followUps = await page.locator('#cases tbody tr').nth(1).locator('td').allInnerTexts();
    assert.deepEqual(followUps, ['整改事项', '1', '–', '0', '–', '1']);
    // The charts: a bar per service, the hours with tickets.
    assert.equal(await page.locator('#chart-services rect').count(), 3);
    assert.ok(await page.locator('#chart-hours rect').count() >= 1);
    assert.ok(await page.locator('#hot-spots tbody tr').count() >= 2);
    await screenshot(page, 'reports', {fullPage: true});

    // Printed: A4 pages, the pickers left out, the report's words in them.
    mkdirSync(SCREENSHOTS, {recursive: true});
    const pdfFile = path.join(SCREENSHOTS, 'reports.pdf');
    writeFileSync(pdfFile, await page.pdf({format: 'A4', printBackground: true}));
    const info = execFileSync('pdfinfo', [pdfFile], {encoding: 'utf8'});
    const pages = Number(/^Pages:\s+(\d+)/m.exec(info)[1]);
    assert.ok(pages >= 1 && pages <= 2, `${pages} pages`);
    assert.match(info, /^Page size:.* pts \(A4\)$/m);
    const printed = execFileSync('pdftotext', ['-layout', pdfFile, '-'], {encoding: 'utf8'});
    for (const words of ['测试营业厅', '旬报', '话费缴纳', '逐日按人服务考评', 'alice', 'carol',
                         '投诉与整改', '服务热点']) {
      assert.ok(printed.includes(words), `"${words}" is not in the PDF:\n${printed}`);
    }
    assert.ok(!printed.includes('查询'), 'the pickers are not printed');
    // Each page as an image, to look at.
    execFileSync('pdftoppm', ['-r', '70', '-png', pdfFile, path.join(SCREENSHOTS, 'reports-pdf')]);
    // The print layout on an A4-sized screen, to look at too.
    await page.setViewportSize(A4);
    await page.emulateMedia({media: 'print'});
    assert.ok(await page.isHidden('#pick'));
    await screenshot(page, 'reports-print', {fullPage: true});
    await page.emulateMedia({media: 'screen'});
    noPageErrors(page);

    // In English, and the address keeps the choice.
    const english = await openPage(
        `${server.base}/reports?hall=${HALL}&lang=en&kind=day&token=${TOKENS.supervisor}`,
        {viewport: {width: 1400, height: 1000}});
    await waitFor(english, () => window.qcallReports?.loads >= 1);
    assert.equal(await text(english, '#title'), 'Daily report');
    assert.equal(await text(english, '[data-kpi="issued"] .k'), 'Issued');
    assert.equal(await text(english, '#pick button[type="submit"]'), 'Show');
    await screenshot(english, 'reports-en', {fullPage: true});
    noPageErrors(english);
  }));

// The reports page: /reports?hall=<id>&token=<supervisor token>[&lang=zh|en]
// [&kind=day|period|month&date=YYYY-MM-DD|YYYY-MM&period=1|2|3]. A day (日报),
// a 10-day period (旬报) or a month (月报) of one hall from
// Supervisor.GetReport: the figures, volumes by hour and by service as
// charts, tables by service, category and hour, each clerk's day, the
// windows, complaint cases and follow-ups, and the hot spots. Printed, it
// fills A4 pages (reports.css, @media print) without the pickers. The choice
// is kept in the address, so a report can be bookmarked or reloaded.
import * as q from '/web/qcall.js';
import {barChart, PALETTE} from '/web/chart.js';

q.addTexts({
  zh: {
    reports: '报表',
    report_kind: '报表',
    kind_day: '日报',
    kind_period: '旬报',
    kind_month: '月报',
    report_day: '日期',
    report_month: '月份',
    report_period: '旬',
    period_1: '上旬（1–10日）',
    period_2: '中旬（11–20日）',
    period_3: '下旬（21日–月底）',
    show_report: '查询',
    print: '打印',
    loading: '正在读取…',
    issued: '取号',
    completed: '办结',
    no_shows: '过号',
    mean_wait: '平均等候',
    p90_wait: '90%等候',
    mean_handling: '平均办理',
    sla: '服务达标',
    no_show_rate: '过号率',
    satisfaction: '满意率',
    rated: '评价数',
    bad_ratings: '差评',
    complaints: '投诉',
    chart_hours: '各时段取号',
    chart_services: '各业务取号',
    by_service: '按业务',
    by_category: '按类别',
    by_hour: '按时段',
    clerk_days: '逐日按人服务考评',
    served: '办理',
    transfers_recalls: '转移/重呼',
    open_time: '开窗时长',
    idle_time: '空闲',
    paused_time: '暂停',
    utilization: '利用率',
    complaints_and_follow_ups: '投诉与整改',
    opened: '受理',
    called_back: '已回访',
    resolved_closed: '已办结',
    overdue: '超期',
    still_open: '未办结',
    follow_up_items: '整改事项',
    hot_spots: '服务热点',
    spot_demand: '取号最多',
    spot_wait: '等候最长',
    spot_bad: '差评最多',
    spot_complaints: '投诉最多',
    nothing: '本期无记录',
    printed_at: t => `打印时间 ${t}`,
    day_range: (y, m, d1, d2) => d1 === d2 ? `${y}年${m}月${d1}日` : `${y}年${m}月${d1}日至${d2}日`,
  },
  en: {
    reports: 'Reports',
    report_kind: 'Report',
    kind_day: 'Daily report',
    kind_period: '10-day report',
    kind_month: 'Monthly report',
    report_day: 'Day',
    report_month: 'Month',
    report_period: 'Period',
    period_1: 'Days 1–10',
    period_2: 'Days 11–20',
    period_3: 'Day 21 to the end',
    show_report: 'Show',
    print: 'Print',
    loading: 'Loading…',
    issued: 'Issued',
    completed: 'Done',
    no_shows: 'No-shows',
    mean_wait: 'Mean wait',
    p90_wait: 'p90 wait',
    mean_handling: 'Mean handling',
    sla: 'SLA met',
    no_show_rate: 'No-show rate',
    satisfaction: 'Satisfaction',
    rated: 'Rated',
    bad_ratings: 'Bad ratings',
    complaints: 'Complaints',
    chart_hours: 'Tickets by hour',
    chart_services: 'Tickets by service',
    by_service: 'By service',
    by_category: 'By category',
    by_hour: 'By hour',
    clerk_days: 'Each clerk',
    served: 'Served',
    transfers_recalls: 'Transfers/recalls',
    open_time: 'Open',
    idle_time: 'Idle',
    paused_time: 'Paused',
    utilization: 'Utilization',
    complaints_and_follow_ups: 'Complaints and follow-ups',
    opened: 'Opened',
    called_back: 'Called back',
    resolved_closed: 'Resolved',
    overdue: 'Overdue',
    still_open: 'Open',
    follow_up_items: 'Follow-ups',
    hot_spots: 'Hot spots',
    spot_demand: 'Most tickets',
    spot_wait: 'Longest wait',
    spot_bad: 'Most bad ratings',
    spot_complaints: 'Most complaints',
    nothing: 'Nothing recorded in this period',
    printed_at: t => `Printed ${t}`,
    day_range: (y, m, d1, d2) => {
      const month = new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString('en-GB', {month: 'long', timeZone: 'UTC'});
      return d1 === d2 ? `${d1} ${month} ${y}` : `${d1}–${d2} ${month} ${y}`;
    },
  },
});

const hall = q.params.get('hall') || '';
q.takeToken();
q.chooseLanguage();
q.translate();

const $ = id => document.getElementById(id);
const KINDS = {day: 'REPORT_KIND_DAY', period: 'REPORT_KIND_PERIOD', month: 'REPORT_KIND_MONTH'};

// For tests and inspection.
const page = {loads: 0, report: null, error: ''};
window.qcallReports = page;

// int64 fields arrive as strings.
const n = v => Number(v || 0);
const pct = share => `${(100 * (share || 0)).toFixed(1)}%`;
const secs = v => q.clockDuration(n(v));
const pad = x => String(x).padStart(2, '0');
let serviceNames = new Map();

function showPickers() {
  const kind = $('kind').value;
  $('day-box').hidden = kind !== 'day';
  $('month-box').hidden = kind === 'day';
  $('period-box').hidden = kind !== 'period';
}

// The request of the pickers, or null when a date is missing.
function request() {
  const kind = $('kind').value;
  const date = kind === 'day' ? $('day').value : $('month').value;
  const parts = date.split('-').map(Number);
  if (parts.length !== (kind === 'day' ? 3 : 2) || parts.some(x => !x)) return null;
  const r = {hallId: hall, kind: KINDS[kind], year: parts[0], month: parts[1]};
  if (kind === 'day') r.day = parts[2];
  if (kind === 'period') r.period = Number($('period').value);
  return r;
}

function remember() {
  const url = new URL(location.href);
  const kind = $('kind').value;
  url.searchParams.set('kind', kind);
  url.searchParams.set('date', kind === 'day' ? $('day').value : $('month').value);
  if (kind === 'period') {
    url.searchParams.set('period', $('period').value);
  } else {
    url.searchParams.delete('period');
  }
  history.replaceState(null, '', url);
}

async function load() {
  const r = request();
  if (!r) return;
  remember();
  $('status').textContent = q.t('loading');
  try {
    const report = await q.call('Supervisor', 'GetReport', r);
    page.report = report;
    page.error = '';
    render(report);
    $('status').textContent = '';
  } catch (e) {
    if (q.isSetupError(e)) q.showStop(e);
    page.error = e.message;
    $('status').textContent = e.code === 'network' ? q.t('offline') : e.message;
  } finally {
    ++page.loads;
  }
}

// ---------------------------------------------------------------------------
// Rendering

function table(el, head, rows, numeric = () => true) {
  q.fill(el,
      q.h('thead', {}, q.h('tr', {}, head.map((x, i) =>
          q.h('th', {class: i > 0 && numeric(i) ? 'num' : null}, x)))),
      q.h('tbody', {}, rows.length ? rows.map(row => q.h('tr', {}, row.map((x, i) =>
          q.h('td', {class: i > 0 && numeric(i) ? 'num' : null}, x))))
          : q.h('tr', {}, q.h('td', {colspan: head.length, class: 'nothing'}, q.t('nothing')))));
}

const FIGURE_HEAD = () => ['issued', 'completed', 'no_shows', 'mean_wait', 'p90_wait',
                           'within_target', 'mean_handling', 'sla', 'satisfaction',
                           'bad_ratings', 'complaints'].map(k => q.t(k));

function figureCells(f = {}) {
  return [n(f.issued), n(f.completed), n(f.noShows), secs(f.meanWaitSeconds),
          secs(f.p90WaitSeconds), pct(f.waitWithinTarget), secs(f.meanHandlingSeconds),
          pct(f.slaAttainment), n(f.rated) ? pct(f.satisfactionRate) : '–',
          n(f.badRatings), n(f.complaints)];
}

function serviceName(code) {
  return serviceNames.get(code) || code;
}

// A bar's label: Chinese characters are about twice as wide as Latin ones.
function chartLabel(name) {
  return name.slice(0, /[\u3400-\u9fff]/.test(name) ? 6 : 14);
}

function hourText(hour) {
  return `${pad(hour)}:00–${pad((hour + 1) % 24)}:00`;
}

function daysText(report) {
  const first = report.firstDay || 0;
  const last = report.lastDay || 0;
  return q.t('day_range', Math.floor(first / 10000), Math.floor(first / 100) % 100,
             first % 100, last % 100);
}

function render(report) {
  const kind = Object.keys(KINDS).find(k => KINDS[k] === report.kind) || 'day';
  $('title').textContent = q.t(`kind_${kind}`);
  $('days').textContent = daysText(report);
  const services = report.services || [];
  for (const s of services) {
    if (s.serviceName) serviceNames.set(s.serviceCode, s.serviceName);
  }
  const f = report.total || {};
  const kpi = (key, value) => q.h('div', {class: 'kpi', dataset: {kpi: key}},
                                  q.h('div', {class: 'k'}, q.t(key)), q.h('div', {class: 'v'}, value));
  q.fill($('kpis'),
      kpi('issued', n(f.issued)), kpi('completed', n(f.completed)),
      kpi('mean_wait', secs(f.meanWaitSeconds)), kpi('within_target', pct(f.waitWithinTarget)),
      kpi('sla', pct(f.slaAttainment)), kpi('no_show_rate', pct(f.noShowRate)),
      kpi('satisfaction', n(f.rated) ? pct(f.satisfactionRate) : '–'),
      kpi('complaints', n(f.complaints)));

  // Every hour of the day from the first to the last with tickets.
  const hours = report.hours || [];
  const byHour = new Map(hours.map(h => [h.hour || 0, h.figures || {}]));
  const bars = [];
  if (hours.length) {
    const first = Math.min(...byHour.keys());
    const last = Math.max(...byHour.keys());
    for (let h = first; h <= last; ++h) {
      bars.push({label: String(h), value: n(byHour.get(h)?.issued)});
    }
  }
  q.fill($('chart-hours'), barChart({bars}));
  q.fill($('chart-services'), barChart({bars: services.map((s, i) => ({
    label: chartLabel(q.shortName(serviceName(s.serviceCode))),
    value: n(s.figures?.issued), color: PALETTE[i % PALETTE.length]}))}));

  const head = [''].concat(FIGURE_HEAD());
  table($('services'), head, services.map(s =>
      [q.nameBlock(serviceName(s.serviceCode)), ...figureCells(s.figures)]));
  table($('categories'), head, (report.categories || []).map(c =>
      [q.categoryName(c.category), ...figureCells(c.figures)]));
  table($('hours'), head, hours.map(h => [hourText(h.hour || 0), ...figureCells(h.figures)]));

  table($('clerks'),
        [q.t('clerk'), q.t('windows'), q.t('served'), q.t('no_shows'), q.t('transfers_recalls'),
         q.t('within_target'),
         q.t('mean_handling'), q.t('open_time'), q.t('idle_time'), q.t('paused_time'),
         q.t('satisfaction'), q.t('bad_ratings'), q.t('complaints')],
        (report.clerks || []).map(c => [
          c.clerkId, c.window, n(c.served), n(c.noShows), `${n(c.transfers)}/${n(c.recalls)}`,
          n(c.called) ? pct(c.waitWithinTarget) : '–',
          secs(c.meanHandlingSeconds), secs(c.openSeconds), secs(c.idleSeconds),
          q.h('span', {}, secs(c.pausedSeconds),
              (c.pausedByReason || []).map(p => q.h('small', {class: 'reason'},
                                                    `${p.reason} ${secs(p.seconds)}`))),
          n(c.rated) ? `${pct(c.satisfactionRate)} (${n(c.rated)})` : '–',
          n(c.badRatings),
          n(c.complaintsOverdue) ? `${n(c.complaints)} (${q.t('overdue')} ${n(c.complaintsOverdue)})`
                                 : n(c.complaints)]),
        i => i !== 1);
  table($('windows'),
        [q.t('windows'), q.t('open_time'), q.t('idle_time'), q.t('paused_time'), q.t('utilization')],
        (report.windows || []).map(w => [q.windowLabel(w.window, ''), secs(w.openSeconds),
                                         secs(w.idleSeconds), secs(w.pausedSeconds),
                                         pct(w.utilization)]));
  const c = report.complaints || {};
  const u = report.followUps || {};
  table($('cases'),
        ['', q.t('opened'), q.t('called_back'), q.t('resolved_closed'), q.t('overdue'),
         q.t('still_open')],
        [[q.t('complaints'), n(c.opened), n(c.calledBack), n(c.resolved), n(c.overdue), n(c.open)],
         [q.t('follow_up_items'), n(u.opened), '–', n(u.closed), '–', n(u.open)]]);
  const SPOTS = {
    KIND_DEMAND: ['spot_demand', v => v],
    KIND_LONGEST_WAIT: ['spot_wait', v => secs(v)],
    KIND_BAD_RATINGS: ['spot_bad', v => v],
    KIND_COMPLAINTS: ['spot_complaints', v => v],
  };
  table($('hot-spots'), ['', '', ''],
        (report.hotSpots || []).filter(s => SPOTS[s.kind]).map(s => [
          q.t(SPOTS[s.kind][0]),
          s.hour === undefined || s.hour < 0 ? q.shortName(serviceName(s.serviceCode))
                                             : hourText(s.hour || 0),
          SPOTS[s.kind][1](Number(s.value || 0))]),
        i => i === 2);
  $('printed').textContent = q.t('printed_at', new Date().toLocaleString(
      q.language() === 'zh' ? 'zh-CN' : 'en-GB'));
  $('report').hidden = false;
}

// ---------------------------------------------------------------------------
// Start

async function start() {
  let view = {};
  try {
    view = await q.call('Supervisor', 'GetHall', {hallId: hall});
  } catch (e) {
    if (q.isSetupError(e)) return q.showStop(e);
    $('status').textContent = e.message;
  }
  q.chooseLanguage(view.language);
  q.translate();
  document.title = `${q.shortName(view.name || hall)} · ${q.t('reports')}`;
  q.fill($('hall-name'), q.shortName(view.name || hall));
  for (const s of view.services || []) serviceNames.set(s.code, s.name);
  const day = view.businessDay || 0;
  const today = day ? `${Math.floor(day / 10000)}-${pad(Math.floor(day / 100) % 100)}-${pad(day % 100)}`
                    : new Date().toISOString().slice(0, 10);
  const asked = q.params.get('date') || '';
  const kind = KINDS[q.params.get('kind')] ? q.params.get('kind') : 'day';
  $('kind').value = kind;
  $('day').value = kind === 'day' && asked ? asked : today;
  $('month').value = kind !== 'day' && asked ? asked : today.slice(0, 7);
  const dayOfMonth = day % 100 || 1;
  $('period').value = q.params.get('period') || String(dayOfMonth <= 10 ? 1 : dayOfMonth <= 20 ? 2 : 3);
  showPickers();
  $('kind').addEventListener('change', showPickers);
  $('pick').addEventListener('submit', e => {
    e.preventDefault();
    load();
  });
  $('print').addEventListener('click', () => window.print());
  await load();
}

start();

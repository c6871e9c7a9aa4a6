// What every browser test needs: a fresh qcalld, the shared browser, pages in
// their own contexts (each page keeps its own token cookie), calls from node
// and screenshots.
//
//   const server = await startQcalld();
//   const page = await openPage(`${server.base}/board?hall=test-hall&token=..`);
//   await api(server, 'counter-token', 'Counter', 'CallNext', {...});
//   await screenshot(page, 'board');
//   await server.stop();
import {execFileSync, spawn} from 'node:child_process';
import net from 'node:net';
import {mkdtempSync, mkdirSync, readFileSync, rmSync, existsSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import assert from 'node:assert/strict';
import {chromium} from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');

export const QCALLD = process.env.QCALLD || path.join(repo, 'build/dispatcher/qcalld');
export const CONFIG = path.join(here, 'halls.textproto');
export const SCREENSHOTS = process.env.SCREENSHOTS ||
    path.join(process.env.BUILD_DIR || path.join(repo, 'build'), 'screenshots');
export const HALL = 'test-hall';
export const TOKENS = {
  kiosk: 'kiosk-token',
  counter: 'counter-token',
  display: 'display-token',
  supervisor: 'supervisor-token',
  pad1: 'pad1-token',  // The evaluator pad of test-hall's window 1.
};

const sleep = ms => new Promise(r => setTimeout(r, ms));

// Starts qcalld on free ports with a fresh data folder (qcalld --init-store
// first); resolves when its HTTP side answers /healthz.
export async function startQcalld({config = CONFIG, extraArgs = []} = {}) {
  if (!existsSync(QCALLD)) throw new Error(`qcalld not found at ${QCALLD} (set QCALLD)`);
  const data = mkdtempSync(path.join(tmpdir(), 'qcall-browser-'));
  const portFile = path.join(data, 'ports');
  // A new installation: the journal is made once, explicitly.
  execFileSync(QCALLD, ['--data', path.join(data, 'journal'), '--init-store'],
               {stdio: ['ignore', 'ignore', 'inherit']});
  const child = spawn(QCALLD, [
    '--config', config, '--data', path.join(data, 'journal'),
    '--listen', '127.0.0.1:0', '--http', '127.0.0.1:0',
    '--web', path.join(repo, 'clients/web'), '--port-file', portFile, ...extraArgs,
  ], {stdio: ['ignore', 'ignore', 'pipe']});
  let stderr = '';
  child.stderr.on('data', d => { stderr = (stderr + d).slice(-8000); });
  let exited = null;
  child.on('exit', code => { exited = code; });
  const deadline = Date.now() + 15000;
  let ports = null;
  while (!ports) {
    if (exited !== null) throw new Error(`qcalld exited with ${exited}:\n${stderr}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`qcalld did not write ${portFile}:\n${stderr}`);
    }
    if (existsSync(portFile)) {
      const lines = readFileSync(portFile, 'utf8').trim().split('\n');
      if (lines.length >= 2) ports = lines.map(Number);
    }
    if (!ports) await sleep(30);
  }
  const base = `http://127.0.0.1:${ports[1]}`;
  for (;;) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`qcalld /healthz never answered:\n${stderr}`);
    await sleep(30);
  }
  return {
    base,
    grpcPort: ports[0],
    stderr: () => stderr,
    async stop() {
      if (exited === null) {
        const gone = new Promise(r => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([gone, sleep(5000)]);
        if (exited === null) child.kill('SIGKILL');
      }
      rmSync(data, {recursive: true, force: true});
    },
  };
}

// A TCP proxy in front of qcalld's HTTP port whose line can be cut: cut()
// drops every open connection (as a network failure would, mid-stream) and
// refuses new ones until restore(). Chromium's offline emulation does not end
// a stream that is already open, so the tests cut here instead.
export async function startProxy(server) {
  const target = Number(new URL(server.base).port);
  const sockets = new Set();
  let down = false;
  const proxy = net.createServer(client => {
    if (down) return client.destroy();
    const upstream = net.connect(target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise(r => proxy.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${proxy.address().port}`,
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    restore() { down = false; },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise(r => proxy.close(r));
    },
  };
}

// A JSON call from node, as another kiosk or counter would make it.
export async function api(server, token, service, method, body) {
  const response = await fetch(`${server.base}/qcall.v1.${service}/${method}`, {
    method: 'POST',
    headers: {'Content-Type': 'application/json', 'Authorization': `Bearer ${token}`},
    body: JSON.stringify(body),
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : {};
  if (!response.ok) {
    const e = new Error(`${service}/${method} ${JSON.stringify(body)} → ${response.status} ${text}`);
    e.status = response.status;
    e.body = json;
    throw e;
  }
  return json;
}

// What a refused call answered: {status, code, message}; null if it was not
// refused.
export const refusal = async promise => {
  try {
    await promise;
  } catch (e) {
    return {status: e.status, ...e.body};
  }
  return null;
};

export const counter = (server, method, body) =>
    api(server, TOKENS.counter, 'Counter', method, {hallId: HALL, ...body});
export const issue = (server, serviceCode, extra = {}) =>
    api(server, TOKENS.kiosk, 'Kiosk', 'IssueTicket', {hallId: HALL, serviceCode, ...extra});

let browser = null;

export async function launchBrowser() {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
  });
  return browser;
}

export async function closeBrowser() {
  await browser?.close();
  browser = null;
}

// Opens `url` in a context of its own. Exceptions thrown inside the page are
// collected in page.errors (tests assert there are none); console errors,
// which include expected failed loads while offline, in page.consoleErrors.
export async function openPage(url, {viewport = {width: 1920, height: 1080}, locale = 'zh-CN',
                                     timezoneId} = {}) {
  const context = await browser.newContext({viewport, locale, timezoneId});
  const page = await context.newPage();
  page.errors = [];
  page.consoleErrors = [];
  page.on('pageerror', e => page.errors.push(String(e)));
  page.on('console', m => {
    if (m.type() === 'error') page.consoleErrors.push(m.text());
  });
  await page.goto(url);
  return page;
}

// A silent board (no audio) of `hall` served at `base`, once it shows the
// hall's snapshot.
export async function openBoard(base, hall = HALL) {
  const board = await openPage(`${base}/board?hall=${hall}&token=${TOKENS.display}&audio=0`);
  await waitFor(board, h => window.qcallBoard?.state.hallId === h, hall);
  return board;
}

export async function screenshot(page, name, options = {}) {
  mkdirSync(SCREENSHOTS, {recursive: true});
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({path: file, ...options});
  return file;
}

// Polls `predicate` in the page until it returns a truthy value.
export async function waitFor(page, predicate, arg, timeout = 5000) {
  const handle = await page.waitForFunction(predicate, arg, {timeout, polling: 25});
  return handle.jsonValue();
}

export {sleep};

// Runs `body(server)` with a fresh qcalld and stops it however body ends.
export async function withServer(body, options = {}) {
  const server = await startQcalld(options);
  try {
    await body(server);
  } catch (e) {
    e.message += `\n--- qcalld stderr (tail) ---\n${server.stderr().slice(-3000)}`;
    throw e;
  } finally {
    await server.stop();
  }
}

export const text = (page, selector) => page.locator(selector).first().innerText();
export const ticketStatus = async (server, number) =>
    (await fetch(`${server.base}/ticket/${HALL}/${number}`)).json();

export function noPageErrors(...pages) {
  for (const page of pages) assert.deepEqual(page.errors, [], `errors in ${page.url()}`);
}

// What the headless-Chromium tests share: where Chromium is, its flags for this closed network,
// and starting the demo server on a free port.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Debian's Chromium, or KERASRNN_CHROMIUM (a missing path checks the skip path); undefined when absent, and the tests skip. */
export const CHROMIUM = (process.env.KERASRNN_CHROMIUM ? [process.env.KERASRNN_CHROMIUM] : ['/usr/bin/chromium', '/usr/bin/chromium-browser']).find((p) => fs.existsSync(p));

/** Without the background-networking flags Chromium's connections are refused here, many at a time. */
export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/**
 * Starts `npm run demo` on a free port (`isolated`: with its COOP / COEP headers); resolves to
 * { server, origin } once it prints its URL.
 */
export async function startDemoServer(root, { isolated = false } = {}) {
  const args = ['run', 'demo', '--silent', '--', '--port', '0', ...(isolated ? ['--isolated'] : [])];
  const server = spawn('npm', args, { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const origin = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo server did not start in 30 s:\n${log}`)), 30000);
    server.stdout.on('data', (chunk) => {
      log += chunk;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    });
    server.stderr.on('data', (c) => (log += c));
    server.on('exit', (code) => reject(new Error(`demo server exited with ${code}:\n${log}`)));
  });
  return { server, origin };
}

/**
 * The demo server plus a headless Chromium context with a fresh profile; resolves to
 * { origin, context, stop }, where stop() closes Chromium, stops the server and removes the profile.
 * `isolated` serves the pages cross-origin isolated (startDemoServer); the rest of `options` goes
 * to Chromium's launch.
 */
export async function startBrowser(root, { isolated = false, ...options } = {}) {
  const { chromium } = await import('playwright-core');
  const { server, origin } = await startDemoServer(root, { isolated });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kerasrnn-chromium-'));
  let context = null;
  const stop = async () => {
    await context?.close().catch(() => {});
    try {
      process.kill(-server.pid, 'SIGTERM');
    } catch {}
    fs.rmSync(profile, { recursive: true, force: true });
  };
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, ...options });
  } catch (e) {
    await stop();
    throw e;
  }
  return { origin, context, stop };
}

/**
 * A new page of `browser` (what startBrowser returned) at the demo's origin (or `origin`: another
 * demo server's), with the page's uncaught errors collected into `errors` (tests assert it stays
 * empty).
 */
export async function openDemoPage(browser, origin = browser.origin) {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${origin}/`);
  return { page, errors };
}

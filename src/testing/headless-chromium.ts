/**
 * Test support: opens a page in a real headless Chromium and talks to it over the DevTools
 * protocol on a pipe (`--remote-debugging-pipe`: JSON messages separated by NUL bytes on file
 * descriptors 3 and 4), with Node's own child_process: no browser driver package is needed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { packagedChromium } from './packaged-chromium.js';

/** Executable names tried on PATH, after $PRIVEDGE_CHROMIUM. */
const CANDIDATES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome'];

/** The Chromium executable: $PRIVEDGE_CHROMIUM, else the first candidate found on PATH; null if there is none. */
export function findChromium(): string | null {
  const explicit = process.env['PRIVEDGE_CHROMIUM'];
  if (explicit) return isExecutable(explicit) ? explicit : null;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter).filter(Boolean)) {
    for (const name of CANDIDATES) if (isExecutable(join(dir, name))) return join(dir, name);
  }
  return null;
}

/** A browser to start: its executable, extra environment variables, and where it came from. */
export interface ChromiumLaunch {
  readonly executable: string;
  readonly env: Readonly<Record<string, string>>;
  readonly source: string;
}

/**
 * The browser the tests use: $PRIVEDGE_CHROMIUM or a Chromium on PATH (Debian's `chromium`, the
 * faster path: nothing to unpack), else the one the npm package `@sparticuz/chromium` ships
 * (installed by `npm ci`, unpacked on first use). Null only when neither exists.
 */
export async function resolveChromium(): Promise<ChromiumLaunch | null> {
  const system = findChromium();
  if (system) return { executable: system, env: {}, source: system };
  if (process.env['PRIVEDGE_CHROMIUM']) return null;
  const packaged = await packagedChromium();
  return packaged && { executable: packaged.executable, env: packaged.env, source: `@sparticuz/chromium ${packaged.version}` };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface Message {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
  sessionId?: string;
}

/** A DevTools protocol connection over the browser's pipe. */
class PipeConnection {
  private nextId = 1;
  private buffer = '';
  private readonly pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void; method: string }>();
  private readonly listeners: ((m: Message) => void)[] = [];

  constructor(private readonly out: Writable, input: Readable) {
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      this.buffer += chunk;
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        const message = JSON.parse(this.buffer.slice(0, end)) as Message;
        this.buffer = this.buffer.slice(end + 1);
        this.dispatch(message);
      }
    });
  }

  private dispatch(message: Message): void {
    if (message.id !== undefined) {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(`${waiter.method}: ${message.error.message}`));
      else waiter?.resolve(message.result ?? {});
    } else {
      for (const listener of this.listeners) listener(message);
    }
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.out.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }

  onEvent(listener: (m: Message) => void): void {
    this.listeners.push(listener);
  }

  failAll(error: Error): void {
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
  }
}

/** A page loaded in headless Chromium. */
export interface BrowserPage {
  /** Console errors, uncaught exceptions and error log entries (failed loads, blocked content), in order. */
  readonly errors: readonly string[];
  /** Every URL the page requested, the page itself included (`data:` URLs cut to their media type). */
  readonly requests: readonly string[];
  /** Evaluates a JavaScript expression in the page and returns its value (JSON-serialisable). */
  evaluate<T>(expression: string): Promise<T>;
  /** A PNG screenshot of a region of the page, in CSS pixels. */
  screenshot(clip: { x: number; y: number; width: number; height: number }): Promise<Buffer>;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

function describeArg(arg: Record<string, unknown>): string {
  return String(arg['value'] ?? arg['description'] ?? arg['type'] ?? '');
}

/**
 * Starts headless Chromium (`--headless --no-sandbox --disable-gpu`), loads `url` and resolves once
 * its load event fired. Everything is killed when loading takes longer than `timeoutMs`.
 */
export async function openInChromium(url: string, options: { executable?: string; timeoutMs?: number; width?: number; height?: number } = {}): Promise<BrowserPage> {
  const launch = options.executable ? { executable: options.executable, env: {} } : await resolveChromium();
  if (!launch) throw new Error('no chromium: run npm ci (it installs @sparticuz/chromium), or apt-get install -y chromium, or set PRIVEDGE_CHROMIUM');
  const { executable } = launch;
  const profile = await mkdtemp(join(tmpdir(), 'privedge-chromium-profile-'));
  const child: ChildProcess = spawn(
    executable,
    ['--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe', `--user-data-dir=${profile}`, '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--mute-audio', 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], env: { ...process.env, ...launch.env } },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr = (stderr + t).slice(-4000)));
  const conn = new PipeConnection(child.stdio[3] as Writable, child.stdio[4] as Readable);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const crash = new Promise<never>((_, reject) => {
    child.once('error', (e) => reject(new Error(`cannot start ${executable}: ${e.message}`)));
    child.once('exit', (code, signal) => {
      const error = new Error(`${executable} exited (${code ?? signal}) early; its stderr ends:\n${stderr}`);
      conn.failAll(error);
      reject(error);
    });
  });
  crash.catch(() => undefined);
  const cleanup = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill();
    await exited;
    await rm(profile, { recursive: true, force: true });
  };

  const errors: string[] = [];
  const requests: string[] = [];
  let sessionId = '';
  let loaded!: () => void;
  const load = new Promise<void>((resolve) => (loaded = resolve));
  conn.onEvent((m) => {
    if (m.sessionId !== sessionId || !m.params) return;
    const p = m.params;
    if (m.method === 'Runtime.consoleAPICalled' && (p['type'] === 'error' || p['type'] === 'assert')) {
      errors.push(`console.${String(p['type'])}: ${(p['args'] as Record<string, unknown>[]).map(describeArg).join(' ')}`);
    } else if (m.method === 'Runtime.exceptionThrown') {
      const d = p['exceptionDetails'] as { text: string; exception?: Record<string, unknown> };
      errors.push(`exception: ${d.exception ? describeArg(d.exception) : d.text}`);
    } else if (m.method === 'Log.entryAdded') {
      const e = p['entry'] as { level: string; text: string; url?: string };
      if (e.level === 'error') errors.push(`log: ${e.text}${e.url ? ` (${e.url})` : ''}`);
    } else if (m.method === 'Network.requestWillBeSent') {
      const requested = String((p['request'] as { url: string }).url);
      requests.push(requested.startsWith('data:') ? `${requested.slice(0, requested.indexOf(','))},...` : requested);
    } else if (m.method === 'Page.loadEventFired') {
      loaded();
    }
  });

  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`chromium: ${url} did not load within ${options.timeoutMs ?? 20_000} ms`)), options.timeoutMs ?? 20_000);
  });
  const session = (method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> => Promise.race([conn.send(method, params, sessionId), crash]);
  try {
    await Promise.race(
      [
        (async () => {
          const { targetId } = await conn.send('Target.createTarget', { url: 'about:blank' });
          sessionId = String((await conn.send('Target.attachToTarget', { targetId, flatten: true }))['sessionId']);
          await Promise.all(['Runtime.enable', 'Log.enable', 'Page.enable', 'Network.enable'].map((m) => session(m)));
          await session('Emulation.setDeviceMetricsOverride', { width: options.width ?? 1280, height: options.height ?? 900, deviceScaleFactor: 1, mobile: false });
          const navigation = await session('Page.navigate', { url });
          if (navigation['errorText']) throw new Error(`chromium: cannot open ${url}: ${String(navigation['errorText'])}`);
          await load;
        })(),
        crash,
        timeout,
      ],
    );
  } catch (error) {
    await cleanup();
    throw error;
  } finally {
    clearTimeout(timer);
  }

  return {
    errors,
    requests,
    async evaluate<T>(expression: string): Promise<T> {
      const r = await session('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
      if (r['exceptionDetails']) throw new Error(`evaluate: ${JSON.stringify(r['exceptionDetails'])}`);
      return (r['result'] as { value: T }).value;
    },
    async screenshot(clip) {
      const r = await session('Page.captureScreenshot', { format: 'png', clip: { ...clip, scale: 1 }, captureBeyondViewport: true });
      return Buffer.from(String(r['data']), 'base64');
    },
    async close() {
      await conn.send('Browser.close').catch(() => undefined);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      await cleanup();
    },
  };
}

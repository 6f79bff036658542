// Helpers shared by the browser drivers.

import { spawn } from "node:child_process";
import { createServer } from "node:net";

/**
 * A deadline of `ms`, times BARAZA_TEST_DEADLINES (1 when unset), as the Rust tests'
 * `support::deadline`: `BARAZA_TEST_DEADLINES=0.33 ./dev test` checks that every wait holds
 * with a margin of three. Each context's default (Playwright's 30 s) goes through it too.
 */
export const T = (ms) => Math.round(ms * (Number(process.env.BARAZA_TEST_DEADLINES) > 0 ? Number(process.env.BARAZA_TEST_DEADLINES) : 1));

/** Sets a browser context's default deadlines (Playwright's 30 s, scaled by `T`). */
export function deadlines(context) {
  context.setDefaultTimeout(T(30_000));
  context.setDefaultNavigationTimeout(T(30_000));
  return context;
}

/** An environment variable the Rust test must have set. */
export const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};

/** A port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Runs axe-core on the page as it is and returns the serious or critical violations, each
 * as "rule: what (n nodes)". The context must bypass the page's CSP (the app allows no
 * inline script, and axe is injected as one).
 */
export async function axeViolations(page) {
  const { createRequire } = await import("node:module");
  const require = createRequire(import.meta.url);
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.length}: ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")})`);
}

/** Text on screen that only a program should ever see. */
export const RAW_ERROR = /JsValue|wasm-function|Unreachable|TypeError|RuntimeError|panicked/;

/**
 * Runs `baraza` with `args` (in `cwd` when given) and resolves with the child process and
 * what it printed once it listens; rejects if it exits first.
 */
export function startBaraza(bin, args, cwd) {
  const child = spawn(bin, args, {
    cwd,
    env: { ...process.env, RUST_LOG: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("listening on")) resolve({ child, out });
    });
    child.on("exit", (code) => reject(new Error(`baraza ${args[0]} exited with ${code}: ${out}`)));
  });
}

/** `baraza demo` on 127.0.0.1:`port` with its data in `data` (as `startBaraza`). */
export const startDemo = (bin, data, port) =>
  startBaraza(bin, ["demo", "--data", data, "--listen", `127.0.0.1:${port}`]);

/**
 * Chooses an option of a real `<select>` as a keyboard user does: focus it, then arrow keys
 * until the option whose words are `text` (exactly, else the first that contains them) is
 * the one shown. Each step is a real key press, so the page sees every change a person
 * makes; disabled options are skipped by the browser as they are for a person.
 */
export async function choose(select, text) {
  const words = (await select.locator("option").allInnerTexts()).map((t) => t.trim());
  let target = words.indexOf(text);
  if (target < 0) target = words.findIndex((w) => w.includes(text));
  if (target < 0) throw new Error(`no option "${text}" among ${JSON.stringify(words)}`);
  // Read through the element itself: a choice may draw the page again (a language), and
  // the words that found the list are then in the new language.
  const element = await select.elementHandle();
  const shown = () => element.evaluate((s) => s.selectedIndex);
  await element.focus();
  for (let step = 0; step <= words.length; step++) {
    const now = await shown();
    if (now === target) return;
    await element.press(now < target ? "ArrowDown" : "ArrowUp");
  }
  throw new Error(`the keyboard did not reach "${text}" (shown: ${words[await shown()]})`);
}

// The API, for what a test sets up or checks behind the screen (never to act for the person):
// a JSON body, or another `type` sent as it is; the answer as JSON, an error as a throw.
export async function api(base, method, path, token, body, type = "application/json") {
  const r = await fetch(base + path, {
    method,
    headers: { "content-type": type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : type === "application/json" ? JSON.stringify(body) : body,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

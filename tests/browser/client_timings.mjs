// The enumerator client's timings in headless Chromium, for the benchmark (`baraza-bench`):
// open F1, re-evaluate relevance after one answer (the respondent is not the head, so the
// relation question appears), add the 100th row of the household roster, and the same
// answer again with the 100 rows on screen. Each is timed inside the page, from the input event to
// the DOM showing its effect (performance.now() and a MutationObserver), median of RUNS.
//
// Environment: BASE (a running `baraza serve` with the web client), USERNAME and PASSWORD
// of an enumerator, ARTIFACTS (a scratch folder for the browser profile), RUNS (default 5).
// Prints one line `RESULT {"open_f1_ms": …, "relevance_ms": …, "row_100_ms": …,
// "relevance_100_rows_ms": …}`.

import { rmSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { env } from "./common.mjs";

const BASE = env("BASE");
const RUNS = Number(process.env.RUNS ?? 5);

/** In the page: runs `act`, resolves with the ms until `done()` holds. */
function timeUntil(page, act, done) {
  return page.evaluate(
    ([act, done]) =>
      new Promise((resolve) => {
        const actFn = new Function(act);
        const doneFn = new Function(`return (${done});`);
        const t0 = performance.now();
        const check = () => {
          if (doneFn()) {
            observer.disconnect();
            resolve(performance.now() - t0);
            return true;
          }
          return false;
        };
        const observer = new MutationObserver(check);
        observer.observe(document.body, { childList: true, subtree: true, attributes: true });
        actFn();
        check();
      }),
    [act, done],
  );
}

const visible = (path) => `(() => { const e = document.querySelector('[data-path="${path}"]'); return !!e && e.offsetParent !== null; })()`;
const typeInto = (path, value) =>
  `const i = document.querySelector('[data-path="${path}"] input'); i.value = '${value}'; i.dispatchEvent(new Event('input', { bubbles: true }));`;
const choose = (path, value) =>
  `const q = document.querySelector('[data-path="${path}"]'); const s = q.querySelector('select');
   if (s) { s.value = '${value}'; s.dispatchEvent(new Event('change', { bubbles: true })); }
   else { q.querySelector('input[value="${value}"]').click(); }`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const profile = join(env("ARTIFACTS"), "timings-profile");
  rmSync(profile, { recursive: true, force: true }); // a fresh device every run
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 360, height: 740 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await page.goto(BASE + "/");
    await page.fill("#username", env("USERNAME"));
    await page.fill("#password", env("PASSWORD"));
    await page.click("#enroll");
    await page.locator("#new-baraza_f1_household").waitFor();

    const open = [], first = [], row = [], relevance = [];
    for (let run = 0; run < RUNS; run++) {
      await page.goto(BASE + "/");
      await page.locator("#new-baraza_f1_household").waitFor();
      open.push(await timeUntil(page, `document.querySelector('#new-baraza_f1_household').click();`, visible("settlement")));
      await timeUntil(page, choose("consent", "yes"), visible("hh_size"));
      await timeUntil(page, choose("resp_is_head", "yes"), "true");
      first.push(await timeUntil(page, choose("resp_is_head", "no"), visible("resp_rel")));
      await timeUntil(page, choose("resp_is_head", "yes"), `!${visible("resp_rel")}`);
      await timeUntil(page, typeInto("hh_size", "99"), `!!document.querySelector('[data-row="member[99]"]')`);
      row.push(await timeUntil(page, typeInto("hh_size", "100"), `!!document.querySelector('[data-row="member[100]"]')`));
      relevance.push(await timeUntil(page, choose("resp_is_head", "no"), visible("resp_rel")));
    }
    const result = {
      open_f1_ms: median(open),
      relevance_ms: median(first),
      row_100_ms: median(row),
      relevance_100_rows_ms: median(relevance),
      runs: RUNS,
    };
    console.log("RESULT " + JSON.stringify(result));
  } finally {
    await context.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

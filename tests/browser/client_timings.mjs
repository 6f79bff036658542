// The enumerator client's timings in headless Chromium, for the benchmark (`baraza-bench`):
// open F1, re-evaluate relevance after one answer (the respondent is not the head, so the
// relation question appears), add the 100th row of the household roster, and the same
// answer again with the 100 rows on screen. Each is timed inside the page, from the input event to
// the DOM showing its effect (performance.now() and a MutationObserver), median of RUNS.
//
// With HOUSEHOLD (one complete F1 interview, JSON) and FORM_F1 (its form definition), a cheap
// phone's figures: the same person-like typing under CPU throttling ×4 and unthrottled
// (`phone` below; `phone` and `desktop` in the result).
//
// Then, with HOUSEHOLDS (a JSON list of {response_id, payload}) and F1_VERSION set, puts
// those interviews in the device's outbox and times this phone's figures page over them.
//
// Environment: BASE (a running `baraza serve` with the web client), USERNAME and PASSWORD
// of an enumerator, ARTIFACTS (a scratch folder for the browser profile), RUNS (default 5).
// Prints one line `RESULT {"open_f1_ms": …, "relevance_ms": …, "row_100_ms": …,
// "relevance_100_rows_ms": …, "device_ms": …, "device_load_ms": …, "device_compute_ms": …,
// "device_responses": …}`.

import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { T, deadlines, env } from "./common.mjs";
import { fill, goToSection, loadLabels, pace, typeInto as typeAsPerson } from "./person.mjs";

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
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];

/**
 * In the page: every `input` or `change` event (seen first, on the document's capture phase)
 * starts a clock that stops once the next frame is on screen (the app's updates run before
 * it), and the time lands in `window.__answers`.
 */
const LATENCY = `
  window.__answers = [];
  const mark = () => {
    const t0 = performance.now();
    requestAnimationFrame(() => setTimeout(() => window.__answers.push(performance.now() - t0), 0));
  };
  document.addEventListener("input", mark, true);
  document.addEventListener("change", mark, true);`;

/** The latencies recorded since the last call (after the frames in flight land). */
async function answers(page) {
  await page.evaluate(() => new Promise((ok) => requestAnimationFrame(() => setTimeout(ok, 50))));
  return page.evaluate(() => window.__answers.splice(0));
}

/**
 * A cheap phone's day, by keyboard (`person.mjs`): CPU slowed `rate` times (Chrome DevTools'
 * CPU throttling), 360 px. Opens F1 (tap "New" until its first question shows), types the
 * whole household HOUSEHOLD page by page (each keystroke and tap timed to the next frame;
 * keys 120 ms apart, a quick thumb: typed back to back, a keystroke's time would include
 * the keystrokes queued behind it, which is no person's experience),
 * then, in a new interview, adds one roster row with 10 and with 100 answered rows present
 * (the household size typed up by one digit).
 */
async function phone(page, rate) {
  pace.keyMs = 120;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate });
  const open = async () => {
    await page.goto(BASE + "/");
    await page.locator("#new-baraza_f1_household").waitFor();
    await page.evaluate(LATENCY);
    const t0 = Date.now();
    await page.locator("#new-baraza_f1_household").click();
    await page.locator('[data-path="settlement"]').waitFor();
    return Date.now() - t0;
  };
  const openMs = await open();
  await answers(page);
  const left = await fill(page, JSON.parse(readFileSync(env("HOUSEHOLD"), "utf8")));
  if (left.length) throw new Error(`could not type: ${left.join(", ")}`);
  const answerTimes = await answers(page);
  // A new interview: consent, then the roster with answered rows.
  await open();
  await page.getByRole("radio", { name: "Yes", exact: true }).first().click();
  await goToSection(page, "Household members");
  const hh = page.locator('[data-path="hh_size"]');
  const rowAdded = async (count) => {
    const text = String(count);
    // The size typed so far keeps the answered rows; its last digit adds one row.
    await typeAsPerson(page, hh, text.slice(0, -1));
    await answers(page);
    await page.keyboard.type(text.slice(-1));
    await page.locator(`[data-row="member[${count}]"]`).waitFor();
    return Math.max(...(await answers(page)));
  };
  const name = async (from, to) => {
    await typeAsPerson(page, hh, String(to));
    for (let i = from; i <= to; i++) await typeAsPerson(page, page.locator(`[data-path="member[${i}]/m_label"]`), "a");
  };
  await name(1, 10);
  const row11 = await rowAdded(11);
  await name(11, 100);
  const row101 = await rowAdded(101);
  await cdp.send("Emulation.setCPUThrottlingRate", { rate: 1 });
  return { open_ms: openMs, answer_p95_ms: p95(answerTimes), answers: answerTimes.length, row_11_ms: row11, row_101_ms: row101 };
}

/** This phone's figures over 1,000 interviews put in the device's outbox (as sent). */
async function deviceFigures(page) {
  const households = JSON.parse(readFileSync(env("HOUSEHOLDS"), "utf8"));
  await page.evaluate(async ([households, version]) => {
    const db = await new Promise((ok, fail) => {
      const r = indexedDB.open("baraza");
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const tx = db.transaction(["outbox"], "readwrite");
    const store = tx.objectStore("outbox");
    households.forEach((h, i) => {
      const seq = 1_000_000 + i;
      const item = { device_seq: seq, response_id: h.response_id, rev: "1-bench", parent_rev: null,
        form_id: "baraza_f1_household", form_version: version, content_hash: "sha256:bench", payload: h.payload };
      store.put(JSON.stringify({ item, acked_epoch: "bench", outcome: "sent" }), seq);
    });
    await new Promise((ok, fail) => { tx.oncomplete = ok; tx.onerror = () => fail(tx.error); });
    db.close();
  }, [households, env("F1_VERSION")]);
  const load = [], compute = [];
  let responses = 0;
  for (let run = 0; run < RUNS; run++) {
    await page.goto(BASE + "/community.html");
    await page.locator("#community [data-responses]").waitFor({ timeout: T(120_000) });
    responses = Number(await page.locator("#community [data-responses]").innerText());
    load.push(Number(await page.getAttribute("#community", "data-load-ms")));
    compute.push(Number(await page.getAttribute("#community", "data-compute-ms")));
  }
  const total = load.map((l, i) => l + compute[i]);
  return { device_ms: median(total), device_load_ms: median(load), device_compute_ms: median(compute), device_responses: responses };
}

async function main() {
  const profile = join(env("ARTIFACTS"), "timings-profile");
  rmSync(profile, { recursive: true, force: true }); // a fresh device every run
  const context = deadlines(await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 360, height: 740 },
  }));
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e) => console.error("page error:", e.message));
    await page.goto(BASE + "/");
    await page.getByLabel("Username").click();
    await page.keyboard.type(env("USERNAME"));
    await page.getByLabel("Password").click();
    await page.keyboard.type(env("PASSWORD"));
    await page.click("#enroll");
    await page.locator("#new-baraza_f1_household").waitFor();

    const open = [], first = [], row = [], relevance = [];
    for (let run = 0; run < RUNS; run++) {
      await page.goto(BASE + "/");
      await page.locator("#new-baraza_f1_household").waitFor();
      open.push(await timeUntil(page, `document.querySelector('#new-baraza_f1_household').click();`, visible("settlement")));
      await timeUntil(page, choose("consent", "yes"), visible("resp_is_head"));
      await timeUntil(page, choose("resp_is_head", "yes"), "true");
      first.push(await timeUntil(page, choose("resp_is_head", "no"), visible("resp_rel")));
      await timeUntil(page, choose("resp_is_head", "yes"), `!${visible("resp_rel")}`);
      // The roster is the next page.
      await timeUntil(page, `document.querySelector('#next').click();`, visible("hh_size"));
      await timeUntil(page, typeInto("hh_size", "99"), `!!document.querySelector('[data-row="member[99]"]')`);
      row.push(await timeUntil(page, typeInto("hh_size", "100"), `!!document.querySelector('[data-row="member[100]"]')`));
      relevance.push(await timeUntil(page, typeInto("member[1]/m_age", "30"), visible("member[1]/m_activity")));
    }
    const result = {
      open_f1_ms: median(open),
      relevance_ms: median(first),
      row_100_ms: median(row),
      relevance_100_rows_ms: median(relevance),
      runs: RUNS,
    };
    if (process.env.HOUSEHOLD) {
      loadLabels(JSON.parse(readFileSync(env("FORM_F1"), "utf8")));
      result.phone = await phone(page, 4);
      result.desktop = await phone(page, 1);
    }
    if (process.env.HOUSEHOLDS) Object.assign(result, await deviceFigures(page));
    console.log("RESULT " + JSON.stringify(result));
  } finally {
    await context.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

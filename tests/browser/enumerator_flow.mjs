// The enumerator's day, in a real Chromium against a real `baraza serve`:
// enroll online → offline and server stopped → reload → fill a complete F1 household interview
// with a five-person roster → finalize → close the browser → reopen → the interview is in the
// outbox → server back and online → it syncs by itself → the server holds it exactly once and
// the records screen shows it as sent → a supervisor's correction reaches the device and a
// new correction starts from it. Screenshots of the main screens at 360 px are kept.
//
// Run by the Rust test `browser::an_interview_filled_offline_reaches_the_server_by_itself`,
// which passes everything in the environment:
//   BARAZA_BIN, DATA_DIR, ARTIFACTS, ANSWERS (JSON file), BARAZA_ADMIN_PASSWORD
// It prints one JSON line `RESULT {...}` for the Rust side to check.

import { spawn } from "node:child_process";
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { env, freePort } from "./common.mjs";

const BIN = env("BARAZA_BIN");
const DATA = env("DATA_DIR");
const ARTIFACTS = env("ARTIFACTS");
const ADMIN_PASSWORD = env("BARAZA_ADMIN_PASSWORD");
const ANSWERS = JSON.parse(readFileSync(env("ANSWERS"), "utf8"));
const PROFILE = join(ARTIFACTS, "profile");
mkdirSync(ARTIFACTS, { recursive: true });

const log = (...a) => console.log("[browser-test]", ...a);


let running = null; // the server process, stopped even when a step fails

/** Starts `baraza serve` and resolves once it prints its address. */
function startServer(port) {
  const child = spawn(BIN, ["serve", "--data", DATA, "--listen", `127.0.0.1:${port}`], {
    env: { ...process.env, RUST_LOG: "warn" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("listening on")) {
        running = child;
        resolve(child);
      }
    });
    child.on("exit", (code) => reject(new Error(`baraza serve exited with ${code}: ${out}`)));
  });
}

function stopServer(child) {
  running = null;
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.on("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

async function api(base, method, path, token, body) {
  const r = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const launch = () =>
  chromium.launchPersistentContext(PROFILE, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    viewport: { width: 360, height: 740 },
    permissions: ["geolocation"],
    geolocation: { latitude: ANSWERS.gps.lat, longitude: ANSWERS.gps.lon, accuracy: ANSWERS.gps.accuracy },
  });

function watch(page) {
  page.on("pageerror", (e) => log("page error:", e.message));
  page.on("console", (m) => m.type() === "error" && log("console error:", m.text()));
}

const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

/** Answers as (engine path, value) leaves: `member[2]/m_age`, like the client's data-path. */
function leaves(obj, prefix = "") {
  const out = [];
  for (const [k, v] of Object.entries(obj)) {
    if (Array.isArray(v) && v.length && typeof v[0] === "object") {
      v.forEach((row, i) => out.push(...leaves(row, `${prefix}${k}[${i + 1}]/`)));
    } else {
      out.push({ path: `${prefix}${k}`, value: v });
    }
  }
  return out;
}

async function answer(q, value) {
  const kind = await q.getAttribute("data-kind");
  if (await q.locator(".preset").count()) return; // fixed by the form
  switch (kind) {
    case "text": case "integer": case "decimal": case "date":
      await q.locator("input, textarea").first().fill(String(value));
      break;
    case "select_one":
      if (await q.locator("select").count()) await q.locator("select").selectOption(String(value));
      else await q.locator(`input[value="${value}"]`).check();
      break;
    case "select_multiple":
      for (const c of value) await q.locator(`input[value="${c}"]`).check();
      break;
    case "rank":
      for (const c of value) await q.locator(`.unranked[data-code="${c}"] button`).click();
      break;
    case "geopoint":
      await q.locator("button.locate").click();
      await q.locator(".geo").filter({ hasText: "," }).waitFor();
      break;
    default:
      throw new Error(`no way to answer a ${kind}`);
  }
}

/** Fills in passes: a question appears once the answers it depends on are given. */
async function fill(page, answers) {
  let pending = leaves(answers);
  for (let pass = 0; pass < 12 && pending.length; pass++) {
    const next = [];
    for (const leaf of pending) {
      const q = page.locator(`[data-path="${leaf.path}"]`);
      if ((await q.count()) !== 1 || !(await q.isVisible())) {
        next.push(leaf);
        continue;
      }
      await answer(q, leaf.value);
    }
    if (next.length === pending.length) break;
    pending = next;
  }
  return pending.map((l) => l.path);
}

const text = (page, sel) => page.locator(sel).first().innerText();

async function main() {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let server = await startServer(port);
  const admin = (await api(base, "POST", "/api/v1/auth/login", null, { username: "admin", password: ADMIN_PASSWORD })).token;
  await api(base, "POST", "/api/v1/users", admin, { username: "amina", password: "field-work-2026", role: "enumerator" });

  // 1. Enroll online.
  let context = await launch();
  let page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  await page.goto(base + "/");
  await page.locator("#username").waitFor();
  await shot(page, "01-enroll");
  await page.fill("#username", "amina");
  await page.fill("#password", "field-work-2026");
  await page.click("#enroll");
  await page.locator("#new-baraza_f1_household").waitFor();
  await page.evaluate(() => navigator.serviceWorker.ready);
  await shot(page, "02-home");
  log("enrolled");

  // 2. Offline, server stopped, reload: the app comes from the service worker's cache.
  await context.setOffline(true);
  await stopServer(server);
  await page.reload();
  await page.locator("#new-baraza_f1_household").waitFor();
  log("reloaded offline");

  // 3. A complete household interview with a five-person roster.
  await page.click("#new-baraza_f1_household");
  await page.locator('[data-path="settlement"]').waitFor();
  const unanswered = await fill(page, ANSWERS);
  if (unanswered.length) throw new Error(`could not answer: ${unanswered.join(", ")}`);
  const rows = await page.locator('[data-row^="member["]').count();
  await shot(page, "03-form");
  await page.click("#check");
  const summary = await text(page, "#summary");
  await shot(page, "04-summary");
  if (!(await page.locator("#finalize").count())) throw new Error(`the summary lists issues:\n${summary}`);
  await page.click("#finalize");
  await page.locator("#records-waiting li").first().waitFor();
  await shot(page, "05-records-waiting");
  log("finalized offline");

  // 4. Close the browser, reopen it: the interview is still in the outbox.
  await context.close();
  context = await launch();
  await context.setOffline(true);
  page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  await page.goto(base + "/");
  await page.click("#tab-records");
  await page.locator("#records-waiting li").first().waitFor();
  const waitingAfterReopen = await page.locator("#records-waiting li").count();
  log("reopened: waiting", waitingAfterReopen);

  // 5. Server back, connection back: it sends by itself (no tap).
  server = await startServer(port);
  await context.setOffline(false);
  await page.locator("#records-sent li").first().waitFor({ timeout: 60_000 });
  const sentShown = await page.locator("#records-sent li").count();
  const waitingShown = await page.locator("#records-waiting li").count();
  await shot(page, "06-records-sent");
  log("synced");

  const admin2 = (await api(base, "POST", "/api/v1/auth/login", null, { username: "admin", password: ADMIN_PASSWORD })).token;
  const held = (await api(base, "GET", "/api/v1/responses?form_id=baraza_f1_household", admin2)).responses;

  // 6. A supervisor corrects it; the device pulls the correction and reopens from it.
  const { response_id: id, head_rev } = held[0];
  const detail = await api(base, "GET", `/api/v1/responses/${id}`, admin2);
  const head = detail.revisions.find((r) => r.rev === head_rev);
  const corrected = { ...JSON.parse(head.payload), hh_objective: "A tap in the compound, shared by four households." };
  await api(base, "POST", `/api/v1/responses/${id}/corrections`, admin2, { base_rev: head_rev, answers: corrected });
  await page.click("#sync-now");
  await page.locator("#records-sent li", { hasText: "Corrected by a supervisor" }).waitFor({ timeout: 30_000 });
  await page.locator("#records-sent li button").first().click();
  const objective = await page.locator('[data-path="hh_objective"] textarea, [data-path="hh_objective"] input').first().inputValue();
  await shot(page, "07-correcting");

  // 7. This phone's figures, computed on the device; after one visit they open offline too.
  await page.goto(base + "/");
  await page.click('a[href="/community.html"]');
  await page.locator("#community [data-responses]").waitFor({ timeout: 30_000 });
  await context.setOffline(true);
  await page.reload();
  await page.locator("#community [data-responses]").waitFor({ timeout: 30_000 });
  const figures = {
    responses: Number(await text(page, "#community [data-responses]")),
    reports: await page.locator("#community section").count(),
    hidden: await page.locator("#community tr.suppressed").count(),
    shown: await page.locator("#community tbody tr:not(.suppressed)").count(),
  };
  await shot(page, "08-figures");
  log("figures", JSON.stringify(figures));
  await context.close();
  await stopServer(server);
  console.log("RESULT " + JSON.stringify({ rows, waitingAfterReopen, sentShown, waitingShown, held, objective, figures }));
}

main().catch((e) => {
  console.error(e);
  if (running) running.kill("SIGKILL");
  process.exit(1);
});

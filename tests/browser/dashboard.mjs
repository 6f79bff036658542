// The planner's dashboard, in a real Chromium against a real `baraza demo`: an admin resets
// the planner's password, so the planner signs in and chooses a new one first → R1 as a
// chart and a table → filter by one settlement → a disaggregation too sparse for one
// settlement, collapsed to its type with a notice → download the CSV → R4 as stacked
// bars per settlement, suppressed cells marked → the print view; an enumerator is turned away.
// Screenshots are kept.
//
// Run by the Rust test `browser::a_planner_reads_reports_on_the_demo_city_in_the_dashboard`,
// which passes: BARAZA_BIN, DATA_DIR, ARTIFACTS, BARAZA_DEMO_PASSWORD.
// It prints one JSON line `RESULT {...}` for the Rust side to check.

import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { T, axeViolations, choose, deadlines, env, freePort, startDemo } from "./common.mjs";

const BIN = env("BARAZA_BIN");
const DATA = env("DATA_DIR");
const ARTIFACTS = env("ARTIFACTS");
const PASSWORD = env("BARAZA_DEMO_PASSWORD");
mkdirSync(ARTIFACTS, { recursive: true });

const log = (...a) => console.log("[dashboard-test]", ...a);


let server = null;

async function login(base, username) {
  const r = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  return (await r.json()).token;
}

const tableRows = (page) => page.locator("#report-table tbody tr");

/** Chooses a filter's option with the keyboard, by the words the option shows for `value`. */
async function pick(page, select, value) {
  const words = await page.locator(`${select} option[value="${value}"]`).innerText();
  await choose(page.locator(select), words.trim());
}

async function waitForTable(page, predicate) {
  await page.waitForFunction(predicate, null, { timeout: T(30000) });
}

async function main() {
  const port = await freePort();
  const demo = await startDemo(BIN, DATA, port);
  server = demo.child;
  const started = demo.out;
  log(started.trim().split("\n").join(" | "));
  const base = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  const result = {};
  try {
    // axe-core is injected as a script, which the dashboard's Content-Security-Policy forbids.
    const context = deadlines(await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, bypassCSP: true }));
    const page = await context.newPage();
    page.on("pageerror", (e) => log("page error:", e.message));
    page.on("console", (m) => m.type() === "error" && log("console error:", m.text()));

    // An enumerator is turned away at sign-in.
    await page.goto(`${base}/dashboard/`);
    await page.getByLabel("Username").click();
    await page.keyboard.type("enumerator");
    await page.getByLabel("Password", { exact: true }).click();
    await page.keyboard.type(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator("#sign-in-error").filter({ hasText: "cannot read reports" }).waitFor();
    result.enumeratorRefused = true;

    // The admin reset the planner's password: the planner signs in with the temporary one,
    // typed, and must choose a new one first (mistyped once, then the demo password again).
    const admin = await login(base, "admin");
    const planner = (await (await fetch(`${base}/api/v1/users`, { headers: { authorization: `Bearer ${admin}` } })).json())
      .users.find((u) => u.username === "planner");
    const reset = await fetch(`${base}/api/v1/users/${planner.id}/password`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin}` },
      body: JSON.stringify({ password: "temporary-pass-1" }),
    });
    if (reset.status !== 204) throw new Error(`reset: ${reset.status}`);
    await page.reload();
    await page.getByLabel("Username").waitFor();
    result.axe = { signIn: await axeViolations(page) };
    await page.getByLabel("Username").click();
    await page.keyboard.type("planner");
    await page.getByLabel("Password", { exact: true }).click();
    await page.keyboard.type("temporary-pass-1");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Choose a new password" }).waitFor();
    await page.getByLabel("New password", { exact: true }).click();
    await page.keyboard.type(PASSWORD);
    await page.getByLabel("New password again").click();
    await page.keyboard.type(PASSWORD + "x");
    await page.getByRole("button", { name: "Save the new password" }).click();
    result.passwordsDiffer = await page.getByRole("alert").filter({ hasText: /\w/ }).innerText();
    result.axe.newPassword = await axeViolations(page);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-00-new-password.png"), fullPage: true });
    await page.setViewportSize({ width: 360, height: 740 });
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-00-new-password-360.png"), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByLabel("New password again").click();
    await page.keyboard.press("Backspace");
    await page.getByRole("button", { name: "Save the new password" }).click();

    // The planner's first screen: R16, municipal objectives against community priorities.
    await page.locator("#report-title").filter({ hasText: "R16" }).waitFor();
    result.temporaryRefused = (await fetch(`${base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "planner", password: "temporary-pass-1" }),
    })).status;
    await waitForTable(page, () => document.querySelectorAll("#report-table tbody tr").length > 10);
    await page.locator("#chart svg").first().waitFor();
    const alignment = tableRows(page).filter({ hasText: "Spearman" }).first();
    result.alignment = (await alignment.locator("td").nth(2).textContent()).trim();
    result.axe.r16 = await axeViolations(page);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-01-r16-alignment.png"), fullPage: true });

    // R1 city-wide, ranked by score.
    await page.getByRole("button", { name: /^R1 / }).click();
    await page.locator("#report-title").filter({ hasText: "R1 ·" }).waitFor();
    await waitForTable(page, () => document.querySelectorAll("#report-table tbody tr").length === 6);
    await page.locator("#chart svg").first().waitFor();
    result.r1Rows = await tableRows(page).count();
    result.r1Items = await tableRows(page).locator("th").allTextContents();
    result.r1Scores = (await tableRows(page).locator("td:nth-child(3)").allTextContents()).map(Number);
    result.chartBars = await page.locator("#chart svg path").count();
    result.axe.reports = await axeViolations(page);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-02-r1-city.png"), fullPage: true });

    // One settlement. The keyboard passes through s01…s11 on its way, and each of their
    // tables may be on screen for a moment: the one read is there once "Loading…" is gone
    // (only the latest request's answer clears it).
    await pick(page, "#filter-settlement", "s12");
    await waitForTable(page, () => {
      const n = document.querySelector("#report-table tbody tr td:last-child");
      return document.querySelector("#report-status").textContent === ""
        && n && Number(n.textContent) > 0 && Number(n.textContent) < 130;
    });
    result.settlementN = Number(await tableRows(page).first().locator("td:last-child").textContent());
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-03-r1-s12.png"), fullPage: true });

    // The settlement's report-back sheet, printed to PDF on A4 and on Letter.
    const [sheet] = await Promise.all([
      context.waitForEvent("page"),
      page.getByRole("button", { name: "Print for the meeting" }).click(),
    ]);
    await sheet.locator("h1").waitFor();
    result.sheetHeading = await sheet.locator("h1").textContent();
    result.sheetText = await sheet.locator("body").innerText();
    result.axe.sheet = await axeViolations(sheet);
    await sheet.emulateMedia({ media: "print" });
    await sheet.screenshot({ path: join(ARTIFACTS, "dashboard-03b-s12-sheet.png"), fullPage: true });
    const pages = (pdf) => (pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g) || []).length;
    const a4 = await sheet.pdf({ format: "A4", path: join(ARTIFACTS, "s12-sheet-a4.pdf") });
    const letter = await sheet.pdf({ format: "Letter", path: join(ARTIFACTS, "s12-sheet-letter.pdf") });
    result.sheetPages = [pages(a4), pages(letter)];
    await sheet.close();

    // By disability within that settlement: too few disabled households, so the table is
    // collapsed to the settlement's type, and says so.
    await pick(page, "#filter-by", "d");
    await page.locator("#shown-for").filter({ hasText: "settlement type" }).waitFor();
    result.shownFor = await page.locator("#shown-for").textContent();
    result.legend = await page.locator("#legend").textContent();
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-04-r1-s12-disability-collapsed.png"), fullPage: true });

    // The CSV download is what the API gives for the same filters.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download CSV" }).click()]);
    const saved = join(ARTIFACTS, "R1-d.csv");
    await download.saveAs(saved);
    const csv = readFileSync(saved, "utf8");
    const token = await login(base, "planner");
    const api = await (await fetch(`${base}/api/v1/reports/R1.csv?by=d&settlement=s12&lang=en`, {
      headers: { authorization: `Bearer ${token}` },
    })).text();
    result.csvName = download.suggestedFilename();
    result.csvHeader = csv.split("\n")[0];
    result.csvMatchesApi = csv === api;

    // The filters constrain each other: a type narrows the settlements, and a settlement of
    // another type is let go.
    const frame = (await (await fetch(`${base}/api/v1/settlements`, { headers: { authorization: `Bearer ${token}` } })).json())
      .settlements;
    result.typeASettlements = frame.filter((x) => x.type === "A").length;
    await pick(page, "#filter-type", "A");
    await page.waitForFunction(() => document.querySelector("#filter-settlement").value === "");
    result.settlementOptionsForA = (await page.locator("#filter-settlement option").count()) - 1;
    result.settlementLetGo = await page.locator("#filter-settlement").inputValue();
    await pick(page, "#filter-type", "");

    // Time is chosen by calendar quarter (the lattice of tables protected together), from
    // the quarters that have interviews; the whole fieldwork is the default.
    result.quarterOptions = (await page.locator("#filter-quarter option").allInnerTexts()).map((t) => t.trim());
    const quarter = result.quarterOptions[result.quarterOptions.length - 1];
    await choose(page.getByLabel("Quarter"), quarter);
    await waitForTable(page, () => document.querySelector("#report-status").textContent === ""
      && document.querySelectorAll("#report-table tbody tr").length > 0);
    result.quarterRows = await tableRows(page).count();
    result.quarterError = (await page.locator("#report-error").textContent()).trim();
    await choose(page.getByLabel("Quarter"), result.quarterOptions[0]);

    // R4 as stacked 100 % bars per settlement, one service at a time, for the whole city; the
    // service chosen applies to the table too.
    await page.getByRole("button", { name: /^R4 / }).click();
    await page.locator("#report-title").filter({ hasText: "R4 ·" }).waitFor();
    await pick(page, "#filter-by", "s");
    await waitForTable(page, () =>
      [...document.querySelectorAll("#report-table tbody td:nth-child(2)")].some((td) => td.textContent === "Settlement 20"));
    result.r4Rows = await tableRows(page).count();
    result.suppressedRows = await page.locator("#report-table tbody tr.suppressed").count();
    result.suppressedText = await page.locator("#report-table tbody tr.suppressed td.num").first().textContent();
    result.r4Settlements = new Set(await tableRows(page).locator("td:nth-child(2)").allTextContents()).size;
    result.r4ServiceOptions = (await page.locator("#filter-service option").allInnerTexts()).map((t) => t.trim()).sort();
    await pick(page, "#filter-service", "sanitation");
    await page.locator("#chart svg text").filter({ hasText: "open defecation" }).first().waitFor();
    await waitForTable(page, () =>
      [...document.querySelectorAll("#report-table tbody th")].every((th) => th.textContent.startsWith("Sanitation")));
    result.r4TableServices = [...new Set((await tableRows(page).locator("th").allTextContents())
      .map((t) => t.split(":")[0]))];
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-05-r4-sanitation-by-settlement.png") });

    // The print view drops the navigation and the controls.
    await page.emulateMedia({ media: "print" });
    result.printHidesNav = !(await page.locator("nav.reports").isVisible());
    result.printKeepsTable = await page.locator("#report-table").isVisible();
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-06-r4-print.png") });
    await page.emulateMedia({ media: "screen" });

    // R8's many items: the highest twelve, then all of them.
    await page.getByRole("button", { name: /^R8 / }).click();
    await page.locator("#report-title").filter({ hasText: "R8 ·" }).waitFor();
    await pick(page, "#filter-by", "all");
    const showAll = page.getByRole("button", { name: /^Show all/ });
    await showAll.waitFor();
    result.r8ShowAll = await showAll.textContent();
    result.r8Charted = await page.locator("#chart svg text").count();
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-07-r8-top.png"), fullPage: true });
    await showAll.click();
    await page.getByRole("button", { name: "Show the highest 12" }).waitFor();
    await page.waitForFunction((before) => document.querySelectorAll("#chart svg text").length > before, result.r8Charted);
    result.r8ChartedAll = await page.locator("#chart svg text").count();
    result.axe.r8All = await axeViolations(page);

    // R15's actors map and R18's demand by bid.
    await page.getByRole("button", { name: /^R15 / }).click();
    await page.locator("#report-title").filter({ hasText: "R15 ·" }).waitFor();
    await page.locator("#chart svg text").filter({ hasText: "Informal provider" }).first().waitFor();
    await page.locator("#actors-matrix tbody tr").first().waitFor();
    result.actorsMatrix = {
      rows: await page.locator("#actors-matrix tbody tr").count(),
      columns: await page.locator("#actors-matrix thead th").allInnerTexts(),
    };
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-08-r15-actors.png"), fullPage: true });
    await page.getByRole("button", { name: /^R18 / }).click();
    await page.locator("#report-title").filter({ hasText: "R18 ·" }).waitFor();
    const bound = tableRows(page).filter({ hasText: "Turnbull" }).first();
    await bound.waitFor();
    result.turnbull = Number((await bound.locator("td").nth(2).textContent()).trim());
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-09-r18-wtp.png"), fullPage: true });

    // Any signed-in user changes their own password from the header, proving the current one.
    await page.getByRole("button", { name: "Change password" }).click();
    await page.getByLabel("Current password").click();
    await page.keyboard.type(PASSWORD);
    await page.getByLabel("New password", { exact: true }).click();
    await page.keyboard.type("planner-chose-this");
    await page.getByLabel("New password again").click();
    await page.keyboard.type("planner-chose-this");
    await page.getByRole("button", { name: "Save the new password" }).click();
    await page.locator("#report-title").waitFor();
    const relogin = async (password) => (await fetch(`${base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "planner", password }),
    })).status;
    result.ownChange = [await relogin(PASSWORD), await relogin("planner-chose-this")];

    // In French, and on a phone: the report list folds into a menu, the table scrolls with
    // its item column held.
    await choose(page.getByLabel("Language"), "Français");
    await page.getByRole("button", { name: /^R1 / }).click();
    await page.locator("#report-title").filter({ hasText: "Principales préoccupations" }).waitFor();
    await page.locator("#legend").filter({ hasText: "masqué" }).waitFor();
    // The title changes at the click; the table when R1's answer in French has come.
    await waitForTable(page, () => [...document.querySelectorAll("#report-table tbody th")]
      .some((th) => /Coût|Accessibilité/.test(th.textContent)));
    result.frenchItems = await tableRows(page).locator("th").allTextContents();
    result.frenchHeader = await page.locator("#report-table thead").textContent();
    await page.setViewportSize({ width: 360, height: 740 });
    await page.reload();
    await page.locator("#report-title").waitFor();
    await page.getByRole("button", { name: /^R9 / }).or(page.locator("nav.reports summary")).first().waitFor();
    result.menuFolded = !(await page.getByRole("button", { name: /^R9 / }).isVisible());
    await page.locator("nav.reports summary").click();
    await page.getByRole("button", { name: /^R9 / }).click();
    await page.locator("#report-title").filter({ hasText: "R9 ·" }).waitFor();
    await waitForTable(page, () => document.querySelectorAll("#report-table tbody tr").length > 5);
    result.phoneTableScrolls = await page.locator(".table-scroll").evaluate((e) => e.scrollWidth > e.clientWidth);
    result.phonePageWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    result.axe.french360 = await axeViolations(page);
    await page.screenshot({ path: join(ARTIFACTS, "dashboard-10-r9-french-360.png"), fullPage: true });
    await context.close();
  } finally {
    await browser.close();
  }
  console.log("RESULT " + JSON.stringify(result));
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => {
    if (server) server.kill("SIGTERM");
  });

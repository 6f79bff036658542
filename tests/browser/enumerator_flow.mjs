// The enumerator's day, in a real Chromium against a real `baraza serve`, acting as a person:
// every answer is typed with the keyboard or picked by its visible label, never set by script.
// Enroll online → a draft started and deleted → offline and server stopped → reload (no raw
// program error on any screen, a sentence instead) → a complete F1 household, page by page:
// the roster grown and shrunk (an answered row goes only after confirmation), the summary
// jumping to a question, numbers typed exactly (refusals shown for what is not a number,
// a decimal comma read in French) → finalize → close the browser → reopen → the interview is
// in the outbox → server back and online → it syncs by itself → the server holds it exactly
// once and the records screen shows it as sent → a supervisor's correction reaches the device
// → a second phone enrolls with a one-time code (a mistyped one refused with a sentence).
// axe-core checks each screen; screenshots at 360 px (and 1280 px for the form) are kept.
//
// Run by the Rust test `browser::an_interview_filled_offline_reaches_the_server_by_itself`,
// which passes everything in the environment:
//   BARAZA_BIN, DATA_DIR, ARTIFACTS, ANSWERS (JSON file), BARAZA_ADMIN_PASSWORD
// and, to run the release binary alone over HTTPS: BIN_DIR (its folder, the server's working
// folder), TLS_CERT and TLS_KEY (PEM files; Node trusts the certificate by NODE_EXTRA_CA_CERTS).
// It prints one JSON line `RESULT {...}` for the Rust side to check.

import { X509Certificate, createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { RAW_ERROR, T, api, axeViolations, choose, deadlines, env, freePort, startBaraza } from "./common.mjs";
import { EN, FORM, fill, goToSection, loadLabels, typeInto } from "./person.mjs";

const BIN = env("BARAZA_BIN");
const DATA = env("DATA_DIR");
const ARTIFACTS = env("ARTIFACTS");
const ADMIN_PASSWORD = env("BARAZA_ADMIN_PASSWORD");
const ANSWERS = JSON.parse(readFileSync(env("ANSWERS"), "utf8"));
const PROFILE = join(ARTIFACTS, "profile");
const TLS = process.env.TLS_CERT ? ["--tls-cert", process.env.TLS_CERT, "--tls-key", env("TLS_KEY")] : [];
// Chromium trusts the test's certificate by its public key, as a phone trusts a real one: the
// page is a secure context and the service worker registers (errors merely ignored would not
// let it).
const TRUST = TLS.length
  ? [`--ignore-certificate-errors-spki-list=${createHash("sha256")
    .update(new X509Certificate(readFileSync(process.env.TLS_CERT)).publicKey.export({ type: "spki", format: "der" }))
    .digest("base64")}`]
  : [];
mkdirSync(ARTIFACTS, { recursive: true });

const log = (...a) => console.log("[browser-test]", ...a);


let running = null; // the server process, stopped even when a step fails

/** Starts `baraza serve` and resolves once it prints its address. */
async function startServer(port) {
  const args = ["serve", "--data", DATA, "--listen", `127.0.0.1:${port}`, ...TLS];
  const { child } = await startBaraza(BIN, args, process.env.BIN_DIR);
  running = child;
  return child;
}

function stopServer(child) {
  running = null;
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.on("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

const launch = async (profile = PROFILE) => deadlines(await
  chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync", ...TRUST],
    viewport: { width: 360, height: 740 },
    locale: "en-US",
    // axe-core is injected as a script, which the app's Content-Security-Policy forbids.
    bypassCSP: true,
    permissions: ["geolocation"],
    geolocation: { latitude: ANSWERS.gps.lat, longitude: ANSWERS.gps.lon, accuracy: ANSWERS.gps.accuracy },
  }));

function watch(page) {
  page.on("pageerror", (e) => log("page error:", e.message));
  page.on("console", (m) => m.type() === "error" && log("console error:", m.text()));
  page.on("requestfailed", (r) => log("request failed:", r.url()));
}

const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

/** What is typed instead of the plain number: leading zeros, read as the number they spell. */
const TYPED = { resp_age: "034", rooms_sleep: "01" };

/** The roster: grown, shrunk by the engine while rows are empty, by the enumerator when not. */
async function rosterScenario(page) {
  const hh = page.locator('[data-path="hh_size"]');
  const rows = () => page.locator('[data-row^="member["]').count();
  const out = {};
  await typeInto(page, hh, "2.5");
  out.wholeRefusal = { shown: await hh.locator("input").inputValue(), message: await hh.locator(".msg").innerText() };
  await typeInto(page, hh, "7");
  await page.locator('[data-row="member[7]"]').waitFor();
  await typeInto(page, hh, "6");
  await page.locator('[data-row="member[7]"]').waitFor({ state: "detached" });
  out.rowsAfterLowering = await rows();
  await typeInto(page, page.locator('[data-path="member[6]/m_label"]'), "F");
  await typeInto(page, hh, "5");
  out.answeredRowKept = await rows();
  out.rowsMessage = await page.locator('[data-path="member"] > .msg').innerText();
  const remove = page.locator('[data-row="member[6]"]').getByRole("button", { name: "Remove" });
  let dialogs = [];
  page.once("dialog", (d) => { dialogs.push(d.message()); d.dismiss(); });
  await remove.click();
  out.rowsAfterCancel = await rows();
  page.once("dialog", (d) => { dialogs.push(d.message()); d.accept(); });
  await remove.click();
  await page.locator('[data-row="member[6]"]').waitFor({ state: "detached" });
  out.rowsAfterConfirm = await rows();
  out.dialogs = dialogs;
  // The summary, mid-way: each entry names the question in words and jumps to it.
  await goToSection(page, "Summary");
  await page.locator("#summary").waitFor();
  await shot(page, "04a-summary-midway");
  out.axeSummary = await axeViolations(page);
  const entry = page.getByRole("link", { name: "Household member 2: Age in completed years", exact: true });
  out.summaryEntry = await entry.locator("xpath=..").innerText();
  await entry.click();
  await page.waitForFunction(() => document.activeElement?.id === "f-member[2]/m_age");
  out.focusedAfterJump = await page.evaluate(() => document.activeElement.id);
  return out;
}

/** Numbers that are not numbers: refused on screen, the text kept as typed. */
async function refusalScenario(page) {
  const q = page.locator('[data-path="exp_month"]');
  const out = [];
  for (const typed of ["abc", "3o", "2,5", "1e5"]) {
    await typeInto(page, q, typed);
    out.push({ typed, shown: await q.locator("input").inputValue(), message: await q.locator(".msg").innerText() });
  }
  return out;
}

/** In French a decimal comma is read: 2,5 hours is 2.5. */
async function commaScenario(page) {
  await choose(page.getByLabel("Language", { exact: true }), "Français");
  const q = page.locator('[data-path="women_time"]');
  await typeInto(page, q, "2,5");
  const out = { shown: await q.locator("input").inputValue(), messages: await q.locator(".msg").count() };
  await choose(page.getByLabel("Language", { exact: true }), "English");
  return out;
}

const text = (page, sel) => page.locator(sel).first().innerText();

async function main() {
  const port = await freePort();
  const base = `${TLS.length ? "https" : "http"}://127.0.0.1:${port}`;
  let server = await startServer(port);
  const admin = (await api(base, "POST", "/api/v1/auth/login", null, { username: "admin", password: ADMIN_PASSWORD })).token;
  await api(base, "POST", "/api/v1/users", admin, { username: "amina", password: "field-work-2026", role: "enumerator" });
  // A backup taken before any phone enrolls, while serving: step 9 restores the server from it.
  const beforePhones = join(ARTIFACTS, "before-phones.sqlite3");
  execFileSync(BIN, ["backup", "--data", DATA, "--to", beforePhones], { cwd: process.env.BIN_DIR });

  const version = (await api(base, "GET", "/api/v1/forms", admin)).forms.find((f) => f.form_id === "baraza_f1_household").version;
  loadLabels(await api(base, "GET", `/api/v1/forms/baraza_f1_household/${version}`, admin));
  const axe = {};
  const rawErrors = [];
  const noRawErrors = async (where) => {
    const shown = await page.locator("body").innerText();
    if (RAW_ERROR.test(shown)) rawErrors.push(`${where}: ${shown.match(RAW_ERROR)[0]}`);
  };

  // 1. Enroll online: a wrong password is a sentence, then the right one.
  let context = await launch();
  let page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  await page.goto(base + "/");
  await page.getByLabel("Username").waitFor();
  await shot(page, "01-enroll");
  axe.enroll = await axeViolations(page);
  // The enrollment page (a module of its own) speaks the languages the app does.
  await choose(page.getByLabel("Language", { exact: true }), "Français");
  const enrollFrench = await page.getByRole("heading").innerText();
  await choose(page.getByLabel("Langue", { exact: true }), "English");
  await page.getByLabel("Username").pressSequentially("amina");
  await page.getByLabel("Password").pressSequentially("not-the-password");
  await page.getByRole("button", { name: "Sign in and enroll" }).click();
  const wrongPassword = await page.getByRole("alert").filter({ hasText: /\w/ }).innerText();
  await page.getByLabel("Password").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.type("field-work-2026");
  await page.getByRole("button", { name: "Sign in and enroll" }).click();
  await page.locator("#new-baraza_f1_household").waitFor();
  await page.evaluate((ms) => Promise.race([
    navigator.serviceWorker.ready,
    new Promise((_, fail) => setTimeout(() => fail(new Error("the service worker did not start")), ms)),
  ]), T(30_000));
  const served = await page.evaluate(() => ({ protocol: location.protocol, secure: window.isSecureContext }));
  const build = await page.locator("#build").innerText();
  await shot(page, "02-home");
  axe.home = await axeViolations(page);
  log("enrolled");

  // 2. A draft started by mistake is deleted, after a confirmation.
  await page.locator("#new-baraza_f1_household").click();
  await page.locator('[data-path="settlement"]').waitFor();
  await page.getByRole("button", { name: /^Records/ }).click();
  const drafts = () => page.locator("#records-drafts li").count();
  const draftName = await page.locator("#records-drafts li strong").innerText();
  const draftDialogs = [];
  page.once("dialog", (d) => { draftDialogs.push(d.message()); d.dismiss(); });
  await page.locator("#records-drafts li").getByRole("button", { name: "Delete" }).click();
  const draftsAfterCancel = await drafts();
  page.once("dialog", (d) => { draftDialogs.push(d.message()); d.accept(); });
  await page.locator("#records-drafts li").getByRole("button", { name: "Delete" }).click();
  await page.locator("#records-drafts li").waitFor({ state: "detached" });
  const draftsAfterDelete = await drafts();
  await page.getByRole("button", { name: "Home" }).click();

  // 3. Offline, server stopped, reload: the app comes from the service worker's cache, and a
  // send that cannot work says so in a sentence.
  await context.setOffline(true);
  await stopServer(server);
  await page.reload();
  await page.locator("#new-baraza_f1_household").waitFor();
  await noRawErrors("home offline");
  await page.getByRole("button", { name: "Send now" }).click();
  await page.locator("#sync-error").filter({ hasText: /\w/ }).waitFor();
  const offlineSentence = await page.locator("#sync-error").innerText();
  await noRawErrors("home after send offline");
  await page.getByRole("button", { name: /^Records/ }).click();
  await noRawErrors("records offline");
  await page.getByRole("button", { name: "Home" }).click();
  log("reloaded offline");

  // 4. A complete household interview with a five-person roster, page by page.
  await page.locator("#new-baraza_f1_household").click();
  await page.locator('[data-path="settlement"]').waitFor();
  await shot(page, "03-form-first-page");
  axe.form = await axeViolations(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await shot(page, "03-form-first-page-1280");
  await page.setViewportSize({ width: 360, height: 740 });
  const progress = await page.getByRole("progressbar").getAttribute("aria-valuenow");
  const scenarios = {};
  const visible = async (path) => {
    const q = page.locator(`[data-path="${path}"]`);
    return (await q.count()) === 1 && (await q.isVisible());
  };
  const onPage = async () => {
    await noRawErrors("form");
    if (!scenarios.roster && (await visible("hh_size"))) scenarios.roster = await rosterScenario(page);
    if (!scenarios.refusals && (await visible("exp_month"))) scenarios.refusals = await refusalScenario(page);
    if (!scenarios.comma && (await visible("women_time"))) scenarios.comma = await commaScenario(page);
    if (!scenarios.rankBefore && (await visible("concern_rank"))) {
      scenarios.rankBefore = await page.locator('[data-path="concern_rank"]').getByRole("status").innerText();
    }
  };
  const unanswered = await fill(page, ANSWERS, onPage, TYPED);
  if (unanswered.length) throw new Error(`could not answer: ${unanswered.join(", ")}`);
  // The willingness-to-pay scenario states this household's prices, in each form language.
  await goToSection(page, "Willingness to pay");
  const wtpNote = {};
  for (const lang of ["Français (fr)", "Kiswahili (sw)", "English (en)"]) {
    await choose(page.getByLabel("Form language"), lang);
    wtpNote[lang] = await page.locator('[data-path="wtp_note"] .q-label').innerText();
  }
  await shot(page, "03b-willingness-to-pay");
  await goToSection(page, "Summary");
  const summary = await text(page, "#summary");
  await shot(page, "04-summary");
  await page.setViewportSize({ width: 1280, height: 800 });
  await shot(page, "04-summary-1280");
  await page.setViewportSize({ width: 360, height: 740 });
  if (!(await page.getByRole("button", { name: "Finalize" }).count())) throw new Error(`the summary lists issues:\n${summary}`);
  const rows = ANSWERS.member.length;
  await page.getByRole("button", { name: "Finalize" }).click();
  await page.locator("#records-waiting li").first().waitFor();
  const recordName = await page.locator("#records-waiting li strong").first().innerText();
  const draftsAfterFinalize = await page.locator("#records-drafts li").count();
  await shot(page, "05-records-waiting");
  axe.records = await axeViolations(page);
  await noRawErrors("records");
  log("finalized offline");

  // 4. Close the browser, reopen it: the interview is still in the outbox.
  await context.close();
  context = await launch();
  await context.setOffline(true);
  page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  await page.goto(base + "/");
  await page.getByRole("button", { name: /^Records/ }).click();
  await page.locator("#records-waiting li").first().waitFor();
  const waitingAfterReopen = await page.locator("#records-waiting li").count();
  log("reopened: waiting", waitingAfterReopen);

  // 5. Server back, connection back: it sends by itself (no tap).
  server = await startServer(port);
  await context.setOffline(false);
  await page.locator("#records-sent li").first().waitFor({ timeout: T(60_000) });
  const sentShown = await page.locator("#records-sent li").count();
  const draftsAfterSync = await page.locator("#records-drafts li").count();
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
  await page.getByRole("button", { name: "Send now" }).click();
  await page.locator("#records-sent li", { hasText: "Corrected by a supervisor" }).waitFor({ timeout: T(30_000) });
  const lastSent = await page.locator("#sync-status").innerText();
  await page.locator("#records-sent li").getByRole("button", { name: "Correct" }).click();
  await goToSection(page, "Key concerns and priorities");
  const objective = await page.getByLabel(FORM.fields.hh_objective.label[EN]).inputValue();
  const rankAfter = await page.locator('[data-path="concern_rank"]').getByRole("status").innerText();
  await shot(page, "07-correcting");

  // 6b. The supervisor sends it back with a comment: the phone says so beside the record…
  const comment = "Please check the water source with the household.";
  await api(base, "POST", `/api/v1/responses/${id}/review`, admin2, { state: "has_issues", comment });
  await page.getByRole("button", { name: /^Records/ }).click();
  await page.getByRole("button", { name: "Send now" }).click();
  // 6b. … and it moves to "Needs attention".
  const sentBack = page.locator("#records-attention li", { hasText: "Sent back for correction" });
  await sentBack.waitFor({ timeout: T(30_000) });
  const sentBackNote = (await sentBack.locator(".warn").innerText()).trim();
  await shot(page, "07b-sent-back");

  // 7. This phone's figures, computed on the device; after one visit they open offline too.
  await page.goto(base + "/");
  await page.click('a[href="/community.html"]');
  await page.locator("#community [data-responses]").waitFor({ timeout: T(30_000) });
  await context.setOffline(true);
  await page.reload();
  await page.locator("#community [data-responses]").waitFor({ timeout: T(30_000) });
  const figures = {
    responses: Number(await text(page, "#community [data-responses]")),
    reports: await page.locator("#community section[data-report]").count(),
    hidden: await page.locator("#community section[data-report] tr.suppressed").count(),
    shown: await page.locator("#community section[data-report] tbody tr:not(.suppressed)").count(),
    nothingShown: await page.locator("#community [data-nothing-shown]").innerText(),
    needed: Number(await text(page, "#community [data-needed]")),
    bySettlement: await page.locator("#community [data-by-settlement] tbody tr").allInnerTexts(),
    byDay: await page.locator("#community [data-by-day] tbody tr").count(),
    reportsFolded: !(await page.locator("#community section[data-report]").first().isVisible()),
  };
  axe.figures = await axeViolations(page);
  await shot(page, "08-figures");
  log("figures", JSON.stringify(figures));
  // The phone's service worker keeps to the enumerator's app: a supervisor signing in to the
  // console on the same phone gets the console, not the app's shell.
  await context.setOffline(false);
  await page.goto(base + "/console/");
  await page.getByLabel("Username").waitFor();
  const consoleTitle = await page.title();
  await context.close();

  // 8. A second phone enrolls with a one-time code from the supervisor, typed as read out
  // (lower case, a space for the dash), after a mistyped one is refused with a sentence.
  const users = (await api(base, "GET", "/api/v1/users", admin2)).users;
  const amina = users.find((u) => u.username === "amina");
  const { code } = await api(base, "POST", "/api/v1/enrollment-codes", admin2, { user_id: amina.id });
  const phone = await launch(join(ARTIFACTS, "profile-code"));
  const second = phone.pages()[0] ?? (await phone.newPage());
  watch(second);
  await second.goto(base + "/");
  await second.getByLabel("Enrollment code").waitFor();
  await second.getByText("Enrollment code").click();
  await second.keyboard.type("AAAA-AAAA");
  await second.getByRole("button", { name: "Enroll with the code" }).click();
  const wrongCode = await second.getByRole("alert").filter({ hasText: /\w/ }).innerText();
  await second.setViewportSize({ width: 1280, height: 800 });
  await shot(second, "09-enroll-code-1280");
  await second.setViewportSize({ width: 360, height: 740 });
  await shot(second, "09-enroll-code");
  axe.enrollCode = await axeViolations(second);
  await second.getByLabel("Enrollment code").click();
  await second.keyboard.press("Control+A");
  await second.keyboard.type(code.toLowerCase().replace("-", " "));
  await second.getByRole("button", { name: "Enroll with the code" }).click();
  await second.locator("#new-baraza_f1_household").waitFor();
  const codeEnrolledAs = await second.locator("p.muted strong").first().innerText();
  const codeReused = (await fetch(base + "/api/v1/devices/enroll", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ code }),
  })).status;
  await phone.close();
  log("enrolled by code as", codeEnrolledAs);

  // 9. The server is restored from the backup taken before the phones enrolled: it no longer
  // knows them. The first phone says so and exports everything it holds (acknowledged or
  // not); signing in again is all it takes for its interview to reach the server again, once.
  const phones = (await api(base, "GET", "/api/v1/devices", admin2)).devices.map((d) => d.id);
  await stopServer(server);
  execFileSync(BIN, ["restore", "--data", DATA, "--from", beforePhones], { cwd: process.env.BIN_DIR });
  server = await startServer(port);
  context = await launch();
  page = context.pages()[0] ?? (await context.newPage());
  watch(page);
  await page.goto(base + "/");
  const signInAgain = page.getByRole("button", { name: "Sign in again" });
  await signInAgain.waitFor({ timeout: T(30_000) });
  const unknownSentence = await page.locator("#sync-error").innerText();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export the responses on this phone" }).click(),
  ]);
  const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
  await shot(page, "10-sign-in-again");
  axe.signInAgain = await axeViolations(page);
  // Meanwhile an admin reset the enumerator's password: signing in with the temporary one
  // says a new one comes first, and the password page (a module of its own) takes it.
  const admin3 = (await api(base, "POST", "/api/v1/auth/login", null, { username: "admin", password: ADMIN_PASSWORD })).token;
  const aminaId = (await api(base, "GET", "/api/v1/users", admin3)).users.find((u) => u.username === "amina").id;
  await api(base, "POST", `/api/v1/users/${aminaId}/password`, admin3, { password: "temporary-2026" });
  await signInAgain.click();
  const rejoinIntro = await page.locator("section.card > p").first().innerText();
  await page.getByLabel("Username").pressSequentially("amina");
  await page.getByLabel("Password").pressSequentially("temporary-2026");
  await shot(page, "10b-rejoin");
  await page.getByRole("button", { name: "Sign in and enroll" }).click();
  const mustChange = await page.getByRole("alert").filter({ hasText: /\w/ }).innerText();
  await page.getByRole("link", { name: "Change your password" }).click();
  await page.getByRole("heading", { name: "Change your password" }).waitFor();
  const account = { usernameShown: await page.getByLabel("Username").inputValue() };
  await page.getByLabel("Current password").pressSequentially("temporary-2026");
  await page.getByLabel("New password (at least 8 characters)").pressSequentially("amina-new-2026");
  await page.getByLabel("New password again").pressSequentially("amina-new-2O26");
  await page.getByRole("button", { name: "Change password" }).click();
  account.mismatch = await page.getByRole("alert").innerText();
  await page.getByLabel("New password again").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.type("amina-new-2026");
  await page.getByRole("button", { name: "Change password" }).click();
  await page.getByRole("status").filter({ hasText: /\w/ }).waitFor();
  account.done = await page.getByRole("status").innerText();
  await shot(page, "11-password-changed");
  await page.setViewportSize({ width: 1280, height: 800 });
  await shot(page, "11-password-changed-1280");
  await page.setViewportSize({ width: 360, height: 740 });
  axe.password = await axeViolations(page);
  const signIn = async (password) => (await fetch(base + "/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "amina", password }),
  })).status;
  account.logins = { temporary: await signIn("temporary-2026"), old: await signIn("field-work-2026"), new: await signIn("amina-new-2026") };
  await page.getByRole("link", { name: "Back to the app" }).click();
  await signInAgain.click();
  await page.getByLabel("Username").pressSequentially("amina");
  await page.getByLabel("Password").pressSequentially("amina-new-2026");
  await page.getByRole("button", { name: "Sign in and enroll" }).click();
  let restored = [];
  for (let i = 0; i < T(90_000) / 1000 && restored.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    restored = (await api(base, "GET", "/api/v1/responses?form_id=baraza_f1_household", admin3)).responses;
  }
  await page.getByRole("button", { name: /^Records/ }).click();
  await page.locator("#records-sent li").first().waitFor({ timeout: T(30_000) });
  const rejoin = {
    phones,
    unknownSentence,
    rejoinIntro,
    mustChange,
    account,
    exported: { device_id: exported.device_id, username: exported.username, items: exported.items.map((i) => i.response_id) },
    restored: restored.map((r) => r.response_id),
    devicesAfter: (await api(base, "GET", "/api/v1/devices", admin3)).devices.map((d) => d.id),
    waiting: await page.locator("#records-waiting li").count(),
    sent: await page.locator("#records-sent li").count(),
  };
  log("rejoined", JSON.stringify(rejoin));

  // 10. A quarantined interview, released by a supervisor: the form is closed on this server,
  // so the phone's correction (its draft from step 6, finalized now) is kept in quarantine and
  // the phone says so; a supervisor releases it, and the phone shows it settled.
  await api(base, "POST", `/api/v1/forms/baraza_f1_household/${version}/state`, admin3, { state: "closed" });
  await page.locator("#records-drafts li").getByRole("button", { name: "Open" }).click();
  await goToSection(page, "Summary");
  await page.getByRole("button", { name: "Finalize" }).click();
  const inQuarantine = page.locator("#records-attention li", { hasText: "Held by the server" });
  await inQuarantine.waitFor({ timeout: T(30_000) });
  const released = { note: (await inQuarantine.locator(".warn").innerText()).trim() };
  const [kept] = (await api(base, "GET", "/api/v1/quarantine", admin3)).items;
  await api(base, "POST", `/api/v1/quarantine/${kept.id}/release`, admin3, { answers: JSON.parse(JSON.parse(kept.item).payload) });
  await page.getByRole("button", { name: "Send now" }).click();
  await page.locator("#records-sent li", { hasText: "Corrected by a supervisor" }).waitFor({ timeout: T(30_000) });
  released.attention = await page.locator("#records-attention li").count();
  released.sent = await page.locator("#records-sent li").count();
  await shot(page, "12-released");
  log("released", JSON.stringify(released));
  await context.close();
  await stopServer(server);
  const payload = JSON.parse(head.payload);
  console.log("RESULT " + JSON.stringify({
    served, build, consoleTitle, rows, waitingAfterReopen, sentShown, waitingShown, held, payload, objective, figures, axe, rawErrors,
    wrongPassword, wrongCode, enrollFrench, codeEnrolledAs, codeReused, rejoin, released, wtpNote, rankAfter, recordName, draftName, draftsAfterFinalize, draftsAfterSync, draftsAfterCancel, draftsAfterDelete, draftDialogs, offlineSentence, progress, scenarios, lastSent, sentBackNote,
  }));
}

main().catch((e) => {
  console.error(e);
  if (running) running.kill("SIGKILL");
  process.exit(1);
});

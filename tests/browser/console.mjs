// The supervisor and admin console, in a real Chromium against a real `baraza demo`, used as
// people use it (typing, clicking by role and label, reading the screen):
//   a planner is turned away with a sentence saying where to go;
//   the admin reads the progress, adds an enumerator, limits the supervisor to s01, creates a
//   one-time enrollment code (text and QR), a phone enrolls with it, the admin revokes that
//   phone, resets the planner's password (the old one stops working), disables the demo
//   enumerator (their open session ends at once), uploads a workbook with an error (shown
//   located), publishes a form with the choice files it uses chosen together, and finds all
//   of it in the audit log;
//   the supervisor sees only s01 everywhere, approves one interview, rejects one with a
//   comment, compares revisions, resolves a two-phone conflict answer by answer, dismisses a
//   quarantined item with a reason, and reads the console in French.
// axe-core runs on every screen; screenshots at 1280 and 360 px are kept.
//
// Run by the Rust test `browser::a_supervisor_and_an_admin_run_fieldwork_in_the_console`,
// which passes BARAZA_BIN, DATA_DIR, ARTIFACTS, BARAZA_DEMO_PASSWORD, BAD_WORKBOOK,
// GOOD_WORKBOOK and FILES_FORM (a workbook and the CSV and XML files it uses, comma-separated).
// It prints one JSON line `RESULT {...}` for the Rust side to check.

import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { RAW_ERROR, T, axeViolations, choose, deadlines, env, freePort, startDemo } from "./common.mjs";

const BIN = env("BARAZA_BIN");
const DATA = env("DATA_DIR");
const ARTIFACTS = env("ARTIFACTS");
const PASSWORD = env("BARAZA_DEMO_PASSWORD");
const BAD_WORKBOOK = env("BAD_WORKBOOK");
const GOOD_WORKBOOK = env("GOOD_WORKBOOK");
mkdirSync(ARTIFACTS, { recursive: true });

const log = (...a) => console.log("[console-test]", ...a);
let server = null;

// The API, for what the test sets up or checks behind the screen (never to act for the person).
async function api(base, method, path, token, body) {
  const r = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json };
}

async function login(base, username, password = PASSWORD) {
  return (await api(base, "POST", "/auth/login", null, { username, password })).json?.token;
}

// wire::rev and wire::content_hash, as the phone computes them.
const sha256 = (s) => createHash("sha256").update(s).digest("hex");
function rev(parent, formId, version, payload) {
  const n = parent ? Number(parent.split("-")[0]) + 1 : 1;
  return `${n}-${sha256(`${parent ?? ""}\0${formId}\0${version}\0${payload}`).slice(0, 32)}`;
}
function pushItem(seq, s, parent, payload) {
  return {
    device_seq: seq, response_id: s.response_id, rev: rev(parent, s.form_id, s.form_version, payload),
    parent_rev: parent, form_id: s.form_id, form_version: s.form_version,
    content_hash: `sha256:${sha256(payload)}`, payload,
  };
}

async function typeInto(page, label, text) {
  await page.getByLabel(label, { exact: true }).click();
  await page.keyboard.type(text);
}

async function main() {
  const port = await freePort();
  server = (await startDemo(BIN, DATA, port)).child;
  const base = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
  });
  const result = { axe: {}, rawErrors: [] };
  const pageErrors = [];
  try {
    // axe-core is injected as a script, which the console's Content-Security-Policy forbids.
    const context = deadlines(await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US", bypassCSP: true, acceptDownloads: true }));
    const page = await context.newPage();
    page.on("pageerror", (e) => pageErrors.push(e.message));
    const screen = async (name) => {
      result.axe[name] = await axeViolations(page);
      const text = await page.locator("body").innerText();
      if (RAW_ERROR.test(text)) result.rawErrors.push(`${name}: ${text.match(RAW_ERROR)[0]}`);
      await page.screenshot({ path: join(ARTIFACTS, `${name}-1280.png`), fullPage: true });
      await page.setViewportSize({ width: 360, height: 760 });
      await page.screenshot({ path: join(ARTIFACTS, `${name}-360.png`), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });
    };
    const tab = (name) => page.getByRole("navigation").getByRole("button", { name, exact: true }).click();
    const signIn = async (username, password = PASSWORD) => {
      await typeInto(page, "Username", username);
      await typeInto(page, "Password", password);
      await page.getByRole("button", { name: "Sign in", exact: true }).click();
    };

    // A planner is told where to go.
    await page.goto(`${base}/console/`);
    await page.getByLabel("Username", { exact: true }).waitFor();
    await screen("01-sign-in");
    await signIn("planner");
    const refusal = page.getByRole("alert").filter({ hasText: "/dashboard/" });
    await refusal.waitFor();
    result.plannerRefused = await refusal.innerText();
    await page.reload();

    // The admin: progress first.
    await signIn("admin");
    await page.locator("#progress-settlements tbody tr").first().waitFor();
    result.adminSettlements = await page.locator("#progress-settlements tbody tr").count();
    await screen("02-progress");

    // Fieldwork dates: the first day set to the day after the earliest interviews (typed into
    // the date box as a person does); those interviews are then flagged as outside.
    const days = (await api(base, "GET", "/progress", await login(base, "admin"))).json.enumerators;
    const earliest = days.map((e) => e.day).filter(Boolean).sort()[0];
    result.outsideExpected = days.filter((e) => e.day === earliest).reduce((n, e) => n + e.interviews, 0);
    const next = new Date(`${earliest}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    const firstDay = next.toISOString().slice(0, 10);
    const [y, m, d] = firstDay.split("-");
    await page.getByText("First day", { exact: true }).click();
    await page.keyboard.type(`${m}${d}${y}`);
    await page.getByRole("button", { name: "Save the dates" }).click();
    await page.getByRole("status").filter({ hasText: "Fieldwork dates saved." }).waitFor();
    result.fieldworkShown = await page.locator("#fieldwork-dates").innerText();
    result.firstDay = firstDay;
    const outside = page.locator("ul.flags li").filter({ hasText: "Outside the fieldwork dates" });
    await outside.first().waitFor();
    result.outsideFlags = await outside.count();
    await screen("02b-progress-fieldwork");
    // The same flags in Swahili: their details too, with the server's figures in them.
    await choose(page.getByLabel("Language"), "Kiswahili");
    const nje = page.locator("ul.flags li").filter({ hasText: "Nje ya tarehe za kazi ya uwandani" });
    await nje.first().waitFor();
    result.swahiliFlags = await page.locator("ul.flags li").allInnerTexts();
    await screen("02c-progress-flags-sw");
    await choose(page.getByLabel("Lugha"), "English");
    await page.getByRole("heading", { level: 2, name: "Fieldwork progress" }).waitFor();

    // People: add an enumerator; the supervisor gets s01 only.
    await tab("People");
    await page.locator("#people tbody tr").first().waitFor();
    await typeInto(page, "Username", "amina");
    await typeInto(page, "First password (at least 8 characters)", "amina-password-1");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "amina" }).waitFor();
    await page.getByRole("cell", { name: "amina", exact: true }).waitFor();
    await page.getByRole("button", { name: "Manage · supervisor" }).click();
    await page.getByLabel("Settlement codes, separated by commas").click();
    await page.keyboard.press("Control+A");
    await page.keyboard.type("s01");
    await page.getByRole("button", { name: "Save the settlements" }).click();
    await page.getByRole("status").filter({ hasText: "Settlements saved." }).waitFor();
    await screen("03-people");
    const sup = (await api(base, "GET", "/users", await login(base, "admin"))).json.users.find((u) => u.username === "supervisor");
    result.supervisorSettlements = sup.settlements;

    // Reset the planner's password: the old one stops working.
    await page.getByRole("button", { name: "Manage · planner" }).click();
    await typeInto(page, "Temporary password", "temporary-pass-9");
    await page.getByRole("button", { name: "Reset the password" }).click();
    await page.getByRole("status").filter({ hasText: "Password reset" }).waitFor();
    result.oldPlannerPassword = (await api(base, "POST", "/auth/login", null, { username: "planner", password: PASSWORD })).status;
    result.temporaryPlannerPassword = (await api(base, "POST", "/auth/login", null, { username: "planner", password: "temporary-pass-9" })).status;

    // Disable the demo enumerator: their open session ends at once.
    const enumToken = await login(base, "enumerator");
    const before = (await api(base, "GET", "/forms", enumToken)).status;
    await page.getByRole("button", { name: "Manage · enumerator", exact: true }).click();
    await page.getByRole("button", { name: "Disable", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Disabled" }).waitFor();
    result.disabledSession = [before, (await api(base, "GET", "/forms", enumToken)).status];

    // Devices: a one-time code for amina; a phone enrolls with it; the admin revokes it.
    await tab("Devices");
    await page.locator("#enroll-user option", { hasText: "amina" }).waitFor({ state: "attached" });
    const card = (heading) => page.locator("section").filter({ has: page.getByRole("heading", { name: heading }) });
    await choose(card("Enroll a phone").getByLabel("Enumerator", { exact: true }), "amina");
    await page.getByRole("button", { name: "Create a one-time code" }).click();
    const code = (await page.locator("#enrollment-code").innerText()).trim();
    result.codeShown = /^[A-Z0-9]{4}-?[A-Z0-9]{4}$/.test(code);
    result.qrShown = (await page.getByRole("img", { name: "QR code of the enrollment code" }).locator("svg").count()) === 1;
    await screen("04-devices-code");
    // The phone's camera opens the address in the QR code: the app, with the code filled in.
    const link = (await page.locator("#enrollment-link").innerText()).trim();
    result.enrollmentLink = link === `${base}/#enroll=${code}`;
    const phoneContext = deadlines(await browser.newContext({ viewport: { width: 360, height: 760 } }));
    const phonePage = await phoneContext.newPage();
    await phonePage.goto(link);
    await phonePage.getByLabel("Enrollment code").waitFor();
    result.codeFilled = (await phonePage.getByLabel("Enrollment code").inputValue()) === code;
    await phonePage.getByRole("button", { name: "Enroll with the code" }).click();
    await phonePage.locator("#new-baraza_f1_household").waitFor();
    result.enrolledWithCode = await phonePage.locator("p.muted strong").first().innerText();
    await phoneContext.close();
    await tab("Progress");
    await tab("Devices");
    await page.getByRole("button", { name: "Revoke · amina" }).click();
    await page.getByRole("button", { name: "Revoke now" }).click();
    await page.getByRole("row").filter({ hasText: "amina" }).getByText("revoked").waitFor();
    const devices = (await api(base, "GET", "/devices", await login(base, "admin"))).json.devices;
    const aminaId = (await api(base, "GET", "/users", await login(base, "admin"))).json.users.find((u) => u.username === "amina").id;
    result.aminaDevicesRevoked = devices.filter((d) => d.user_id === aminaId).map((d) => d.revoked_at !== null);

    // ODK Collect for amina: the server URL to type and Collect's QR code, shown once; the
    // URL is one ODK clients can use.
    const odk = card("Set up ODK Collect");
    await choose(odk.getByLabel("Enumerator", { exact: true }), "amina");
    await odk.getByRole("button", { name: "Make an ODK Collect key" }).click();
    const odkUrl = (await page.locator("#odk-url").innerText()).trim();
    result.odkQrShown = (await page.getByRole("img", { name: "QR code of the ODK Collect settings" }).locator("svg").count()) === 1;
    const formList = await fetch(`${odkUrl}/formList`, { headers: { "X-OpenRosa-Version": "1.0" } });
    result.odkFormList = [formList.status, ((await formList.text()).match(/<xform>/g) ?? []).length];
    await screen("04b-devices-odk-collect");

    // Forms: a workbook with an error, shown located.
    await tab("Forms");
    await page.locator("#forms tbody tr").first().waitFor();
    const chooser = page.waitForEvent("filechooser");
    await page.getByLabel("XLSForm workbook (.xlsx)").click();
    await (await chooser).setFiles(BAD_WORKBOOK);
    await page.getByRole("button", { name: "Check and publish" }).click();
    await page.locator("#diagnostics tbody tr").first().waitFor();
    result.diagnostics = await page.locator("#diagnostics tbody tr").evaluateAll((rows) =>
      rows.map((r) => Array.from(r.cells, (c) => c.innerText.trim())));
    await screen("05-forms-diagnostics");
    // A good workbook, previewed in the form screen: filled, checked, nothing published.
    const formsBefore = await page.locator("#forms tbody tr").count();
    const chooser2 = page.waitForEvent("filechooser");
    await page.getByLabel("XLSForm workbook (.xlsx)").click();
    await (await chooser2).setFiles(GOOD_WORKBOOK);
    await page.getByRole("button", { name: "Check and preview" }).click();
    await page.locator("#preview #section").waitFor();
    result.previewTitle = await page.locator("#preview h3").innerText();
    await choose(page.locator("#preview").getByLabel("Section"), "Summary");
    await page.locator("#preview").getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Nothing was saved: this is a preview." }).waitFor();
    await screen("05b-forms-preview");
    await tab("Progress");
    await tab("Forms");
    await page.locator("#forms tbody tr").first().waitFor();
    result.previewPublished = (await page.locator("#forms tbody tr").count()) !== formsBefore;
    // A form that takes its choices from CSV and XML files: the workbook and its files chosen
    // together, published in one go.
    const chooser3 = page.waitForEvent("filechooser");
    await page.getByLabel("XLSForm workbook (.xlsx)").click();
    await (await chooser3).setFiles(env("FILES_FORM").split(","));
    await page.getByRole("button", { name: "Check and publish" }).click();
    await page.getByRole("status").filter({ hasText: "Published: listed 1" }).waitFor();
    await page.getByRole("cell", { name: "listed (listed)" }).waitFor();
    result.filesFormPublished = true;
    await screen("05c-forms-with-files");
    // A version closed, then reopened (as ODK Central allows): the server follows each choice.
    const adminToken = await login(base, "admin");
    const f4State = async () => (await api(base, "GET", "/forms", adminToken)).json.forms
      .find((f) => f.form_id === "baraza_f4_municipal_stakeholders").state;
    const f4 = page.getByLabel(/^State · F4 /);
    await choose(f4, "Closed: new interviews are quarantined");
    for (let i = 0; i < T(5000) / 100 && (await f4State()) !== "closed"; i++) await page.waitForTimeout(100);
    result.formStates = [await f4State()];
    await choose(page.getByLabel(/^State · F4 /), "Open: offered for new interviews");
    for (let i = 0; i < T(5000) / 100 && (await f4State()) !== "open"; i++) await page.waitForTimeout(100);
    result.formStates.push(await f4State());
    result.formError = (await page.locator("main [role=alert]").allInnerTexts()).join(" ").trim();

    // Settlements: a frame with a wrong row is refused with its row number; a good one imports.
    await tab("Settlements");
    await page.locator("#settlements tbody tr").first().waitFor();
    const frame = (name, text) => { const p = join(ARTIFACTS, name); writeFileSync(p, text); return p; };
    const importFrame = async (path) => {
      const chosen = page.waitForEvent("filechooser");
      await page.getByLabel("Settlement frame (CSV)").click();
      await (await chosen).setFiles(path);
      await page.getByRole("button", { name: "Import", exact: true }).click();
    };
    await importFrame(frame("bad-frame.csv", "code,name,type,households,target\ns21,Kisima,A,900,40\ns22,Bondeni,B,many,\n"));
    result.badFrame = await page.getByRole("alert").filter({ hasText: "row" }).first().innerText();
    await importFrame(frame("frame.csv", "code,name,type,households,target\ns21,Kisima,A,900,40\n"));
    await page.getByRole("status").filter({ hasText: "Settlements imported: 1" }).waitFor();
    await page.getByRole("cell", { name: "Kisima", exact: true }).waitFor();
    await screen("06-settlements");

    // Backups: one taken now, listed, and the last backup says who.
    await tab("Backups");
    await page.getByRole("button", { name: "Take a backup now" }).click();
    await page.getByRole("status").filter({ hasText: "Backup written and checked" }).waitFor();
    // The list the tab asked for on opening may come back while the backup is being written
    // (its file there, its record not yet): the page reloads both once the backup is done.
    await page.locator("#last-backup", { hasText: "· admin" }).waitFor();
    result.backupFiles = await page.locator("#backup-files tbody tr").count();
    result.lastBackup = await page.locator("#last-backup").innerText();
    await screen("06b-backups");

    // The audit log, searched.
    await tab("Audit log");
    await page.locator("#audit tbody tr").first().waitFor();
    await typeInto(page, "Who (username)", "admin");
    await choose(page.getByLabel("Action", { exact: true }), "People");
    await page.getByRole("button", { name: "Search" }).click();
    // Only what was done to people is left, each action in words.
    const peoplesActions = ["User created", "User disabled", "User enabled", "Password changed", "Password reset",
      "Role changed", "Signed out everywhere", "Settlements assigned"];
    await page.waitForFunction((words) => {
      const rows = document.querySelectorAll("#audit tbody tr");
      return rows.length > 0 && [...rows].every((r) => words.includes(r.cells[2].innerText.trim()));
    }, peoplesActions);
    result.auditActions = (await page.locator("#audit tbody tr td:nth-child(3)").allInnerTexts()).map((t) => t.trim());
    await screen("07-audit");
    await page.getByRole("button", { name: "Sign out" }).click();

    // A conflict, made behind the screen: two phones edit the same s01 interview.
    const admin = await login(base, "admin");
    const s01 = (await api(base, "GET", "/responses?settlement=s01&form_id=baraza_f1_household&limit=200", admin)).json.responses;
    let target = null;
    for (const s of s01) {
      const d = (await api(base, "GET", `/responses/${s.response_id}`, admin)).json;
      const head = JSON.parse(d.revisions.find((r) => r.rev === s.head_rev).payload);
      if (head.consent === "yes") { target = { s, head }; break; }
    }
    const phones = [];
    for (const name of ["phone-a", "phone-b"]) {
      await api(base, "POST", "/users", admin, { username: name, role: "enumerator", password: "phone-password-1" });
      const t = await login(base, name, "phone-password-1");
      phones.push((await api(base, "POST", "/devices", t)).json);
    }
    const edits = [
      { ...target.head, resp_age: 30 },
      { ...target.head, resp_age: 31, hh_id: "S01-9999" },
    ];
    const pushed = [];
    for (const [i, edit] of edits.entries()) {
      const r = await api(base, "POST", "/sync/push", phones[i].device_token, {
        device_id: phones[i].device_id, items: [pushItem(1, target.s, target.s.head_rev, JSON.stringify(edit))],
      });
      pushed.push(r.json?.results?.[0]?.status);
    }
    result.conflictPushed = pushed;
    // And two interviews for s01 that break the form's rules: quarantined, with their reason.
    const broken = JSON.stringify({ ...target.head, consent: "perhaps" });
    const q = await api(base, "POST", "/sync/push", phones[0].device_token, {
      device_id: phones[0].device_id,
      items: [2, 3].map((seq) => pushItem(seq, { ...target.s, response_id: `broken-s01-${seq}` }, null, broken)),
    });
    result.brokenPushed = q.json?.results?.map((r) => r.status);

    // The supervisor: only s01, everywhere.
    await signIn("supervisor");
    await page.locator("#progress-settlements tbody tr").first().waitFor();
    result.supervisorProgress = await page.locator("#progress-settlements tbody th").allInnerTexts();
    await tab("Submissions");
    await page.locator("#submissions tbody tr").first().waitFor();
    result.supervisorTableSettlements = [...new Set(await page.locator("#submissions tbody tr td:nth-child(3)").allInnerTexts())];
    await screen("08-submissions");
    // Chosen columns: the form's column hidden, then shown again.
    await page.locator(".columns summary").click();
    await page.getByLabel("Columns · Form", { exact: true }).uncheck();
    result.columnsWithoutForm = await page.locator("#submissions thead th").allInnerTexts();
    await page.getByLabel("Columns · Form", { exact: true }).check();
    result.columnsAll = (await page.locator("#submissions thead th").allInnerTexts()).length;
    // Sorted by "Last changed", newest first (two clicks on the heading), over the whole list:
    // the second page continues the first, as the API orders it.
    const shownIds = () => page.locator("#submissions tbody tr td:first-child").allInnerTexts();
    const lastChanged = page.locator("#submissions thead th").filter({ hasText: "Last changed" });
    await lastChanged.getByRole("button").click();
    await page.locator('#submissions thead th[aria-sort="ascending"]', { hasText: "Last changed" }).waitFor();
    await lastChanged.getByRole("button").click();
    await page.locator('#submissions thead th[aria-sort="descending"]', { hasText: "Last changed" }).waitFor();
    const newest = (await api(base, "GET", "/responses?sort=updated_at&desc=true&limit=100", await login(base, "supervisor"))).json.responses.map((r) => r.response_id);
    await page.waitForFunction((first) => document.querySelector("#submissions tbody tr td")?.innerText.trim() === first, newest[0]);
    const firstPage = await shownIds();
    await page.getByRole("button", { name: "Next page" }).click();
    await page.waitForFunction((first) => document.querySelector("#submissions tbody tr td")?.innerText.trim() === first, newest[50]);
    result.sortedPages = [firstPage, await shownIds()];
    result.sortedExpected = [newest.slice(0, 50), newest.slice(50, 100)];
    await page.getByRole("button", { name: "Previous page" }).click();
    await page.waitForFunction((first) => document.querySelector("#submissions tbody tr td")?.innerText.trim() === first, newest[0]);
    // Back to the submission id's order for what follows.
    await page.locator("#submissions thead th").filter({ hasText: "Submission" }).getByRole("button").click();
    await page.locator('#submissions thead th[aria-sort="ascending"]', { hasText: "Submission" }).waitFor();
    // An answer as a column: the household id of each F1 interview, read as the API gives it.
    await choose(page.getByLabel("Form", { exact: true }), "F1 Household survey");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByLabel("Household ID from the listing", { exact: true }).check();
    await page.locator("#submissions thead th", { hasText: "Household ID from the listing" }).waitFor();
    const withIds = (await api(base, "GET", "/responses?form_id=baraza_f1_household&answers=hh_id&limit=3", await login(base, "supervisor"))).json.responses;
    // The column's header shows at once; its answers arrive with the list read again.
    await page.waitForFunction(([id, hh]) => {
      const row = document.querySelector("#submissions tbody tr");
      return row?.cells[0].innerText.trim() === id && row.cells[row.cells.length - 1].innerText.trim() === hh;
    }, [withIds[0].response_id, withIds[0].answers.hh_id]).catch(() => {});
    result.answerColumn = await page.locator("#submissions tbody tr").evaluateAll((rows) =>
      rows.slice(0, 3).map((r) => [r.cells[0].innerText.trim(), r.cells[r.cells.length - 1].innerText.trim()]));
    result.answerColumnExpected = withIds.map((r) => [r.response_id, r.answers.hh_id]);
    await screen("08b-submissions-answer-column");
    await page.getByLabel("Household ID from the listing", { exact: true }).uncheck();
    await choose(page.getByLabel("Form", { exact: true }), "All");
    await page.getByRole("button", { name: "Search" }).click();
    // Searching for another settlement finds nothing.
    await choose(page.getByLabel("Settlement", { exact: true }), "s02");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByText("No submission matches.").waitFor();
    result.otherSettlementRows = await page.locator("#submissions tbody tr").count();
    await choose(page.getByLabel("Settlement", { exact: true }), "All");
    await choose(page.getByLabel("Review state", { exact: true }), "Received");
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll("#submissions tbody tr")];
      return rows.length > 2 && rows.every((r) => r.cells[4].innerText.trim().startsWith("Received"));
    });

    // Approve one; reject another with a comment.
    // Two interviews waiting for review, not the one in conflict.
    const ids = await page.locator("#submissions tbody tr").evaluateAll((rows) =>
      rows.filter((r) => r.cells[4].innerText.trim() === "Received").map((r) => r.cells[0].innerText.trim()));
    await page.getByRole("button", { name: ids[0], exact: true }).click();
    await page.getByRole("heading", { name: "The interview" }).waitFor();
    result.interviewLabels = await page.locator(".interview .qa .qa-label").allInnerTexts();
    await screen("09-submission");
    await page.getByRole("button", { name: "Approve" }).click();
    await page.locator("#review-state", { hasText: "Approved" }).waitFor();
    await page.getByRole("button", { name: /Back to the submissions/ }).click();
    // The table is fetched again on the way back and the approved one leaves it: click only
    // once it has, or the rows move under the pointer.
    await page.getByRole("button", { name: ids[0], exact: true }).waitFor({ state: "detached" });
    await page.getByRole("button", { name: ids[1], exact: true }).click();
    await page.getByRole("button", { name: "Reject" }).click();
    result.rejectWithoutComment = await page.getByRole("alert").filter({ hasText: "comment" }).first().innerText();
    await typeInto(page, "Comment (the enumerator's phone shows it with a correction request)", "Household not in the listing");
    await page.getByRole("button", { name: "Reject" }).click();
    await page.locator("#review-state", { hasText: "Rejected" }).waitFor();
    result.rejectedEvent = await page.locator(".events li").last().innerText();
    await page.getByRole("button", { name: /Back to the submissions/ }).click();
    const states = {};
    for (const id of ids.slice(0, 2)) {
      states[id] = (await api(base, "GET", `/responses/${id}`, admin)).json.summary.review_state;
    }
    result.reviewedIds = ids.slice(0, 2);
    result.reviewed = [states[ids[0]], states[ids[1]]];

    // The conflict, answer by answer: the other phone's household id, this side's age.
    await choose(page.getByLabel("Review state", { exact: true }), "All");
    await page.getByLabel("Conflicts only").check();
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll("#submissions tbody tr")];
      return rows.length > 0 && rows.every((r) => r.cells[4].innerText.includes("conflict"));
    });
    await page.getByRole("button", { name: target.s.response_id, exact: true }).click();
    await page.locator("#conflict tbody tr").first().waitFor();
    result.conflictRows = await page.locator("#conflict tbody tr").evaluateAll((rows) =>
      rows.map((r) => Array.from(r.cells).slice(0, 3).map((c) => c.innerText.trim())));
    await screen("10-conflict");
    await page.getByRole("checkbox", { name: /Household ID/ }).check();
    await page.getByRole("button", { name: "Resolve with these choices" }).click();
    await page.locator("#conflict").waitFor({ state: "detached" });
    const resolved = (await api(base, "GET", `/responses/${target.s.response_id}`, admin)).json;
    const head = JSON.parse(resolved.revisions.find((r) => r.rev === resolved.summary.head_rev).payload);
    result.resolved = { conflict: resolved.summary.conflict, hh_id: head.hh_id, resp_age: String(head.resp_age) };
    // A correction in the phone's own form screen and engine: a wrong age is refused live,
    // a right one saved as a new revision, which the phone that sent it pulls.
    await page.getByRole("button", { name: "Edit the answers" }).click();
    const section = (text) => choose(page.getByLabel("Section"), text);
    await section("Identification and consent");
    const age = page.getByLabel("Age of the respondent (years)");
    await age.click();
    await page.keyboard.press("Control+A");
    await page.keyboard.type("150");
    await page.keyboard.press("Tab");
    result.liveMessage = await page.getByText("Enter a value from 18 to 110.").first().innerText();
    await age.click();
    await page.keyboard.press("Control+A");
    await page.keyboard.type("45");
    await page.keyboard.press("Tab");
    // The editor's words are a supervisor's, and a location is shown, never taken here.
    result.editor = {
        locate: await page.getByRole("button", { name: "Record location" }).count(),
        location: await page.locator(".editor .geo").first().innerText(),
        kept: await page.locator(".editor #saved").innerText(),
    };
    await screen("10b-edit");
    await section("Summary");
    result.editor.summary = await page.locator(".editor #summary").innerText();
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("status").filter({ hasText: "Saved as a new revision" }).waitFor();
    const pulled = (await api(base, "GET", "/sync/pull?cursor=0", phones[0].device_token)).json;
    const mine = pulled.corrections.filter((c) => c.response_id === target.s.response_id);
    result.phoneReceived = mine.length ? JSON.parse(mine[mine.length - 1].payload).resp_age : null;

    // Its history: the merge against the winning phone's revision differs in the household id.
    const n = resolved.revisions.length;
    // The history shows the correction too once the page has read it again.
    await page.locator("#diff-from option").nth(n).waitFor({ state: "attached" });
    await choose(page.getByLabel("Compare"), `Revision ${n - 2} ·`);
    await choose(page.getByLabel("with", { exact: true }), `Revision ${n} ·`);
    await page.locator("#diff tbody tr").first().waitFor();
    // (n counts the revisions before the correction: the winning phone's is Revision n - 2,
    // the merge Revision n.)
    result.historyDiff = await page.locator("#diff tbody tr").evaluateAll((rows) =>
      rows.map((r) => Array.from(r.cells, (c) => c.innerText.trim())));
    await page.getByRole("button", { name: /Back to the submissions/ }).click();

    // Quarantine: only s01's items; one dismissed with a reason.
    await tab("Quarantine");
    await page.getByRole("heading", { level: 2, name: "Quarantine" }).waitFor();
    await page.locator(".items > li").first().waitFor();
    const items = await api(base, "GET", "/quarantine?limit=1000", await login(base, "supervisor"));
    result.supervisorQuarantineSettlements = [...new Set(items.json.items.map((i) => i.settlement))];
    result.quarantineShown = await page.locator(".items > li").count();
    await screen("11-quarantine");
    if (result.quarantineShown > 0) {
      const first = page.locator(".items > li").first();
      await first.getByLabel("Why dismiss it?").click();
      await page.keyboard.type("Test interview from training day");
      await first.getByRole("button", { name: "Dismiss" }).click();
      await page.waitForFunction((n) => document.querySelectorAll(".items > li").length === n - 1, result.quarantineShown);
      await page.getByLabel("Show resolved items too").check();
      await page.getByText("Dismissed: Test interview from training day").waitFor();
      result.dismissed = true;
      await page.getByLabel("Show resolved items too").uncheck();
      // The other, fixed in the form screen and released as a valid revision.
      const other = page.locator(".items > li").first();
      await other.getByRole("button", { name: "Fix and release" }).click();
      await other.locator("#section").waitFor();
      await choose(other.getByLabel("Section"), "Identification and consent");
      await other.getByRole("radio", { name: "No", exact: true }).first().check();
      await choose(other.getByLabel("Section"), "Summary");
      await screen("11b-quarantine-fix");
      await other.getByRole("button", { name: "Save", exact: true }).click();
      await page.waitForFunction((n) => document.querySelectorAll(".items > li").length === n - 2
        || [...document.querySelectorAll(".items [role=alert]")].some((a) => a.innerText.trim()), result.quarantineShown);
      result.releaseError = (await page.locator(".items [role=alert]").allInnerTexts()).join(" ").trim();
      const released = (await api(base, "GET", "/quarantine?limit=1000", await login(base, "supervisor"))).json.items
        .filter((i) => i.released_rev);
      result.released = released.map((i) => i.response_id);
      const fixedHead = (await api(base, "GET", `/responses/${released[0]?.response_id}`, admin)).json;
      result.releasedConsent = JSON.parse(fixedHead.revisions[fixedHead.revisions.length - 1].payload).consent;
    }

    // In French.
    await choose(page.getByLabel("Language"), "Français");
    await page.getByRole("button", { name: "Soumissions", exact: true }).click();
    await page.getByRole("heading", { level: 2, name: "Soumissions" }).waitFor();
    result.french = await page.locator("#submissions thead").innerText();
    result.htmlLang = await page.locator("html").getAttribute("lang");
    await screen("12-submissions-fr");
    await choose(page.getByLabel("Langue"), "Kiswahili");
    await page.getByRole("button", { name: "Maendeleo", exact: true }).click();
    await page.getByRole("heading", { level: 2, name: "Maendeleo ya kazi ya uwandani" }).waitFor();
    await screen("13-progress-sw");
    // Back to English one step at a time: each choice draws the page again in its language.
    await choose(page.getByLabel("Lugha"), "Français");
    await choose(page.getByLabel("Langue"), "English");

    // Changing one's own password from the console.
    await page.getByRole("button", { name: "Change password" }).click();
    await typeInto(page, "Current password", PASSWORD);
    await typeInto(page, "New password", "supervisor-new-1");
    await typeInto(page, "New password again", "supervisor-new-1");
    await screen("14-change-password");
    await page.getByRole("button", { name: "Save the new password" }).click();
    await page.getByRole("heading", { level: 2, name: "Fieldwork progress" }).waitFor({ state: "attached" }).catch(() => {});
    result.ownPasswordChanged = (await api(base, "POST", "/auth/login", null, { username: "supervisor", password: "supervisor-new-1" })).status;
  } finally {
    result.pageErrors = pageErrors;
    await browser.close();
    server?.kill();
  }
  console.log("RESULT " + JSON.stringify(result));
}

main().catch((e) => {
  console.error(e);
  server?.kill();
  process.exit(1);
});

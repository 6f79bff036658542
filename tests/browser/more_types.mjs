// The question types real workbooks add to the built-in forms' (issue 19), answered in a real
// Chromium as a person would: a time and a day-and-time typed into the phone's own boxes with
// the keyboard, a meter number and a path typed, two statements ticked with the space bar, a slope
// factor computed with the trigonometric functions (the browser's Math) shown. The form is
// published from a workbook like any other; the interview is finalized and sent, and the
// server's copy is read back. axe-core checks the form; screenshots at 360 and 1280 px.
//
// The form carries a picture and a sound beside a note and pictures beside two choices: the
// phone keeps them at its first sync and shows them after starting again offline.
//
// Run by the Rust test `browser::the_added_question_types_are_answered_with_the_keyboard_and_arrive_as_typed`:
//   BARAZA_BIN, DATA_DIR, ARTIFACTS, BARAZA_ADMIN_PASSWORD, WORKBOOK (a .zip of the
//   .xlsx and the files it names)
// It prints one JSON line `RESULT {...}` for the Rust side to check.

import { readFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { RAW_ERROR, T, api, axeViolations, deadlines, env, freePort, startBaraza } from "./common.mjs";
import { goToSection } from "./person.mjs";

const ARTIFACTS = env("ARTIFACTS");
mkdirSync(ARTIFACTS, { recursive: true });
const log = (...a) => console.log("[more-types]", ...a);
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const { child } = await startBaraza(env("BARAZA_BIN"), ["serve", "--data", env("DATA_DIR"), "--listen", `127.0.0.1:${port}`]);
let context = null;
try {
  const admin = (await api(base, "POST", "/api/v1/auth/login", null, { username: "admin", password: env("BARAZA_ADMIN_PASSWORD") })).token;
  await api(base, "POST", "/api/v1/forms", admin, readFileSync(env("WORKBOOK")), "application/octet-stream");
  await api(base, "POST", "/api/v1/users", admin, { username: "wanjiru", password: "field-work-2026", role: "enumerator" });

  context = deadlines(await chromium.launchPersistentContext(join(ARTIFACTS, "profile"), {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync",
      // Chromium's fake camera (a moving test pattern) stands in for the phone's.
      "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
    permissions: ["camera"],
    viewport: { width: 360, height: 740 },
    locale: "en-US",
    bypassCSP: true,
  }));
  // Chromium on Linux has no BarcodeDetector (Chrome on Android, ChromeOS and macOS have it):
  // a stand-in that reads "SEAL-7731" once the camera shows a picture, the way the real one
  // reads a seal held up to it.
  await context.addInitScript(() => {
    globalThis.BarcodeDetector = class {
      async detect(video) {
        return video.readyState >= 2 ? [{ rawValue: "SEAL-7731", format: "qr_code" }] : [];
      }
    };
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => log("page error:", e.message));
  await page.goto(base + "/");
  await page.getByLabel("Username").pressSequentially("wanjiru");
  await page.getByLabel("Password").pressSequentially("field-work-2026");
  await page.getByRole("button", { name: "Sign in and enroll" }).click();
  // The first sync brings the form with its pictures and sound; then the phone goes offline
  // and starts again without a network, and the form shows them all the same.
  await page.locator("#sync-status").filter({ hasNotText: "never" }).waitFor({ timeout: T(30_000) });
  await page.evaluate(() => navigator.serviceWorker.ready);
  await context.setOffline(true);
  await page.reload();
  await page.locator("#new-more_types").click();
  const media = page.locator(".media img");
  await media.first().waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll(".media img")].every((i) => i.complete), null, { timeout: T(10_000) });
  const pictures = await media.evaluateAll((all) => all.map((i) => i.naturalWidth));
  const sound = await page.locator("#q-point audio").evaluate((a) => new Promise((done) => {
    if (a.readyState >= 1) done(a.duration);
    a.addEventListener("loadedmetadata", () => done(a.duration), { once: true });
    a.addEventListener("error", () => done(null), { once: true });
    a.load();
  }));
  await page.getByRole("radio", { name: "A well" }).click();

  // Each question is reached by its label and answered with the keyboard.
  await page.getByLabel("When did the water truck arrive?").click();
  await page.keyboard.type("0930A");
  // Tapped at its start (the month); a year takes up to six digits, so the arrow key moves
  // on to the hour, as a person does.
  await page.getByLabel("When was the power last cut?").click({ position: { x: 12, y: 12 } });
  await page.keyboard.type("12022026");
  await page.keyboard.press("ArrowRight");
  await page.keyboard.type("0915P");
  await page.getByLabel("Meter number").click();
  await page.keyboard.type("KPLC-0042-17");
  // The meter's number was typed; the seal's code is read with the camera (the button beside
  // its question).
  await page.locator("#q-seal").getByRole("button", { name: "Scan the code" }).click();
  await page.getByRole("dialog", { name: "Camera" }).waitFor();
  await page.getByRole("dialog", { name: "Camera" }).waitFor({ state: "detached", timeout: T(15_000) });
  await page.getByLabel("How full is the tank (0 to 100, by tens)?").click();
  await page.keyboard.type("40");
  // A path typed as ODK writes one (Baraza's phone has no map).
  await page.getByLabel("The drain's path (lat lon; lat lon)").click();
  await page.keyboard.type("-1.2921 36.8219; -1.2925 36.8225");
  await page.getByLabel("The household agrees to be interviewed").focus();
  await page.keyboard.press("Space");
  await page.getByLabel("I have seen the meter").focus();
  await page.keyboard.press("Space");
  await page.keyboard.press("Space");
  const seenAfterTwo = await page.getByLabel("I have seen the meter").isChecked();
  await page.keyboard.press("Space");
  const shown = {
    formLanguageList: await page.getByLabel("Form language").isVisible(),
    arrived: await page.getByLabel("When did the water truck arrive?").inputValue(),
    cut: await page.getByLabel("When was the power last cut?").inputValue(),
    consent: await page.getByLabel("The household agrees to be interviewed").isChecked(),
    slope: (await page.getByText("Slope factor:").innerText()).trim(),
    seal: await page.getByLabel("The seal's code").inputValue(),
  };
  await shot(page, "more-types-360");
  const axe = await axeViolations(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await shot(page, "more-types-1280");
  await page.setViewportSize({ width: 360, height: 740 });
  const text = await page.locator("body").innerText();
  const rawError = RAW_ERROR.test(text) ? text.match(RAW_ERROR)[0] : null;

  if (await page.getByLabel("Section", { exact: true }).count()) await goToSection(page, "Summary");
  await context.setOffline(false);
  await page.getByRole("button", { name: "Finalize" }).click();
  await page.locator("#records-waiting li, #records-sent li").first().waitFor();
  await page.getByRole("button", { name: "Send now" }).click();
  await page.locator("#records-sent li").first().waitFor({ timeout: T(30_000) });

  const held = (await api(base, "GET", "/api/v1/responses?form_id=more_types", admin)).responses;
  const detail = await api(base, "GET", `/api/v1/responses/${held[0].response_id}`, admin);
  const payload = JSON.parse(detail.revisions[0].payload);
  console.log("RESULT " + JSON.stringify({ held: held.length, payload, shown, seenAfterTwo, axe, rawError, pictures, sound }));
} finally {
  if (context) await context.close();
  child.kill("SIGTERM");
}

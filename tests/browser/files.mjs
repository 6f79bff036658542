// A photo taken in an interview (issue 19), in a real Chromium as a person does it: the
// question is tapped, the phone's own file chooser gives a picture, the screen names the kept
// photo, the interview is finalized and sent, and the photo follows it to the server by
// itself — shrunk to the question's max-pixels on the phone, checked and stored there. Then a
// photo taken with the camera in the page (Chromium's fake camera), the interview finalized
// offline and sent by itself when the connection comes back, its photo with it. Last, an SVG
// with a script, sent from ODK Collect as a photo and opened by a reviewer from its address:
// the browser saves it, and the script never runs.
// axe-core checks the form and the camera; screenshots at 360 and 1280 px.
//
// Run by the Rust test `browser::a_photo_chosen_or_taken_with_the_camera_is_shrunk_on_the_phone_and_follows_its_interview_to_the_server_even_finalized_offline`:
//   BARAZA_BIN, DATA_DIR, ARTIFACTS, BARAZA_ADMIN_PASSWORD, WORKBOOK (a .zip of the
//   .xlsx and the pictures it names)
// It prints one JSON line `RESULT {...}` for the Rust side to check.

import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { RAW_ERROR, T, api, axeViolations, choose, deadlines, env, freePort, startBaraza } from "./common.mjs";
import { goToSection } from "./person.mjs";

const ARTIFACTS = env("ARTIFACTS");
mkdirSync(ARTIFACTS, { recursive: true });
const log = (...a) => console.log("[files]", ...a);
const warnings = [];
const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const { child } = await startBaraza(env("BARAZA_BIN"), ["serve", "--data", env("DATA_DIR"), "--listen", `127.0.0.1:${port}`]);
let context = null;
try {
  const admin = (await api(base, "POST", "/api/v1/auth/login", null, { username: "admin", password: env("BARAZA_ADMIN_PASSWORD") })).token;
  await api(base, "POST", "/api/v1/forms", admin, readFileSync(env("WORKBOOK")), "application/octet-stream");
  await api(base, "POST", "/api/v1/users", admin, { username: "achieng", password: "field-work-2026", role: "enumerator" });

  context = deadlines(await chromium.launchPersistentContext(join(ARTIFACTS, "profile"), {
    executablePath: "/usr/bin/chromium",
    headless: true,
    // Chromium's fake camera (a moving test pattern, 640 × 480) stands in for the phone's,
    // its permission granted as a person would.
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream"],
    permissions: ["camera"],
    viewport: { width: 360, height: 740 },
    locale: "en-US",
    // axe-core is injected as an inline script, which the app's CSP refuses.
    bypassCSP: true,
  }));
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => log("page error:", e.message));
  page.on("console", (m) => m.type() === "warning" && (warnings.push(m.text()), log("console:", m.text())));
  await page.goto(base + "/");
  await page.getByLabel("Username").pressSequentially("achieng");
  await page.getByLabel("Password").pressSequentially("field-work-2026");
  await page.getByRole("button", { name: "Sign in and enroll" }).click();
  await page.locator("#new-meter_photo").waitFor();
  // The first sync keeps the form's pictures, which the service worker then serves.
  await page.locator("#sync-status").filter({ hasNotText: "never" }).waitFor({ timeout: T(30_000) });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: T(30_000) });

  // The picture the phone's camera would give: 1200 × 800, drawn in the browser (a test
  // fixture, not an answer).
  const picture = join(ARTIFACTS, "meter.png");
  const bytes = await page.evaluate(async () => {
    const c = new OffscreenCanvas(1200, 800);
    const g = c.getContext("2d");
    g.fillStyle = "#2a7"; g.fillRect(0, 0, 1200, 800);
    g.fillStyle = "#fff"; g.fillRect(150, 100, 500, 300);
    const blob = await c.convertToBlob({ type: "image/png" });
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  writeFileSync(picture, Buffer.from(bytes));

  await page.locator("#new-meter_photo").click();
  await page.getByLabel("Meter number").click();
  await page.keyboard.type("KPLC-0042-17");
  // Tapping the question opens the phone's chooser; the person picks the picture.
  const chooser = page.waitForEvent("filechooser");
  await page.getByLabel("Photo of the meter").click();
  await (await chooser).setFiles(picture);
  const kept = page.locator(".q", { has: page.getByLabel("Photo of the meter") }).locator("p.calc");
  await kept.filter({ hasText: /\.jpg$/ }).waitFor({ timeout: T(15_000) });
  const shownName = (await kept.innerText()).trim();

  // The note's picture is the one of the form's language, and changes with it.
  const notePicture = async (before) => {
    const shown = await page.waitForFunction((was) => {
      const img = document.querySelector("#q-where .media img");
      return img && img.complete && img.naturalWidth > 0 && img.src !== was && [img.src, img.naturalWidth];
    }, before, { timeout: T(10_000) });
    return shown.jsonValue();
  };
  const [enSrc, enWidth] = await notePicture(null);
  await choose(page.getByLabel("Form language"), "Kiswahili (sw)");
  const [swSrc, swWidth] = await notePicture(enSrc);
  await choose(page.getByLabel("Form language"), "English (en)");
  const [, backWidth] = await notePicture(swSrc);
  const pictures = [enWidth, swWidth, backWidth];

  await shot(page, "files-360");
  const axe = await axeViolations(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await shot(page, "files-1280");
  await page.setViewportSize({ width: 360, height: 740 });
  const text = await page.locator("body").innerText();
  const rawError = RAW_ERROR.test(text) ? text.match(RAW_ERROR)[0] : null;

  if (await page.getByLabel("Section", { exact: true }).count()) await goToSection(page, "Summary");
  await page.getByRole("button", { name: "Finalize" }).click();
  await page.locator("#records-waiting li, #records-sent li").first().waitFor();
  await page.getByRole("button", { name: "Send now" }).click();
  await page.locator("#records-sent li").first().waitFor({ timeout: T(30_000) });

  // The photo follows the interview by itself: the sync after the push sends it.
  const held = (await api(base, "GET", "/api/v1/responses?form_id=meter_photo", admin)).responses;
  const id = held[0].response_id;
  let file = null;
  for (const until = Date.now() + T(30_000); Date.now() < until; ) {
    const detail = await api(base, "GET", `/api/v1/responses/${id}`, admin);
    file = detail.revisions[0].attachments?.[0] ?? null;
    if (file?.received) break;
    await page.getByRole("button", { name: "Send now" }).click();
    await new Promise((r) => setTimeout(r, 300));
  }
  const payload = JSON.parse((await api(base, "GET", `/api/v1/responses/${id}`, admin)).revisions[0].payload);
  const download = await fetch(`${base}/api/v1/responses/${id}/attachments/${encodeURIComponent(file.name)}`, {
    headers: { authorization: `Bearer ${admin}` },
  });
  const jpeg = Buffer.from(await download.arrayBuffer());
  // Its size in pixels, read by the browser (the server keeps the bytes as they came).
  const size = await page.evaluate(async (b) => {
    const bitmap = await createImageBitmap(new Blob([new Uint8Array(b)]));
    return [bitmap.width, bitmap.height];
  }, Array.from(jpeg));

  // The admin reviews it in the console: the Files section lists the photo, and a click
  // downloads it.
  const desk = await context.newPage();
  await desk.setViewportSize({ width: 1280, height: 800 });
  await desk.goto(`${base}/console/`);
  await desk.getByLabel("Username", { exact: true }).click();
  await desk.keyboard.type("admin");
  await desk.getByLabel("Password", { exact: true }).click();
  await desk.keyboard.type(env("BARAZA_ADMIN_PASSWORD"));
  await desk.getByRole("button", { name: "Sign in", exact: true }).click();
  await desk.getByRole("navigation").getByRole("button", { name: "Submissions", exact: true }).click();
  await desk.getByRole("button", { name: id, exact: true }).click();
  const files = desk.locator("#files");
  await files.getByRole("heading", { name: "Files" }).waitFor();
  const listed = (await files.locator("li").innerText()).trim();
  const saving = desk.waitForEvent("download");
  await files.getByRole("button", { name: `Download ${file.name}` }).click();
  const saved = await saving;
  const savedBytes = readFileSync(await saved.path());
  await shot(desk, "files-console-1280");
  const consoleAxe = await axeViolations(desk);
  await desk.setViewportSize({ width: 360, height: 740 });
  await shot(desk, "files-console-360");
  // Correcting the answers in the console: the photo is named, and only a phone takes one.
  await desk.getByRole("button", { name: "Edit the answers" }).click();
  const photoQuestion = desk.locator('.q[data-path="photo"]');
  await photoQuestion.waitFor();
  const editor = {
    shows: (await photoQuestion.locator("p.calc").innerText()).trim(),
    choosers: await photoQuestion.locator('input[type="file"]').count(),
  };

  // A second interview, its photo taken with the camera in the page; finalized offline, it
  // goes with its photo when the connection comes back, by itself.
  await page.getByRole("button", { name: "Home" }).click();
  await page.locator("#new-meter_photo").click();
  await page.getByLabel("Meter number").click();
  await page.keyboard.type("KPLC-0043-01");
  await page.getByRole("button", { name: "Take a photo" }).click();
  const camera = page.getByRole("dialog", { name: "Camera" });
  await camera.waitFor();
  const shutter = camera.getByRole("button", { name: "Take the photo" });
  await shutter.and(page.locator(":enabled")).waitFor({ timeout: T(15_000) });
  await shot(page, "camera-360");
  const cameraAxe = await axeViolations(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await shot(page, "camera-1280");
  await page.setViewportSize({ width: 360, height: 740 });
  await shutter.click();
  await camera.waitFor({ state: "detached" });
  await kept.filter({ hasText: /\.jpg$/ }).waitFor({ timeout: T(15_000) });
  const cameraName = (await kept.innerText()).trim();
  await context.setOffline(true);
  if (await page.getByLabel("Section", { exact: true }).count()) await goToSection(page, "Summary");
  await page.getByRole("button", { name: "Finalize" }).click();
  await page.locator("#records-waiting li").first().waitFor();
  const waitingOffline = await page.locator("#records-waiting li").count();
  // Still offline, the phone's export: a zip of the answers and the photo they name, which an
  // admin imports; the server then holds the interview and its photo before the phone has
  // sent anything.
  await page.getByRole("button", { name: "Home" }).click();
  const [exportFile] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export the responses on this phone" }).click(),
  ]);
  const zipBytes = readFileSync(await exportFile.path());
  const zipText = zipBytes.toString("latin1");
  const imported = await fetch(`${base}/api/v1/sync/import`, {
    method: "POST",
    headers: { authorization: `Bearer ${admin}`, "content-type": "application/zip" },
    body: zipBytes,
  });
  const importedBody = await imported.json();
  const fromExport = (await api(base, "GET", "/api/v1/responses?form_id=meter_photo", admin)).responses.find((r) => r.response_id !== id);
  const exported = {
    name: exportFile.suggestedFilename(),
    warnings: [...warnings],
    status: imported.status,
    results: importedBody.results?.map((r) => r.status),
    entries: [...new Set(zipText.match(/unsent\.json|files\/[0-9a-f]{64}/g))],
    attachments: fromExport
      ? (await api(base, "GET", `/api/v1/responses/${fromExport.response_id}`, admin)).revisions[0].attachments
      : null,
  };
  await context.setOffline(false);
  let taken = null;
  for (const until = Date.now() + T(60_000); Date.now() < until; ) {
    const list = (await api(base, "GET", "/api/v1/responses?form_id=meter_photo", admin)).responses;
    const other = list.find((r) => r.response_id !== id);
    if (other) {
      const detail = await api(base, "GET", `/api/v1/responses/${other.response_id}`, admin);
      const f = detail.revisions[0].attachments?.[0];
      if (f?.received) {
        const got = await fetch(`${base}/api/v1/responses/${other.response_id}/attachments/${encodeURIComponent(f.name)}`, {
          headers: { authorization: `Bearer ${admin}` },
        });
        const photo = Array.from(new Uint8Array(await got.arrayBuffer()));
        taken = {
          file: f,
          payload: JSON.parse(detail.revisions[0].payload),
          size: await page.evaluate(async (b) => {
            const bitmap = await createImageBitmap(new Blob([new Uint8Array(b)]));
            return [bitmap.width, bitmap.height];
          }, photo),
        };
        break;
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }

  // An SVG with a script, sent from ODK Collect as a photo's file, opened by a reviewer
  // straight from its address: the browser saves it and runs nothing.
  const users = (await api(base, "GET", "/api/v1/users", admin)).users ?? [];
  const achieng = users.find((u) => u.username === "achieng");
  const key = await api(base, "POST", "/api/v1/odk-keys", admin, { user_id: achieng.id });
  const svg = `<svg xmlns="http://www.w3.org/2000/svg"><script>fetch("/xss-ran");document.title="ran"</script><rect width="9" height="9"/></svg>`;
  const svgId = "5d1c9e27-0b3a-4f6e-9a41-7c2e8b6d0f13";
  const xml = `<data id="meter_photo" version="1"><meter>SVG-1</meter><photo>evil.svg</photo><meta><instanceID>uuid:${svgId}</instanceID></meta></data>`;
  const post = new FormData();
  post.append("xml_submission_file", new Blob([xml], { type: "text/xml" }), "submission.xml");
  post.append("evil.svg", new Blob([svg], { type: "image/svg+xml" }), "evil.svg");
  const sent = await fetch(`${key.server_url}/submission`, { method: "POST", headers: { "X-OpenRosa-Version": "1.0" }, body: post });
  const svgUrl = `${base}/api/v1/responses/${svgId}/attachments/evil.svg`;
  const viewer = await context.newPage();
  await viewer.setExtraHTTPHeaders({ authorization: `Bearer ${admin}` });
  let ran = false;
  context.on("request", (r) => { if (r.url().includes("/xss-ran")) ran = true; });
  const saving2 = viewer.waitForEvent("download");
  await viewer.goto(svgUrl).catch(() => {});
  const savedSvg = await saving2;
  const headers = (await fetch(svgUrl, { headers: { authorization: `Bearer ${admin}` } })).headers;
  await new Promise((r) => setTimeout(r, 500));
  const script = {
    posted: sent.status, savedAs: savedSvg.suggestedFilename(),
    same: readFileSync(await savedSvg.path(), "utf8") === svg, ran, title: await viewer.title(),
    disposition: headers.get("content-disposition"), csp: headers.get("content-security-policy"),
    type: headers.get("content-type"),
  };

  console.log("RESULT " + JSON.stringify({
    script,
    camera: { name: cameraName, waitingOffline, taken, axe: cameraAxe, exported },
    shownName, payload, file, size, picked: bytes.length, downloaded: jpeg.length, pictures,
    disposition: download.headers.get("content-disposition"), axe, rawError,
    console: { listed, savedAs: saved.suggestedFilename(), same: savedBytes.equals(jpeg), axe: consoleAxe, editor },
  }));
} finally {
  if (context) await context.close();
  child.kill("SIGTERM");
}

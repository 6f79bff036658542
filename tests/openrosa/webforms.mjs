// ODK Web Forms (@getodk/web-forms, ODK's Vue form UI) in Chromium, filling a Baraza form
// downloaded through the OpenRosa API and submitting it to /submission, as a person would:
// typing with the keyboard and clicking what the screen shows. Driven by tests/openrosa.rs.
//
// Environment: BASE (the key URL), FORM (formID), STEPS (what a person does, question by
// question: tests/openrosa.rs `webforms_steps`), ARTIFACTS (screenshots), CHROMIUM (optional).
// Prints one RESULT line: what /submission answered, the XML Web Forms sent, page errors, and
// axe-core's findings on ODK's screens.
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

import { axeViolations, env } from "../browser/common.mjs";

const require = createRequire(import.meta.url);
const { chromium } = await import("../browser/node_modules/playwright-core/index.mjs");

const BASE = env("BASE");
const FORM = env("FORM");
const ARTIFACTS = env("ARTIFACTS");
mkdirSync(ARTIFACTS, { recursive: true });
const origin = new URL(BASE).origin;
const key = new URL(BASE).pathname;

// The host page: Web Forms mounted on Baraza's origin (served by the test, not by Baraza),
// loading the XForm through formList and posting what Web Forms submits.
const page_html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>ODK Web Forms · Baraza</title>
<script type="importmap">{"imports": {"vue": "/webforms/vue.js"}}</script></head>
<body><main id="app"></main>
<script type="module">
import { createApp, h } from "vue";
import { OdkWebForm, webFormsPlugin } from "/webforms/web-forms.js";
const headers = { "X-OpenRosa-Version": "1.0" };
const list = new DOMParser().parseFromString(await (await fetch("${key}/formList", { headers })).text(), "text/xml");
const entry = [...list.getElementsByTagName("xform")].find((x) => x.getElementsByTagName("formID")[0].textContent === "${FORM}");
const formXml = await (await fetch(entry.getElementsByTagName("downloadUrl")[0].textContent, { headers })).text();
window.submissions = [];
const app = createApp({
  render: () => h(OdkWebForm, {
    formXml,
    fetchFormAttachment: () => Promise.resolve(new Response("", { status: 404 })),
    onSubmit: async (payload, callback) => {
      const res = await fetch("${key}/submission", { method: "POST", headers, body: payload.data[0] });
      window.submissions.push({ status: res.status, text: await res.text(), xml: await payload.data[0].get("xml_submission_file").text() });
      callback({ status: res.status === 201 ? "success" : "failure" });
    },
  }),
});
app.use(webFormsPlugin);
app.mount("#app");
</script></body></html>`;

const files = {
  "/webforms/index.html": ["text/html", page_html],
  "/webforms/vue.js": ["text/javascript", readFileSync(require.resolve("vue/dist/vue.esm-browser.prod.js"))],
};
const dist = join(require.resolve("@getodk/web-forms"), "..");
for (const f of ["index.js", ...readdirSync(dist).filter((n) => n.endsWith(".js") && n !== "index.js")]) {
  files[`/webforms/${f === "index.js" ? "web-forms.js" : f}`] = ["text/javascript", readFileSync(join(dist, f))];
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const result = { axe: {}, errors: [] };
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US", permissions: ["geolocation"] });
  const page = await context.newPage();
  page.on("pageerror", (e) => result.errors.push(e.message));
  await page.route(`${origin}/webforms/**`, (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = files[path];
    return file ? route.fulfill({ status: 200, contentType: file[0], body: file[1] }) : route.fulfill({ status: 404, body: "" });
  });
  await page.goto(`${origin}/webforms/index.html`);
  const steps = JSON.parse(readFileSync(env("STEPS"), "utf8"));
  const escape = (t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  for (const step of steps) {
    // A repeat's rows are panels titled with the repeat's label; a question is found by its
    // label, in its row.
    const scope = step.repeat === null
      ? page
      : page.locator(".p-panel.is-repeat").filter({ has: page.locator(".p-panel-header").filter({ hasText: step.repeat }) }).nth(step.row);
    const label = new RegExp(`^\\s*${escape(step.label)}${step.exact ? "\\s*$" : ""}`);
    const box = scope.locator(".question-container").filter({ has: page.locator(".control-text label").filter({ hasText: label }) }).first();
    await box.waitFor({ timeout: 5000 }).catch(() => { throw new Error(`no question ${JSON.stringify(step)}`); });
    switch (step.kind) {
      case "select_one":
      case "select_multiple":
        for (const v of step.value) await box.getByText(v, { exact: true }).click();
        break;
      case "date": {
        const [y, m, d] = step.value.split("-");
        await box.locator("input").first().click();
        await page.keyboard.press("Control+A");
        await page.keyboard.type(`${m}/${d}/${y}`);
        await page.keyboard.press("Escape");
        break;
      }
      case "rank": {
        // "Rank items" starts from the order shown; each item then moves up with its first
        // button (ODK's widget gives the buttons no names: the item is found by its words).
        await box.getByRole("button", { name: "Rank items" }).click();
        for (let i = 0; i < step.value.length; i++) {
          for (let moves = 0; ; moves++) {
            const shown = (await box.locator(".rank-option .rank-label").allInnerTexts()).map((t) => t.trim());
            const at = shown.indexOf(step.value[i]);
            if (at < 0 || moves > shown.length) throw new Error(`cannot rank ${step.value[i]} among ${shown}`);
            if (at === i) break;
            await box.locator(".rank-option").nth(at).locator(".rank-buttons button").first().click();
          }
        }
        break;
      }
      case "geopoint":
        await context.setGeolocation({ latitude: step.value.lat, longitude: step.value.lon, accuracy: step.value.accuracy });
        await box.getByRole("button", { name: "Get location" }).click();
        // Web Forms keeps listening until the accuracy reaches 5 m; a person saves earlier.
        await page.getByRole("dialog").getByText(`${step.value.accuracy} m`).waitFor();
        await page.getByRole("dialog").getByRole("button", { name: "Save location" }).click();
        await page.getByRole("dialog").waitFor({ state: "detached" });
        break;
      default:
        await box.locator("input, textarea").first().click();
        await page.keyboard.type(String(step.value));
    }
  }
  const screen = async (name) => {
    result.axe[name] = await axeViolations(page);
    await page.screenshot({ path: join(ARTIFACTS, `${name}-1280.png`), fullPage: true });
    await page.setViewportSize({ width: 360, height: 760 });
    await page.screenshot({ path: join(ARTIFACTS, `${name}-360.png`), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
  };
  await screen("webforms-filled");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await page.waitForFunction(() => window.submissions.length > 0, null, { timeout: 30000 }).catch(async () => {
    const invalid = await page.locator(".validation-message:visible").allInnerTexts();
    throw new Error(`Web Forms did not send: ${JSON.stringify(invalid)}`);
  });
  result.submissions = await page.evaluate(() => window.submissions);
  await screen("webforms-sent");
} finally {
  await browser.close();
}
console.log(`RESULT ${JSON.stringify(result)}`);

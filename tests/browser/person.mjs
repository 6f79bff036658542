// Acting as a person on the enumerator client: answers are typed with the keyboard after
// tapping the question's label, choices are clicked by their visible labels (read from the
// form definition) or, in a list, reached with the arrow keys (`common.mjs::choose`), pages
// are turned with "Next". Shared by the browser test
// (enumerator_flow.mjs) and the benchmark's phone figures (client_timings.mjs).

import { choose } from "./common.mjs";

/** Answers as (engine path, value) leaves: `member[2]/m_age`, like the client's data-path. */
export function leaves(obj, prefix = "") {
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

/** The form's English labels: questions by name, choices by list and code. */
export let FORM = null;
export const EN = "English (en)";
export function loadLabels(definition) {
  const fields = {};
  const walk = (list) => list.forEach((f) => { fields[f.name] = f; walk(f.children ?? []); });
  walk(definition.fields);
  FORM = { fields, choices: definition.choices };
}
const choiceLabel = (name, code) => {
  const list = FORM.fields[name].list;
  return FORM.choices[list].find((c) => c.name === code).label[EN];
};

/** The pause between keystrokes, in ms: none in tests; the benchmark types at a person's pace. */
export const pace = { keyMs: 0 };

/** Taps the question's text (which must focus its box) and types, replacing what was there. */
export async function typeInto(page, q, text) {
  await q.locator("label.q-label").click();
  await page.keyboard.press("Control+A");
  await page.keyboard.press("Backspace");
  if (text !== "") await page.keyboard.type(text, { delay: pace.keyMs });
}

export async function answer(page, q, path, value, typed = {}) {
  const kind = await q.getAttribute("data-kind");
  if (await q.locator(".preset").count()) return; // fixed by the form
  const name = path.split("/").pop();
  switch (kind) {
    case "text": case "integer": case "decimal":
      await typeInto(page, q, typed[path] ?? String(value));
      break;
    case "date": {
      const [y, m, d] = value.split("-");
      await typeInto(page, q, m + d + y);
      break;
    }
    case "select_one": {
      const label = choiceLabel(name, value);
      if (await q.getByRole("combobox").count()) await choose(q.getByRole("combobox"), label);
      else await q.getByRole("radio", { name: label, exact: true }).click();
      break;
    }
    case "select_multiple":
      for (const c of value) await q.getByRole("checkbox", { name: choiceLabel(name, c), exact: true }).click();
      break;
    case "rank": {
      // Tapped in with the first two swapped, then put right by dragging the second item's
      // grip onto the first with a finger.
      const order = value.length > 1 ? [value[1], value[0], ...value.slice(2)] : value;
      for (const c of order) await q.getByRole("button", { name: "+ " + choiceLabel(name, c), exact: true }).click();
      if (value.length > 1) {
        const items = q.locator("li.ranked");
        await touchDrag(page, items.nth(1).getByText("⠿"), items.nth(0));
        await items.nth(0).getByText(choiceLabel(name, value[0]), { exact: true }).waitFor();
      }
      break;
    }
    case "geopoint":
      await q.getByRole("button", { name: "Record location" }).click();
      await q.locator(".geo").filter({ hasText: "," }).waitFor();
      break;
    default:
      throw new Error(`no way to answer a ${kind}`);
  }
}

/** Drags `from` onto `to` with one finger (touch events, as a phone's screen sends them). */
export async function touchDrag(page, from, to) {
  const centre = async (l) => {
    const b = await l.boundingBox();
    return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
  };
  const [a, b] = [await centre(from), await centre(to)];
  const cdp = await page.context().newCDPSession(page);
  const touch = (type, points) => cdp.send("Input.dispatchTouchEvent", { type, touchPoints: points });
  await touch("touchStart", [a]);
  for (let k = 1; k <= 5; k++) await touch("touchMove", [{ x: a.x + ((b.x - a.x) * k) / 5, y: a.y + ((b.y - a.y) * k) / 5 }]);
  await touch("touchEnd", []);
  await cdp.detach();
}

/**
 * Fills page by page: on each page, the visible questions the answers have, in passes (a
 * question appears once the answers it depends on are given); then "Next", until the
 * summary. `onPage` runs first on each page (the scenarios below).
 */
/** Metadata the device fills itself: never asked, so never answered by the driver. */
const METADATA = ["start", "end", "today", "deviceid", "username", "phonenumber", "email", "simserial", "subscriberid"];

export async function fill(page, answers, onPage = async () => {}, typed = {}) {
  let pending = leaves(answers).filter((l) => !METADATA.includes(FORM.fields[l.path.split("/").pop().replace(/\[.*/, "")]?.kind));
  // A second round from the first page, as a person goes back: a question can depend on an
  // answer given on a later page (F1 asks the landlord's permission once tenure is known).
  for (let round = 0; round < 2 && pending.length; round++) {
    if (round > 0) await goToSection(page);
    pending = await fillRound(page, pending, onPage, typed);
  }
  return pending.map((l) => l.path);
}

async function fillRound(page, pending, onPage, typed) {
  for (let n = 0; n < 40 && !(await page.locator("#summary").count()); n++) {
    await onPage();
    for (let pass = 0; pass < 6; pass++) {
      const next = [];
      for (const leaf of pending) {
        const q = page.locator(`[data-path="${leaf.path}"]`);
        if ((await q.count()) !== 1 || !(await q.isVisible())) next.push(leaf);
        else await answer(page, q, leaf.path, leaf.value, typed);
      }
      const progressed = next.length < pending.length;
      pending = next;
      if (!progressed) break;
    }
    await page.getByRole("button", { name: "Next", exact: true }).click();
  }
  return pending;
}

/**
 * Picks a page from the section list by the words a person reads there (options read
 * "3. Drinking water"); with no name, the first page.
 */
export async function goToSection(page, name) {
  const list = page.getByLabel("Section", { exact: true });
  const options = list.locator("option");
  const option = name ? options.filter({ hasText: name }).first() : options.first();
  await choose(list, (await option.innerText()).trim());
}


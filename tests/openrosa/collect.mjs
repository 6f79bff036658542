// ODK's own form engine as a client of Baraza's OpenRosa API, the way ODK Collect and ODK Web
// Forms use a server: formList with the OpenRosa headers, each XForm downloaded and its MD5
// checked against formList's hash, loaded by @getodk/xforms-engine (it must load with no
// error), answered through the engine's own API, serialized by the engine, then HEAD and POST
// /submission. Driven by tests/openrosa.rs, which checks what Baraza then holds.
//
// Usage: node collect.mjs <job.json> <out.json>
//   job: { base: "http://127.0.0.1:port/key/<key>",
//          fill: [{ form_id, answers, edit?: { path: [names…], value } }] }
//   out: { forms: [{ form_id, version, hash_ok, media: [{ name, hash_ok }] }],
//          submissions: [{ form_id, instance_id,
//          status, message, resend_status, resend_message, edit?: {…}, xml }] }
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';

import { engine } from './engine.mjs';

const [jobPath, outPath] = process.argv.slice(2);
const job = JSON.parse(readFileSync(jobPath, 'utf8'));
const headers = { 'X-OpenRosa-Version': '1.0' };

async function get(url) {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  if (res.headers.get('x-openrosa-version') !== '1.0') throw new Error(`GET ${url}: no X-OpenRosa-Version`);
  return res.text();
}

/** formList's entries, read with the DOM the engine also uses. */
function formList(text) {
  const doc = new DOMParser().parseFromString(text, 'text/xml');
  return [...doc.getElementsByTagName('xform')].map((x) => {
    const field = (n) => x.getElementsByTagName(n)[0]?.textContent ?? null;
    return { formID: field('formID'), version: field('version'), hash: field('hash'), downloadUrl: field('downloadUrl'), manifestUrl: field('manifestUrl') };
  });
}

const nameOf = (node) => node.definition.nodeset.split('/').pop();

/** Answers `node`'s children from `answers` (Baraza's payload shape: groups looked through,
 *  a repeat an array of rows), through the engine's API, in form order. */
function fill(node, answers) {
  for (const child of node.currentState.children ?? []) {
    const name = nameOf(child);
    switch (child.nodeType) {
      case 'group':
        fill(child, answers);
        break;
      case 'repeat-range:uncontrolled':
      case 'repeat-range:controlled': {
        const rows = answers[name] ?? [];
        if (child.nodeType === 'repeat-range:uncontrolled') {
          const have = child.currentState.children.length;
          if (rows.length > have) child.addInstances(have - 1, rows.length - have);
        }
        const instances = child.currentState.children;
        if (instances.length !== rows.length) throw new Error(`${name}: ${instances.length} rows in the engine, ${rows.length} in the answers`);
        instances.forEach((row, i) => fill(row, rows[i]));
        break;
      }
      case 'model-value':
        // Metadata and calculations: the engine fills them itself.
        break;
      default: {
        const value = answers[name];
        if (value === undefined || child.currentState.readonly) break;
        if (!child.currentState.relevant) throw new Error(`${name} is not relevant in ODK's engine but answered`);
        if (child.nodeType === 'select') child.selectValues(Array.isArray(value) ? value : [value]);
        else if (child.nodeType === 'rank') child.setValues(value);
        else if (child.nodeType === 'input' && child.valueType === 'geopoint') {
          child.setValue({ latitude: value.lat, longitude: value.lon, altitude: value.alt ?? null, accuracy: value.accuracy ?? null });
        } else if (child.nodeType === 'input') child.setValue(typeof value === 'number' ? String(value) : value);
        else throw new Error(`${name}: cannot answer a ${child.nodeType}`);
      }
    }
  }
}

/** The leaf at `path` (names from the root, groups included, rows as numbers). */
function find(node, path) {
  let here = node;
  for (const step of path) {
    const kids = here.currentState.children ?? [];
    here = typeof step === 'number' ? kids[step] : kids.find((k) => nameOf(k) === step);
    if (!here) throw new Error(`no ${step} in ${path.join('/')}`);
  }
  return here;
}

async function payload(root) {
  const p = await root.prepareInstancePayload();
  if (p.status !== 'ready') {
    throw new Error(`the engine refuses to submit: ${JSON.stringify(p.violations?.map((v) => [v.nodeId, v.reference, v.violation?.message?.asString]))}`);
  }
  return p.data[0];
}

async function post(data) {
  const head = await fetch(`${job.base}/submission`, { method: 'HEAD', headers });
  if (head.status !== 204) throw new Error(`HEAD /submission: ${head.status}`);
  const res = await fetch(`${job.base}/submission`, { method: 'POST', headers, body: data });
  const text = await res.text();
  const message = new DOMParser().parseFromString(text, 'text/xml').getElementsByTagName('message')[0]?.textContent ?? text;
  return { status: res.status, message };
}

const instanceId = (xml) => /<instanceID>([^<]*)<\/instanceID>/.exec(xml)?.[1] ?? null;

const md5Of = (bytes) => `md5:${createHash('md5').update(bytes).digest('hex')}`;

/** A form's media, as Collect gets it: the manifest's files by name, each checked against
 *  the manifest's MD5. */
async function media(manifestUrl) {
  const files = new Map();
  const checked = [];
  if (!manifestUrl) return { files, checked };
  const doc = new DOMParser().parseFromString(await get(manifestUrl), 'text/xml');
  for (const m of doc.getElementsByTagName('mediaFile')) {
    const field = (n) => m.getElementsByTagName(n)[0]?.textContent ?? null;
    const res = await fetch(field('downloadUrl'), { headers });
    if (res.status !== 200) throw new Error(`GET ${field('downloadUrl')}: ${res.status}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    files.set(field('filename'), bytes);
    checked.push({ name: field('filename'), hash_ok: md5Of(bytes) === field('hash') });
  }
  return { files, checked };
}

const list = formList(await get(`${job.base}/formList`));
const out = { forms: [], submissions: [] };
const xforms = new Map();
for (const entry of list) {
  const xform = await get(entry.downloadUrl);
  const { files, checked } = await media(entry.manifestUrl);
  out.forms.push({ form_id: entry.formID, version: entry.version, hash_ok: md5Of(Buffer.from(xform, 'utf8')) === entry.hash, media: checked });
  // The engine reads a form's `jr://file-csv/…` and `jr://file/…` from the downloaded media.
  const fetchFormAttachment = async (url) => {
    const bytes = files.get(decodeURIComponent(url.href.split('/').pop()));
    return bytes ? new Response(bytes) : new Response('', { status: 404 });
  };
  xforms.set(entry.formID, { xform, options: { form: { fetchFormAttachment } } });
}

for (const task of job.fill) {
  if (!xforms.has(task.form_id)) throw new Error(`formList has no ${task.form_id}`);
  const { xform, options } = xforms.get(task.form_id);
  const form = await engine.createInstance(xform, options);
  fill(form.root, task.answers);
  const data = await payload(form.root);
  const xml = await data.get('xml_submission_file').text();
  const first = await post(data);
  const again = await post(data);
  const result = { form_id: task.form_id, instance_id: instanceId(xml), status: first.status, message: first.message, resend_status: again.status, resend_message: again.message, xml };
  if (task.edit) {
    // Collect's edit of a sent form: the engine reopens the instance, one answer changes,
    // and the new instance names the old one in meta/deprecatedID.
    const edited = await engine.editInstance(xform, {
      inputType: 'FORM_INSTANCE_INPUT_RESOLVABLE',
      resolveInstance: () => xml,
      attachments: new Map(),
    }, options);
    find(edited.root, task.edit.path).setValue(task.edit.value);
    const editData = await payload(edited.root);
    const editXml = await editData.get('xml_submission_file').text();
    const sent = await post(editData);
    result.edit = { instance_id: instanceId(editXml), deprecated_id: /<deprecatedID>([^<]*)</.exec(editXml)?.[1] ?? null, status: sent.status, message: sent.message };
  }
  out.submissions.push(result);
}
writeFileSync(outPath, JSON.stringify(out, null, 1));

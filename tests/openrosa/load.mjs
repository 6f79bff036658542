// Loads each XForm file named on the command line in ODK's engine (@getodk/xforms-engine)
// and prints one JSON line: { "<file>": { ok, error, nodes } }. Driven by tests/openrosa.rs.
import { readFileSync } from 'node:fs';

import { engine } from './engine.mjs';

const count = (node) => 1 + (node.currentState.children ?? []).reduce((n, c) => n + count(c), 0);
const out = {};
for (const file of process.argv.slice(2)) {
  try {
    const form = await engine.createInstance(readFileSync(file, 'utf8'), {});
    out[file] = { ok: true, error: null, nodes: count(form.root) };
  } catch (e) {
    out[file] = { ok: false, error: String(e?.message ?? e), nodes: 0 };
  }
}
console.log(JSON.stringify(out));

// ODK's own form engine (@getodk/xforms-engine) under Node: jsdom provides the DOM it
// parses XForms with, and the globals its bundled tree-sitter loader expects of a CommonJS
// module (it runs in Node's ES module scope, where they do not exist).
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('');
for (const name of ['DOMParser', 'XMLSerializer', 'Node', 'document', 'Element', 'Document', 'XPathResult', 'NodeFilter', 'Attr', 'XMLDocument']) {
  globalThis[name] = window[name];
}
globalThis.__dirname = new URL('./node_modules/@getodk/xforms-engine/dist', import.meta.url).pathname;
globalThis.module = { exports: {} };

export const engine = await import('@getodk/xforms-engine');

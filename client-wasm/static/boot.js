// Starts the web client (a file of its own: the Content-Security-Policy allows no inline script).
import init from "/pkg/app.js";
init({ module_or_path: "/pkg/app_bg.wasm" });
// Photos, recordings and files: a module of its own, fetched when a form asks for files (the
// app calls this), started once.
let files;
globalThis.barazaFiles = () => (files ??= import("/files/pkg/files.js").then(async (m) => {
  await m.default({ module_or_path: "/files/pkg/files_bg.wasm" });
  return m;
}).catch((e) => {
  files = undefined; // offline and never fetched: try again next time
  throw e;
}));
// "Export the responses on this phone": by the files module where it can be had (a zip with
// the files the answers name, if they name any); else the answers alone, as JSON.
globalThis.barazaExport = (text, name) => barazaFiles().then((m) => m.export_unsent(text, name)).catch((e) => {
  console.warn("the export goes without its files:", e);
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  a.download = name + ".json";
  a.click();
  URL.revokeObjectURL(a.href);
});
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js");
}

// Starts the web client (a file of its own: the Content-Security-Policy allows no inline script).
import init from "/pkg/app.js";
init({ module_or_path: "/pkg/app_bg.wasm" });
// Photos, recordings and files: a module of its own, fetched when a form asks for files (the
// app calls this), started once.
let files;
globalThis.barazaFiles = () => (files ??= import("/files/pkg/files.js").then(async (m) => {
  await m.default({ module_or_path: "/files/pkg/files_bg.wasm" });
  return m;
}));
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js");
}

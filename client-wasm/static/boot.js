// Starts the web client (a file of its own: the Content-Security-Policy allows no inline script).
import init from "/pkg/app.js";
init({ module_or_path: "/pkg/app_bg.wasm" });
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js");
}

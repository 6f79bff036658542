// Starts the console (a file of its own: the Content-Security-Policy allows no inline script).
import init from "/console/pkg/console.js";
init({ module_or_path: "/console/pkg/console_bg.wasm" });

// Starts the dashboard (a file of its own: the Content-Security-Policy allows no inline script).
import init from "/dashboard/pkg/dashboard.js";
init({ module_or_path: "/dashboard/pkg/dashboard_bg.wasm" });

// Baraza's service worker: keeps the app shell on the phone so it starts without a network.
// The build replaces BUILD_HASH with a hash of the app's files, so each build gets its own
// cache and an update replaces the old one cleanly. API calls are never cached.
const CACHE = "baraza-BUILD_HASH";
const SHELL = ["/", "/boot.js", "/app.css", "/manifest.webmanifest", "/icon.svg", "/pkg/app.js", "/pkg/app_bg.wasm"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("baraza-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  // The pictures and sounds beside a form's labels, kept when the form arrived (the files
  // module's keep_media) in a cache of their own, which no update of the app deletes.
  if (url.origin === self.location.origin && url.pathname.startsWith("/media/")) {
    event.respondWith(caches.open("media").then((c) => c.match(url.pathname))
      .then((hit) => hit || new Response("not kept on this phone", { status: 404 })));
    return;
  }
  if (event.request.method !== "GET" || url.origin !== self.location.origin || url.pathname.startsWith("/api/") || url.pathname.startsWith("/dashboard") || url.pathname.startsWith("/console")) {
    return;
  }
  // The figures, password and enrollment pages and their modules, and the files module, are
  // not in the shell: they are kept once fetched, so the first download stays small and a page
  // opens offline after one visit (enrolling itself needs the server; the files module is
  // fetched at the first sync after a form that asks for files arrives).
  const kept = /^\/(community|account|enroll|files)(\.html$|\/)/.test(url.pathname);
  const key = event.request.mode === "navigate" && !kept ? "/" : url.pathname;
  event.respondWith(
    caches.open(CACHE).then((c) =>
      c.match(key).then((hit) => hit || fetch(event.request).then((res) => {
        if (kept && res.ok) c.put(key, res.clone());
        return res;
      }))),
  );
});

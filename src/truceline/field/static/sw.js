// The field app's service worker: the app's own files, kept for when there is no network.
// Network first (a mission's update reaches the device when it can), the cached copy when
// the server cannot be reached. API requests are never cached: reports are queued by the
// page in IndexedDB, not here.

const CACHE = "truceline-field-v3";
const SHELL = [
  "/field/",
  "/field/app.js",
  "/field/store.js",
  "/field/clock.js",
  "/field/field.css",
  "/field/manifest.webmanifest",
  "/field/icon.svg",
  "/web/sign.js",
  "/web/verify.js",
  "/web/verifypanel.js",
  "/web/trust.js",
  "/web/dom.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !SHELL.includes(url.pathname)) {
    return;
  }
  event.respondWith(fromNetworkElseCache(url.pathname, event.request));
});

async function fromNetworkElseCache(path, request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(path, response.clone());
    return response;
  } catch {
    return (await cache.match(path)) || Response.error();
  }
}

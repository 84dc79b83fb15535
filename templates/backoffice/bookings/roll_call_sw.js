/* Ribambelle: service worker of the roll call (pointage), scope {{ scope }}.
 * Keeps on the device what the roll call needs without network: the page shell and its static
 * assets (cache first), and each roll-call page opened (network first, the copy kept as a
 * fallback). Taps are not handled here: the page stores them in IndexedDB and sends them itself.
 * Every other request of the back office goes to the network untouched. */
"use strict";
const VERSION = "__VERSION__";
const ASSETS = {{ assets_json|safe }};
const STATIC_CACHE = "rb-pointage-static-" + VERSION;
const PAGE_CACHE = "rb-pointage-pages";
const ROLL_CALL = /\/gestion\/activites\/\d+\/pointage\/$/;
const LOGOUT = /\/gestion\/deconnexion\/$/;
const NETWORK_WAIT_MS = 6000; // poor Wi-Fi: the kept copy rather than a blank screen
const KEEP_MS = 24 * 3600 * 1000; // a list older than a day is of no use, and holds health data

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(STATIC_CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n.startsWith("rb-pointage-static-") && n !== STATIC_CACHE).map((n) => caches.delete(n)))
      )
      .then(() => prune())
      .then(() => self.clients.claim())
  );
});

async function prune() {
  const cache = await caches.open(PAGE_CACHE);
  for (const request of await cache.keys()) {
    const response = await cache.match(request);
    const at = Date.parse((response && response.headers.get("date")) || "");
    if (at && Date.now() - at > KEEP_MS) await cache.delete(request);
  }
}

async function cacheFirst(request) {
  const cached = await caches.match(request, { cacheName: STATIC_CACHE });
  return cached || fetch(request);
}

async function networkFirst(request) {
  const cache = await caches.open(PAGE_CACHE);
  const network = fetch(request).then(async (response) => {
    // A login page after an expired session is not the list: never keep it in its place.
    const html = (response.headers.get("content-type") || "").includes("text/html");
    if (response.ok && !response.redirected && html) await cache.put(request, response.clone());
    return response;
  });
  const kept = () =>
    cache.match(request, { ignoreVary: true }).then((hit) => hit || cache.match(request, { ignoreSearch: true, ignoreVary: true }));
  const slow = new Promise((resolve) => setTimeout(resolve, NETWORK_WAIT_MS)).then(kept);
  try {
    const first = await Promise.race([network, slow]);
    return first || (await network);
  } catch (error) {
    const hit = await kept();
    if (hit) return hit;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && LOGOUT.test(url.pathname)) {
    // Logging out takes the kept lists (children's health flags) off the device.
    event.waitUntil(caches.delete(PAGE_CACHE));
    return;
  }
  if (request.method !== "GET") return;
  if (ASSETS.includes(url.pathname)) {
    event.respondWith(cacheFirst(request));
  } else if (ROLL_CALL.test(url.pathname)) {
    event.respondWith(networkFirst(request));
  }
});

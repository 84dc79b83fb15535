/* Ribambelle: service worker of the Espace Famille, scope {{ scope }}.
 * Shows the reminders before a booking deadline sent by web push, and opens the page the
 * notification names when it is tapped. It caches nothing: every request goes to the network. */
"use strict";
const SCOPE = "{{ scope }}"; // "/<slug>/": a slug holds no quote nor backslash

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { body: event.data ? event.data.text() : "" };
  }
  const url = typeof data.url === "string" && data.url.startsWith(SCOPE) ? data.url : SCOPE;
  event.waitUntil(
    self.registration.showNotification(data.title || "Espace Famille", {
      body: data.body || "",
      tag: data.tag || "rappel",
      lang: "fr",
      icon: SCOPE + "icone-192.png",
      data: { url: url },
    })
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || SCOPE;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      for (const client of windows) {
        if (client.url.includes(SCOPE) && "focus" in client) {
          return client.navigate(url).then((c) => (c || client).focus());
        }
      }
      return self.clients.openWindow(url);
    })
  );
});

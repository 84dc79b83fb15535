// "Recevoir les rappels sur ce téléphone": progressive, shown only where Push works (a secure
// context: https, or localhost; a browser with service workers and the Push API).
(function () {
  "use strict";
  var box = document.getElementById("rappels-push");
  if (!box) { return; }
  var supported = window.isSecureContext && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  if (!supported || !box.dataset.key) { return; }
  box.hidden = false;
  var subscribeButton = box.querySelector("[data-push=subscribe]");
  var unsubscribeButton = box.querySelector("[data-push=unsubscribe]");
  var status = box.querySelector("[data-push=status]");

  function text(name) {
    var template = box.querySelector("template[data-push=" + name + "]");
    return template ? template.innerHTML.trim() : "";
  }
  function csrf() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) { return decodeURIComponent(match[1]); }
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes;
  }
  function show(subscribed) {
    subscribeButton.hidden = subscribed;
    unsubscribeButton.hidden = !subscribed;
  }
  function send(body) {
    return fetch(box.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error || text("failed")); }
        return data;
      });
    });
  }
  function registration() {
    return navigator.serviceWorker.register(box.dataset.sw, { scope: box.dataset.scope }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  registration().then(function (reg) {
    return reg.pushManager.getSubscription();
  }).then(function (existing) { show(Boolean(existing)); }).catch(function () {});

  subscribeButton.addEventListener("click", function () {
    status.textContent = "";
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { throw new Error(text("denied")); }
      return registration();
    }).then(function (reg) {
      return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.key) });
    }).then(function (subscription) {
      return send(subscription.toJSON());
    }).then(function (data) {
      status.textContent = data.message || text("on");
      show(true);
    }).catch(function (error) {
      status.textContent = (error && error.message) || text("failed");
    });
  });

  unsubscribeButton.addEventListener("click", function () {
    status.textContent = "";
    registration().then(function (reg) {
      return reg.pushManager.getSubscription();
    }).then(function (subscription) {
      if (!subscription) { return { message: "" }; }
      var endpoint = subscription.endpoint;
      return subscription.unsubscribe().then(function () { return send({ action: "remove", endpoint: endpoint }); });
    }).then(function (data) {
      status.textContent = data.message || "";
      show(false);
    }).catch(function (error) {
      status.textContent = (error && error.message) || text("failed");
    });
  });
})();

/* Ribambelle: the roll call keeps working without network.
 *
 * Each tap (present, absent, justified, departure, with the times typed) is written to IndexedDB
 * with its own id (a UUID made here), shown at once on the card, then sent in batches to the
 * server as JSON; a batch that got no answer is sent again (with backoff, and as soon as the
 * `online` event fires) and the server applies each tap id once. Without JavaScript the cards'
 * forms post as before. No text here: the French wording comes from the page (#roll-call-texts).
 */
(function () {
  "use strict";
  const root = document.getElementById("roll-call-sync");
  if (!root || !window.indexedDB) return;
  const texts = JSON.parse(document.getElementById("roll-call-texts").textContent);
  const scope = root.dataset.scope;
  const pendingEl = document.getElementById("taps-pending");
  const problemEl = document.getElementById("taps-problem");
  const SYMBOLS = { present: "P", absent: "A", excused: "J", booked: "○" };
  const DB_NAME = "rb-pointage";
  const STORE = "taps";
  const KEEP_SENT_MS = 36 * 3600 * 1000;
  const BATCH = 100;
  let token = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";
  let sending = false;
  let delay = 1000;
  let timer = null;
  let sentSome = false;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(root.dataset.swUrl, { scope: scope }).catch(function () {});
    // The first time, this page came before its worker: once the worker is in charge, ask for the
    // page again so that the worker keeps a copy of the day's list on the device.
    if (!navigator.serviceWorker.controller) {
      navigator.serviceWorker.addEventListener("controllerchange", function () {
        fetch(window.location.href, { credentials: "same-origin" }).catch(function () {});
      });
    }
  }

  // --- IndexedDB: one store of taps, by id ---------------------------------------------------
  let dbPromise = null;
  function db() {
    dbPromise =
      dbPromise ||
      new Promise(function (resolve, reject) {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore(STORE, { keyPath: "id" });
        };
        request.onsuccess = function () {
          resolve(request.result);
        };
        request.onerror = function () {
          reject(request.error);
        };
      });
    return dbPromise;
  }
  function withStore(mode, work) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        const transaction = database.transaction(STORE, mode);
        const request = work(transaction.objectStore(STORE));
        transaction.oncomplete = function () {
          resolve(request ? request.result : undefined);
        };
        transaction.onerror = function () {
          reject(transaction.error);
        };
      });
    });
  }
  function allTaps() {
    return withStore("readonly", function (store) {
      return store.getAll();
    }).then(function (list) {
      return list.filter(function (tap) {
        return tap.scope === scope;
      });
    });
  }
  function saveTaps(list) {
    return withStore("readwrite", function (store) {
      list.forEach(function (tap) {
        store.put(tap);
      });
    });
  }
  function removeTaps(list) {
    return withStore("readwrite", function (store) {
      list.forEach(function (tap) {
        store.delete(tap.id);
      });
    });
  }

  // --- Small helpers ---------------------------------------------------------------------------
  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }
  function pad(n) {
    return String(n).padStart(2, "0");
  }
  function hhmm(date) {
    return pad(date.getHours()) + ":" + pad(date.getMinutes());
  }
  function today() {
    const d = new Date();
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }
  function card(bookingId) {
    return document.querySelector('.roll-card[data-booking="' + bookingId + '"]');
  }

  // --- What a card shows -----------------------------------------------------------------------
  function show(cardEl, state, pending) {
    const status = state.status;
    cardEl.className = cardEl.className.replace(/\broll-(booked|present|absent|excused)\b/, "roll-" + status);
    cardEl.dataset.status = status;
    const line = cardEl.querySelector(".roll-state");
    if (line) {
      line.textContent = "";
      const symbol = document.createElement("span");
      symbol.setAttribute("aria-hidden", "true");
      symbol.textContent = (SYMBOLS[status] || "○") + " ";
      line.appendChild(symbol);
      let words = texts[status] || status;
      if (state.arrived_at) words += " · " + texts.arrived + " " + state.arrived_at;
      if (state.left_at) words += " · " + texts.left + " " + state.left_at;
      line.appendChild(document.createTextNode(words));
      if (pending) {
        const mark = document.createElement("span");
        mark.className = "roll-pending";
        mark.textContent = " · ⏳ " + texts.not_sent;
        line.appendChild(mark);
      }
    }
    cardEl.querySelectorAll("button[name=status]").forEach(function (button) {
      if (button.value === status) button.setAttribute("aria-pressed", "true");
      else button.removeAttribute("aria-pressed");
      if (button.value === "left") button.hidden = status !== "present";
    });
    const arrived = cardEl.querySelector("input[name=arrived_at]");
    const left = cardEl.querySelector("input[name=left_at]");
    if (arrived) arrived.value = state.arrived_at || "";
    if (left) left.value = state.left_at || "";
  }

  function refresh() {
    return allTaps().then(function (list) {
      const waiting = list.filter(function (tap) {
        return !tap.sent;
      }).length;
      let words = "";
      if (waiting === 1) words = texts.pending_one;
      else if (waiting > 1) words = texts.pending_many.replace("%(n)s", waiting);
      if (!waiting && sentSome && navigator.onLine) words = texts.all_sent;
      if (!navigator.onLine) words = (words ? words + ". " : "") + texts.offline;
      if (pendingEl.textContent !== words) pendingEl.textContent = words;
      return waiting;
    });
  }

  function problem(words) {
    problemEl.textContent = words;
  }

  // --- A tap -----------------------------------------------------------------------------------
  document.addEventListener(
    "submit",
    function (event) {
      const form = event.target;
      const cardEl = form.closest && form.closest(".roll-card");
      if (!cardEl || !root.hasAttribute("data-today")) return;
      // Captured before htmx sees it: the tap goes to the device's queue, not to the network.
      event.preventDefault();
      event.stopPropagation();
      let status = event.submitter ? event.submitter.value : "present";
      const arrived = form.querySelector("input[name=arrived_at]");
      const left = form.querySelector("input[name=left_at]");
      const now = hhmm(new Date());
      if (status === "left") {
        status = "present";
        if (!left.value) left.value = now;
      }
      if (status === "present") {
        if (!arrived.value) arrived.value = now; // "Présent" is the arrival, unless typed
      } else {
        arrived.value = "";
        left.value = "";
      }
      const tap = {
        id: uuid4(),
        booking: Number(cardEl.dataset.booking),
        status: status,
        arrived_at: arrived.value,
        left_at: status === "present" ? left.value : "",
        at: new Date().toISOString(),
        sent: 0,
        scope: scope,
      };
      show(cardEl, tap, true);
      saveTaps([tap])
        .then(refresh)
        .then(flush)
        .catch(function () {
          // No storage on this device (a private window…): the tap goes straight to the server.
          post([tap])
            .then(function (response) {
              if (response.ok) show(cardEl, tap, false);
              else problem(texts.login);
            })
            .catch(function () {
              problem(texts.offline);
            });
        });
    },
    true
  );

  // --- Sending ---------------------------------------------------------------------------------
  function later() {
    clearTimeout(timer);
    timer = setTimeout(flush, delay);
    delay = Math.min(delay * 2, 60000);
  }

  function freshToken() {
    // The page kept on the device may hold an old token: the list page, asked again, has the current one.
    return fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        return response.redirected ? "" : response.text();
      })
      .then(function (html) {
        const found = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html || "");
        if (found) token = found[1];
        return Boolean(found);
      });
  }

  function post(batch) {
    return fetch(root.dataset.tapsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({
        taps: batch.map(function (tap) {
          return {
            id: tap.id,
            booking: tap.booking,
            status: tap.status,
            arrived_at: tap.arrived_at,
            left_at: tap.left_at,
            at: tap.at,
          };
        }),
      }),
    });
  }

  function isJson(response) {
    return !response.redirected && (response.headers.get("content-type") || "").indexOf("application/json") === 0;
  }

  async function flush() {
    if (sending) return;
    const waiting = (await allTaps()).filter(function (tap) {
      return !tap.sent;
    });
    // A day's worth of taps goes in batches of 100: each request stays short on a poor network.
    const batch = waiting.slice(0, BATCH);
    if (!batch.length) {
      delay = 1000;
      return refresh();
    }
    if (!navigator.onLine) return refresh(); // the `online` event sends them
    sending = true;
    try {
      let response = await post(batch);
      if (response.status === 403 && (await freshToken())) response = await post(batch);
      if (response.ok && isJson(response)) {
        await done(batch, await response.json());
        sentSome = true;
        delay = 1000;
        problem("");
        if (waiting.length > batch.length) setTimeout(flush, 0);
      } else if (response.status === 400 && isJson(response)) {
        const answer = await response.json();
        // Refused taps (a child out of reach…) are dropped, the others sent again at once.
        const refused = answer.refused && answer.refused.length ? answer.refused : batch.map((t) => t.id);
        await removeTaps(batch.filter((tap) => refused.indexOf(tap.id) !== -1));
        problem(texts.refused + " " + answer.error);
        delay = 1000;
        later();
      } else {
        if (!isJson(response)) problem(texts.login);
        later();
      }
    } catch (error) {
      later(); // no network, or no answer: the same taps go again later, applied once
    } finally {
      sending = false;
      refresh();
    }
  }

  async function done(batch, answer) {
    const byId = {};
    answer.results.forEach(function (result) {
      byId[result.id] = result;
    });
    const sent = batch.filter(function (tap) {
      return byId[tap.id];
    });
    sent.forEach(function (tap) {
      tap.sent = 1;
      tap.outcome = byId[tap.id].outcome;
    });
    await saveTaps(sent);
    const stillWaiting = (await allTaps()).filter((tap) => !tap.sent).map((tap) => String(tap.booking));
    Object.keys(answer.bookings).forEach(function (bookingId) {
      const cardEl = card(bookingId);
      if (cardEl && stillWaiting.indexOf(bookingId) === -1) show(cardEl, answer.bookings[bookingId], false);
    });
    const rejected = answer.results.filter((result) => result.outcome === "rejected");
    if (rejected.length) {
      problem(
        rejected
          .map(function (result) {
            const cardEl = card(result.booking);
            return texts.refused + " " + (cardEl ? cardEl.dataset.child + " – " : "") + result.message;
          })
          .join(" ")
      );
    }
  }

  window.addEventListener("online", function () {
    clearTimeout(timer);
    delay = 1000;
    flush();
  });
  window.addEventListener("offline", refresh);

  // --- On opening (online or from the copy kept on the device) ---------------------------------
  allTaps().then(function (list) {
    const renderedAt = Number(root.dataset.renderedAt) * 1000;
    const old = list.filter(function (tap) {
      return tap.sent && Date.now() - Date.parse(tap.at) > KEEP_SENT_MS;
    });
    removeTaps(old);
    // Taps the page does not show yet: those still waiting, and those sent after it was made.
    list
      .filter(function (tap) {
        return !tap.sent || Date.parse(tap.at) > renderedAt;
      })
      .sort(function (a, b) {
        return a.at < b.at ? -1 : 1;
      })
      .forEach(function (tap) {
        const cardEl = card(tap.booking);
        if (cardEl) show(cardEl, tap, !tap.sent);
      });
    if (root.hasAttribute("data-today") && root.dataset.day !== today()) problem(texts.old_list);
    refresh().then(flush);
  });
})();

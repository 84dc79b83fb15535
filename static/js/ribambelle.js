// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
  // Send Django's CSRF token with every htmx request.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (token) { event.detail.headers["X-CSRFToken"] = token.value; }
  });
  // After htmx puts an answer in the page, the part marked data-takes-focus (with tabindex="-1")
  // takes the focus, once: keyboard and screen-reader users land on the answer, not on nothing.
  document.addEventListener("htmx:afterSettle", function () {
    var answer = document.querySelector("[data-takes-focus]");
    if (answer) { answer.removeAttribute("data-takes-focus"); answer.focus(); }
  });
  // Buttons that ask before a destructive action: <button data-confirm="…">.
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.getAttribute("data-confirm"))) { event.preventDefault(); }
  });
  // Print buttons: <button data-print>.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
})();

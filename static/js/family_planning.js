// Family grid (Mes réservations – toute la famille): shows pending choices as such, counts them,
// and warns before leaving unsaved changes. A cell's saved state is its data-saved attribute, so a
// grid re-rendered with copied choices ("Même chose pour tous", swapped in by htmx) stays pending.
// Without JavaScript the checkboxes and the buttons do the same job through the server.
(function () {
  "use strict";
  var dirty = false;
  function form() { return document.querySelector("[data-family-planning]"); }
  function update() {
    var grid = form();
    if (!grid) { return; }
    var n = 0;
    grid.querySelectorAll(".cell-check").forEach(function (box) {
      var changed = box.checked !== (box.dataset.saved === "1");
      box.closest("td").classList.toggle("cell-pending", changed);
      var txt = box.closest("label").querySelector(".txt");
      txt.textContent = changed ? (box.checked ? grid.dataset.textBook : grid.dataset.textCancel) : txt.dataset.initial;
      if (changed) { n += 1; }
    });
    var status = document.getElementById("pending-status");
    if (status) {
      status.textContent = n ? (n > 1 ? grid.dataset.textMany.replace("{n}", n) : grid.dataset.textOne) : status.dataset.idle;
    }
    dirty = n > 0;
  }
  document.addEventListener("change", function (event) {
    if (event.target.closest("[data-family-planning]")) { update(); }
  });
  document.addEventListener("submit", function (event) {
    if (event.target.matches("[data-family-planning]")) { dirty = false; }
  });
  document.body.addEventListener("htmx:beforeRequest", function () { dirty = false; });
  document.body.addEventListener("htmx:afterSettle", function () {
    update();
    var result = document.getElementById("copy-result");
    if (result) { result.setAttribute("tabindex", "-1"); result.focus(); }
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
  update();
})();

// Planning grid: shows pending clicks as such and warns before leaving unsaved changes.
// Without JavaScript the checkboxes and the "Enregistrer" button do the same job.
(function () {
  "use strict";
  var form = document.querySelector("[data-planning]");
  if (!form) { return; }
  var status = document.getElementById("pending-status");
  var idle = status ? status.textContent : "";
  function pendingCount() {
    var n = 0;
    form.querySelectorAll(".cell-check").forEach(function (box) {
      var changed = box.checked !== box.defaultChecked;
      box.closest("td").classList.toggle("cell-pending", changed);
      var txt = box.closest("label").querySelector(".txt");
      if (!txt.dataset.initial) { txt.dataset.initial = txt.textContent; }
      txt.textContent = changed ? (box.checked ? form.dataset.textBook : form.dataset.textCancel) : txt.dataset.initial;
      if (changed) { n += 1; }
    });
    return n;
  }
  function update() {
    var n = pendingCount();
    if (status) {
      // The words come from the template, translated (data-text-*).
      status.textContent = n ? (n > 1 ? form.dataset.textMany.replace("{n}", n) : form.dataset.textOne) : idle;
    }
    form.dataset.dirty = n ? "1" : "";
  }
  form.addEventListener("change", update);
  form.addEventListener("reset", function () { window.setTimeout(update, 0); });
  form.addEventListener("submit", function () { form.dataset.dirty = ""; });
  window.addEventListener("beforeunload", function (event) {
    if (form.dataset.dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();

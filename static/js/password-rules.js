// Ticks the password rules live as the parent types. An aid only: the server decides.
(function () {
  "use strict";
  var data = document.getElementById("password-rules");
  var input = document.querySelector("[data-password-rules]");
  if (!data || !input) { return; }
  var rules = JSON.parse(data.textContent);
  function update() {
    Object.keys(rules).forEach(function (key) {
      var item = document.querySelector('.password-rules [data-rule="' + key + '"]');
      if (!item) { return; }
      var ok = new RegExp(rules[key], "u").test(input.value);
      item.classList.toggle("rule-ok", ok);
      item.querySelector(".rule-mark").textContent = ok ? "✔" : "✘";
      var texts = item.closest(".password-rules").dataset;  // translated in the template
      item.querySelector(".rule-state").textContent = ok ? texts.textOk : texts.textKo;
    });
  }
  input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " regles-mot-de-passe").trim());
  input.addEventListener("input", update);
  update();
})();

// The dashboard's information banner: it scrolls only when its text does not fit,
// never for people who ask for reduced motion, and a button pauses it (WCAG 2.2.2).
// Paused, every line is shown wrapped, so a phone user can read it at their own pace.
(function () {
  "use strict";
  var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");
  var PIXELS_PER_SECOND = 45;

  function setup(banner) {
    var viewport = banner.querySelector(".rb-banner-viewport");
    var track = banner.querySelector(".rb-banner-track");
    var button = banner.querySelector("[data-banner-toggle]");
    var icon = button.querySelector("[data-banner-icon]");
    var text = button.querySelector("[data-banner-text]");
    var paused = false;

    // Scroll only when the lines, side by side, are wider than the band.
    function overflows() {
      track.classList.add("is-scrolling");
      var content = track.offsetWidth - viewport.clientWidth;
      track.classList.remove("is-scrolling");
      return content > viewport.clientWidth;
    }

    function render() {
      var canMove = !(reduce && reduce.matches) && overflows();
      button.hidden = !canMove;
      if (!canMove) { return; }
      if (paused) {
        track.classList.remove("is-scrolling");
      } else {
        track.classList.add("is-scrolling");
        var seconds = Math.max(12, Math.round((track.offsetWidth) / PIXELS_PER_SECOND));
        track.style.setProperty("--rb-banner-duration", seconds + "s");
      }
      icon.textContent = paused ? "▶" : "⏸";
      text.textContent = paused ? "Reprendre" : "Mettre en pause";
    }

    button.addEventListener("click", function () {
      paused = !paused;
      render();
    });
    if (reduce && reduce.addEventListener) { reduce.addEventListener("change", render); }
    render();
  }

  document.querySelectorAll("[data-banner]").forEach(setup);
})();

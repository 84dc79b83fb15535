// The dashboard's information banner: it scrolls only when its lines do not fit,
// never for people who ask for reduced motion, and a button pauses it (WCAG 2.2.2).
// Paused (or without this script), every line is shown wrapped, readable at one's pace.
(function () {
  "use strict";
  var reduce = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");
  var PIXELS_PER_SECOND = 40;

  function setup(banner) {
    var viewport = banner.querySelector(".rb-banner-viewport");
    var track = banner.querySelector(".rb-banner-track");
    var button = banner.querySelector("[data-banner-toggle]");
    var text = button.querySelector("[data-banner-text]");
    var originals = Array.prototype.slice.call(track.children);
    var paused = false;

    // A second, hidden copy of the lines makes the loop seamless (0 → -50 %).
    function setClones(on) {
      track.querySelectorAll("[data-clone]").forEach(function (node) { node.remove(); });
      if (!on) { return; }
      originals.forEach(function (item) {
        var copy = item.cloneNode(true);
        copy.setAttribute("aria-hidden", "true");
        copy.setAttribute("data-clone", "");
        track.appendChild(copy);
      });
    }

    function overflows() {
      setClones(false);
      track.classList.add("is-scrolling");
      var wide = track.scrollWidth > viewport.clientWidth;
      track.classList.remove("is-scrolling");
      return wide;
    }

    function render() {
      var canMove = !(reduce && reduce.matches) && overflows();
      button.hidden = !canMove;
      var moving = canMove && !paused;
      setClones(moving);
      track.classList.toggle("is-scrolling", moving);
      if (moving) {
        var seconds = Math.max(10, Math.round(track.scrollWidth / 2 / PIXELS_PER_SECOND));
        track.style.setProperty("--rb-banner-duration", seconds + "s");
      }
      button.setAttribute("data-state", paused ? "paused" : "playing");
      text.textContent = paused ? button.dataset.textResume : button.dataset.textPause;  // translated in the template
    }

    button.addEventListener("click", function () {
      paused = !paused;
      render();
    });
    if (reduce && reduce.addEventListener) { reduce.addEventListener("change", render); }
    window.addEventListener("resize", function () { if (!paused) { render(); } });
    render();
  }

  document.querySelectorAll("[data-banner]").forEach(setup);
})();

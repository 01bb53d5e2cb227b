// Small behaviours of the reviews pages (no inline scripts anywhere, for a strict Content Security Policy).
(function () {
  "use strict";
  function widths(root) {
    root.querySelectorAll(".sz-progress[data-max]").forEach(function (bar) {
      var max = Number(bar.getAttribute("data-max"));
      var value = Number(bar.getAttribute("data-value"));
      bar.style.width = (max ? Math.round((100 * value) / max) : 0) + "%";
    });
  }
  document.addEventListener("DOMContentLoaded", function () { widths(document); });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
})();

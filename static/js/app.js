// Shanzhi's page behaviour. No inline scripts anywhere, so a strict Content Security Policy holds.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.classList && el.classList.contains("sz-autosubmit") && el.form) {
      el.form.submit();
    }
  });
  // A form that asks before it is sent: <form data-confirm="...">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();

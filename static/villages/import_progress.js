// The progress of a background import (villages/imports): polls the job's JSON every second, moves the bar and the
// counts, and reloads the page once the job has stopped (the page then shows the preview or the result).
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) { return; }
  var bar = box.querySelector(".import-bar");
  var total = parseInt(box.dataset.total, 10) || 0;
  function show(data) {
    ["rows_checked", "rows_written"].forEach(function (name) {
      var field = box.querySelector('[data-field="' + name + '"]');
      if (field) { field.textContent = data[name]; }
    });
    var done = data.status === "writing" ? data.rows_written : data.rows_checked;
    var share = total ? Math.min(100, Math.round((done * 100) / total)) : 0;
    bar.style.width = share + "%";
    bar.textContent = share + "%";
  }
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        show(data);
        if (data.status === "checking" || data.status === "writing") {
          window.setTimeout(poll, 1000);
        } else {
          window.location.reload();
        }
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();

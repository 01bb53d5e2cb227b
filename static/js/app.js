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

// Sortable tables: <table class="sz-sortable">; cells may carry data-sort with the value to sort by.
(function () {
  "use strict";
  document.querySelectorAll("table.sz-sortable").forEach(function (table) {
    table.querySelectorAll("thead th").forEach(function (th, index) {
      th.style.cursor = "pointer";
      th.setAttribute("aria-sort", "none");
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        var rows = Array.prototype.slice.call(body.rows);
        function key(row) {
          var cell = row.cells[index];
          var holder = cell.querySelector("[data-sort]") || cell;
          var raw = holder.getAttribute("data-sort");
          if (raw === null) { raw = cell.textContent.trim(); }
          var number = parseFloat(raw);
          return isNaN(number) ? raw : number;
        }
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          var result = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y), "zh");
          return ascending ? result : -result;
        });
        rows.forEach(function (row) { body.appendChild(row); });
        table.querySelectorAll("thead th").forEach(function (other) { other.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      });
    });
  });
})();

// Our own file picker (templates/includes/file_picker.html): the chosen file's name, or how many were chosen.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches(".sz-file input[type=file]")) { return; }
    var names = input.closest(".sz-file").querySelector(".sz-file-names");
    var files = input.files || [];
    if (files.length === 0) {
      names.textContent = names.getAttribute("data-none");
    } else if (files.length === 1) {
      names.textContent = files[0].name;
    } else {
      names.textContent = names.getAttribute("data-many").replace("{n}", String(files.length));
    }
  });
})();

// A save bar's progress (<span data-progress="{done}/{total} …"> in a form): the required fields filled.
(function () {
  "use strict";
  document.querySelectorAll("form [data-progress]").forEach(function (out) {
    var form = out.closest("form");
    function update() {
      var fields = Array.prototype.filter.call(form.querySelectorAll("[required]"), function (el) {
        return el.type !== "hidden" && !el.disabled;
      });
      var done = fields.filter(function (el) { return String(el.value || "").trim() !== ""; }).length;
      out.textContent = out.getAttribute("data-progress").replace("{done}", String(done)).replace("{total}", String(fields.length));
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  });
})();

// The scorecard form: running totals per check and overall, the grade they would give (cut-offs, then
// one-vote vetoes, as reviews/grading.py computes it), per-item messages beside each item, and a guard that
// keeps "Submit" off while there are unsaved changes. Drafts are saved by htmx (hx-post on the form).
(function () {
  "use strict";

  var HALF = 0.5;

  function format(value) {
    var rounded = Math.round(value * 100) / 100;
    return String(rounded);
  }

  function readScoring(form) {
    var node = document.getElementById(form.getAttribute("data-scoring"));
    return node ? JSON.parse(node.textContent) : null;
  }

  // What an item earns, or null when not scored; error is a message key when the entry cannot stand.
  function evaluate(itemEl) {
    var max = parseFloat(itemEl.getAttribute("data-max"));
    var result = { max: max, earned: null, error: null, deduction: false };
    var select = itemEl.querySelector("select.sz-score");
    if (select) {
      if (select.value === "1") { result.earned = max; }
      else if (select.value === "0") { result.earned = 0; }
    } else {
      var input = itemEl.querySelector("input.sz-score");
      var text = input ? input.value.trim() : "";
      if (input && input.validity && input.validity.badInput) {
        result.error = "number";
        return result;
      }
      if (text !== "") {
        var value = Number(text);
        if (!isFinite(value)) { result.error = "number"; }
        else if (value < 0 || value > max) { result.error = "range"; }
        else if (Math.abs(value / HALF - Math.round(value / HALF)) > 1e-9) { result.error = "step"; }
        else { result.earned = value; }
      }
    }
    result.deduction = result.earned !== null && result.earned < max;
    return result;
  }

  function showMessage(itemEl, scoring, state) {
    var box = itemEl.querySelector(".sz-item-msg");
    if (!box) { return; }
    var text = "";
    var danger = false;
    if (state.error) {
      text = scoring.messages[state.error].replace("%(max)s", format(state.max));
      danger = true;
    } else if (state.deduction && itemEl.getAttribute("data-note-required") === "1") {
      var note = itemEl.querySelector(".sz-note");
      if (note && !note.value.trim()) { text = scoring.messages.note; }
    }
    box.textContent = "";
    if (text) {
      var line = document.createElement("div");
      line.className = danger ? "text-danger" : "text-warning-emphasis";
      line.textContent = text;
      box.appendChild(line);
    }
    itemEl.classList.toggle("sz-item-invalid", danger);
    var field = itemEl.querySelector(".sz-score");
    if (field) { field.classList.toggle("is-invalid", danger); }
  }

  function recompute(form, scoring) {
    var total = 0;
    var scored = 0;
    var checks = {};
    var zeroItems = {};
    form.querySelectorAll(".sz-item").forEach(function (itemEl) {
      var state = evaluate(itemEl);
      var check = itemEl.getAttribute("data-check");
      checks[check] = checks[check] || 0;
      if (state.earned !== null) {
        total += state.earned;
        scored += 1;
        checks[check] += state.earned;
        if (state.earned === 0) { zeroItems[itemEl.getAttribute("data-item")] = true; }
      }
    });
    var grade = "poor";
    for (var i = 0; i < scoring.cutoffs.length; i++) {
      if (total >= scoring.cutoffs[i][1] - 1e-9) { grade = scoring.cutoffs[i][0]; break; }
    }
    var order = ["good", "fairly_good", "average", "poor"];
    var applied = [];
    var ticked = {};
    form.querySelectorAll("input.sz-condition:checked").forEach(function (box) { ticked[box.value] = true; });
    scoring.vetoes.forEach(function (veto) {
      var applies = veto.item ? zeroItems[String(veto.item)] : ticked[String(veto.id)];
      if (applies) {
        applied.push(veto.name);
        if (order.indexOf(veto.grade) > order.indexOf(grade)) { grade = veto.grade; }
      }
    });
    form.querySelectorAll("[data-total]").forEach(function (el) { el.textContent = format(total); });
    form.querySelectorAll("[data-scored]").forEach(function (el) { el.textContent = String(scored); });
    Object.keys(checks).forEach(function (check) {
      form.querySelectorAll('[data-check-total="' + check + '"]').forEach(function (el) {
        el.textContent = format(checks[check]);
      });
    });
    form.querySelectorAll("[data-grade]").forEach(function (el) {
      el.textContent = scoring.grades[grade];
      el.className = el.className.replace(/\btext-bg-\S+/g, "").trim() + " " + gradeClass(grade);
    });
    form.querySelectorAll("[data-vetoes]").forEach(function (el) { el.textContent = applied.join("；"); });
  }

  function gradeClass(grade) {
    return {
      good: "text-bg-success",
      fairly_good: "text-bg-primary",
      average: "text-bg-warning",
      poor: "text-bg-danger"
    }[grade];
  }

  function setDirty(form, dirty) {
    form.setAttribute("data-dirty", dirty ? "1" : "0");
    var submit = form.querySelector("[data-submit-level]");
    if (submit) { submit.disabled = dirty; }
    var hint = form.querySelector("[data-unsaved]");
    if (hint) { hint.hidden = !dirty; }
  }

  function init(root) {
    var forms = [];
    if (root.matches && root.matches("form.sz-scorecard")) { forms.push(root); }
    if (root.querySelectorAll) {
      root.querySelectorAll("form.sz-scorecard").forEach(function (f) { forms.push(f); });
    }
    forms.forEach(function (form) {
      if (form.getAttribute("data-sz-ready")) { return; }
      form.setAttribute("data-sz-ready", "1");
      var scoring = readScoring(form);
      if (!scoring || form.getAttribute("data-editable") !== "1") { return; }
      setDirty(form, form.getAttribute("data-dirty") === "1");
      // After a refused save the inputs hold what was typed, not what is stored: total what is on screen.
      recompute(form, scoring);
      var onEdit = function (event) {
        var itemEl = event.target.closest(".sz-item");
        if (itemEl) {
          var server = itemEl.querySelectorAll(".sz-server-error, .sz-server-warning");
          server.forEach(function (node) { node.remove(); });
          showMessage(itemEl, scoring, evaluate(itemEl));
        }
        recompute(form, scoring);
        setDirty(form, true);
      };
      form.addEventListener("input", onEdit);
      form.addEventListener("change", onEdit);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.detail.elt); });
  // A refused save (400: invalid entries, 409: someone saved first) still replaces the form, so the messages
  // appear beside the items and what was typed stays on screen.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var elt = event.detail.elt;
    if ((status === 400 || status === 409) && elt && elt.classList && elt.classList.contains("sz-scorecard")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();

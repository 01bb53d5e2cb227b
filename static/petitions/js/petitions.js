// Petitions pages: the group-visit fields follow the checkbox, and the board draws its rates chart.
(function () {
  "use strict";

  function syncGroup() {
    var box = document.getElementById("id_is_group");
    if (!box) { return; }
    document.querySelectorAll("[data-sz-group-only]").forEach(function (el) {
      el.hidden = !box.checked;
    });
    var leader = document.getElementById("id_is_leader_owned");
    document.querySelectorAll("[data-sz-leader-only]").forEach(function (el) {
      el.hidden = !(leader && leader.checked);
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target && (event.target.id === "id_is_group" || event.target.id === "id_is_leader_owned")) {
      syncGroup();
    }
  });

  function drawChart() {
    var el = document.getElementById("sz-rates-chart");
    var source = document.getElementById("sz-rates-data");
    if (!el || !source || typeof window.echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    if (!data.labels.length) { el.hidden = true; return; }
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: {
        trigger: "axis",
        valueFormatter: function (v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(2) + "%"; }
      },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 40, bottom: 64 },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 8 ? 35 : 0 } },
      yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: function (v) { return Math.round(v * 100) + "%"; } } },
      series: data.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    syncGroup();
    drawChart();
  });
})();

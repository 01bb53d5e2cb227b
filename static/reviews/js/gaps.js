// The gaps page: a bar chart of the average gap per division (self − township, township − county).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("gap-chart");
    if (!el || !window.echarts) { return; }
    var data = JSON.parse(document.getElementById(el.getAttribute("data-chart")).textContent);
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [data.gapLabel, data.countyGapLabel] },
      grid: { left: 40, right: 20, bottom: 70, top: 40 },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 8 ? 30 : 0 } },
      yAxis: { type: "value" },
      series: [
        { name: data.gapLabel, type: "bar", data: data.gap, itemStyle: { color: "#b71c1c" } },
        { name: data.countyGapLabel, type: "bar", data: data.county_gap, itemStyle: { color: "#1565c0" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();

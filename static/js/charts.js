// Draws every chart on the page: <div data-chart="ID"> with its ECharts option in <script id="ID" type="application/json">.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source) { return; }
    var option = JSON.parse(source.textContent);
    option.animation = false; // charts must be complete when printed or captured
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    el.dataset.drawn = "true";
    charts.push(chart);
  });
  function resize() { charts.forEach(function (c) { c.resize(); }); }
  window.addEventListener("resize", resize);
  // Before printing, the charts take the printed width (the print CSS makes each panel full width); after, the
  // screen's again. matchMedia covers browsers that print without a beforeprint event.
  window.addEventListener("beforeprint", resize);
  window.addEventListener("afterprint", resize);
  if (window.matchMedia) {
    var print = window.matchMedia("print");
    if (print.addEventListener) { print.addEventListener("change", resize); }
  }
})();

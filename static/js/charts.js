// Draws every chart on the page: <div data-chart="ID"> with its ECharts option in <script id="ID" type="application/json">.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var charts = [];
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source) { return; }
    var option = numbers(JSON.parse(source.textContent));
    option.animation = false; // charts must be complete when printed or captured
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    el.dataset.drawn = "true";
    charts.push(chart);
  });
  // Numbers as the tables show them: thousands separators on every value axis and in tooltips (an option can
  // only hold JSON, so the formatters are added here); "szUnit" (e.g. "%") follows a tooltip's value.
  function numbers(option) {
    var unit = option.szUnit || "";
    delete option.szUnit;
    function plain(v) {
      if (v === null || v === undefined || v === "-") { return "—"; }
      return typeof v === "number" ? v.toLocaleString("zh-CN", { maximumFractionDigits: 1 }) : String(v);
    }
    [].concat(option.xAxis || [], option.yAxis || []).forEach(function (axis) {
      if (axis.type !== "value") { return; }
      axis.axisLabel = axis.axisLabel || {};
      if (!axis.axisLabel.formatter) { axis.axisLabel.formatter = plain; }
    });
    if (option.tooltip && !option.tooltip.valueFormatter) {
      option.tooltip.valueFormatter = function (v) { return plain(v) + (v === null || v === undefined ? "" : unit); };
    }
    return option;
  }
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

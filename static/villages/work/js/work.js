// Village work records: the income chart on township and county pages, and adding matter rows to a meeting.
(function () {
  "use strict";

  function incomeChart() {
    var el = document.getElementById("work-income-chart");
    var data = document.getElementById("work-income-data");
    if (!el || !data || typeof echarts === "undefined") {
      return;
    }
    var chart = JSON.parse(data.textContent);
    var plot = echarts.init(el);
    plot.setOption({
      title: { text: el.dataset.title, textStyle: { fontSize: 14 } },
      tooltip: { trigger: "axis" },
      legend: { right: 0 },
      grid: { left: 70, right: 10, bottom: 70 },
      xAxis: { type: "category", data: chart.names, axisLabel: { rotate: 40, interval: 0 } },
      yAxis: { type: "value" },
      series: [
        { name: el.dataset.lastYear, type: "bar", data: chart.previous, itemStyle: { color: "#bdbdbd" } },
        { name: el.dataset.thisYear, type: "bar", data: chart.current, itemStyle: { color: "#b71c1c" } },
      ],
    });
    window.addEventListener("resize", function () {
      plot.resize();
    });
  }

  // <button data-add-matter> clones the formset's empty form (<template id="matter-template">) into #matters.
  function addMatter() {
    var button = document.querySelector("[data-add-matter]");
    var template = document.getElementById("matter-template");
    var total = document.getElementById("id_matters-TOTAL_FORMS");
    var list = document.getElementById("matters");
    if (!button || !template || !total || !list) {
      return;
    }
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
      list.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = list.querySelector('[name="matters-' + index + '-description"]');
      if (first) {
        first.focus();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    incomeChart();
    addMatter();
  });
})();

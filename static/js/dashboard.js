/* The dashboard's charts (Apache ECharts), drawn from the numbers the page's tables also show. */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var palette = ["#b22222", "#1f77b4", "#2ca02c", "#ff7f0e", "#6f42c1", "#6c757d", "#17a2b8"];
  var charts = [];

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el, null, { renderer: "svg" });
    // Tooltips drawn inside the chart: ECharts' HTML tooltips write style="" attributes, which the
    // Content-Security-Policy refuses.
    option.tooltip = Object.assign({ renderMode: "richText" }, option.tooltip);
    chart.setOption(Object.assign({ color: palette, animation: false }, option));
    charts.push(chart);
  }

  var rateSeries = Object.keys(data.trend.rates).map(function (name) {
    return { name: name, type: "line", yAxisIndex: 1, connectNulls: false, data: data.trend.rates[name] };
  });
  draw("chart-trend", {
    tooltip: { trigger: "axis" },
    legend: { top: 0, type: "scroll" },
    grid: { left: 40, right: 44, top: 36, bottom: 28 },
    xAxis: { type: "category", data: data.trend.weeks },
    yAxis: [
      { type: "value", minInterval: 1 },
      { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } }
    ],
    series: [{ name: data.trend.received_label, type: "bar", data: data.trend.received, itemStyle: { color: "#f0b7b7" } }].concat(rateSeries)
  });
  draw("chart-satisfaction", {
    tooltip: { trigger: "item" },
    legend: { bottom: 0 },
    color: ["#2ca02c", "#ffc107", "#b22222"],
    series: [{ type: "pie", radius: ["40%", "70%"], label: { position: "inside", formatter: "{c}", color: "#fff", fontWeight: "bold" }, data: data.satisfaction }]
  });
  draw("chart-categories", {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: data.categories.names },
    series: [{ type: "bar", data: data.categories.counts, label: { show: true, position: "right" } }]
  });
  draw("chart-states", {
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: data.states.names },
    series: [{ type: "bar", data: data.states.counts, label: { show: true, position: "right" } }]
  });

  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });

  // "以表格显示": the table is always there for screen readers; this shows it to everyone.
  document.querySelectorAll("[data-table-toggle]").forEach(function (button) {
    button.addEventListener("click", function () {
      var table = document.getElementById(button.getAttribute("data-table-toggle"));
      var shown = table.classList.toggle("visually-hidden") === false;
      button.setAttribute("aria-expanded", shown ? "true" : "false");
    });
  });
})();

/* The dashboard's charts (Apache ECharts) and the feedback countdowns. Figures come from the page's JSON block. */
(function () {
  "use strict";
  var block = document.getElementById("dashboard-data");
  if (!block) { return; }
  var data = JSON.parse(block.textContent);
  // Colour-blind safe pair (Okabe–Ito blue / vermillion) with labels, so no meaning rests on colour alone.
  var BLUE = "#0072B2", RED = "#D55E00", GREY = "#6b7780";

  var trendEl = document.getElementById("chart-trend");
  if (trendEl && window.echarts && data.trend.months.length) {
    var trend = window.echarts.init(trendEl, null, { renderer: "svg" });
    trend.setOption({
      animation: false,
      aria: { enabled: true, label: { description: "综合指数走势：" + data.trend.months.map(function (m, i) {
        return m + " " + (data.trend.totals[i] === null ? "无数据" : data.trend.totals[i].toFixed(2));
      }).join("，") } },
      grid: { left: 48, right: 48, top: 30, bottom: 28 },
      tooltip: { trigger: "axis" },
      legend: { data: ["综合指数", "排名"], top: 0 },
      xAxis: { type: "category", data: data.trend.months },
      yAxis: [
        { type: "value", name: "指数", min: function (v) { return Math.floor(v.min - 1); },
          max: function (v) { return Math.ceil(v.max + 1); },
          axisLabel: { formatter: function (v) { return v.toFixed(1); } } },
        { type: "value", name: "排名", inverse: true, minInterval: 1 }
      ],
      series: [
        { name: "综合指数", type: "line", data: data.trend.totals, color: BLUE, symbol: "circle", symbolSize: 7,
          label: { show: true, formatter: function (p) { return p.value === null ? "" : p.value.toFixed(2); } } },
        { name: "排名", type: "line", yAxisIndex: 1, data: data.trend.ranks, color: GREY, lineStyle: { type: "dashed" },
          symbol: "diamond", symbolSize: 7 }
      ]
    });
  }

  var healthEl = document.getElementById("chart-health");
  if (healthEl && window.echarts) {
    var health = window.echarts.init(healthEl, null, { renderer: "svg" });
    health.setOption({
      animation: false,
      aria: { enabled: true },
      tooltip: { trigger: "item" },
      series: [{
        name: "站点状态", type: "pie", radius: ["45%", "72%"],
        label: { formatter: "{b}\n{c} 个" },
        data: [
          { name: "正常", value: data.health["正常"], itemStyle: { color: BLUE } },
          { name: "异常", value: data.health["异常"], itemStyle: { color: RED, decal: { symbol: "rect" } } }
        ]
      }]
    });
  }

  // Countdowns: the server's figure is right at load; this keeps it right while the page stays open.
  // The page's moment is the server's "now" (or the evening of the day looked back at); time runs on from there.
  var pageNow = Date.parse(document.getElementById("dashboard").getAttribute("data-now"));
  var loaded = Date.now();
  function tick() {
    var nowMs = pageNow + (Date.now() - loaded);
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("data-deadline")) - nowMs) / 3600000;
      var h = Math.floor(Math.abs(left)), m = Math.floor((Math.abs(left) - h) * 60);
      el.textContent = (left < 0 ? "已超时 " : "剩余 ") + h + " 小时 " + m + " 分";
      el.className = left < 0 ? "countdown overdue" : (left < 24 ? "countdown soon" : "countdown");
    });
  }
  tick();
  window.setInterval(tick, 30000);
})();

/* The dashboard's charts (ECharts, /vendor/echarts.js, global `echarts`), drawn from the figures the
   server put in <script type="application/json" id="dashboard-data">. They enhance the tables below
   them, which carry the same figures and links: without JavaScript, or without ECharts, nothing here
   runs and the page is complete. Clicking a bar, a slice or a point opens the ledger behind it. */
(function () {
  "use strict";

  var source = document.getElementById("dashboard-data");
  if (!source || typeof window.echarts === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent || "{}");

  // The palette of app.css: the warning colours, the red of official documents, quiet greys.
  var SEGMENT_COLOURS = {
    done: "#1f7a4d",
    green: "#8fd4ad",
    blue: "#2e90fa",
    yellow: "#f5b400",
    red: "#d92d20"
  };
  var STATUS_COLOURS = {
    not_started: "#b8c2cc",
    pending: "#8da2bb",
    in_progress: "#53b1fd",
    awaiting_approval: "#9e77ed",
    done: "#3ccb7f",
    awaiting_verification: "#8fd4ad",
    long_term: "#1849a9",
    closed: "#1f7a4d",
    look_back: "#0e9384",
    consolidated: "#054f31",
    reopened: "#7a271a",
    overdue: "#d92d20"
  };
  var INK = "#1f2933";
  var MUTED = "#616e7c";
  var LINE = "#d9e2ec";
  var ACCENT = "#b42318";
  var FONT = window.getComputedStyle(document.documentElement).fontFamily;

  function shorten(text, length) {
    return text.length > length ? text.slice(0, length) + "…" : text;
  }

  function narrow() {
    return window.matchMedia("(max-width: 720px)").matches;
  }

  function go(url) {
    if (url) {
      window.location.assign(url);
    }
  }

  var base = {
    textStyle: { fontFamily: FONT, color: INK },
    animationDuration: 400
  };

  // The bars' names on the axis: numbered (parts, as the ledger numbers them) and shortened.
  function axisLabels(items, numbered) {
    var short = narrow() ? 7 : 16;
    return items.map(function (item, i) {
      return (numbered ? (i + 1) + ". " : "") + shorten(item.label, short);
    });
  }

  // Stacked horizontal bars: each part or unit, its measures by state; the label opens its ledger.
  function stackedBars(items, numbered) {
    return Object.assign({}, base, {
      tooltip: {
        trigger: "axis",
        axisPointer: { type: "shadow" },
        renderMode: "richText",
        confine: true,
        formatter: function (params) {
          var item = items[params[0].dataIndex];
          var lines = [item.label + "（" + data.texts.measures + " " + item.measures + "）"];
          params.forEach(function (p) {
            lines.push(p.seriesName + "：" + p.value);
          });
          return lines.join("\n");
        }
      },
      legend: { top: 0, textStyle: { color: MUTED }, itemWidth: 14, itemHeight: 10 },
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: LINE } } },
      yAxis: {
        type: "category",
        inverse: true,
        triggerEvent: true,
        data: axisLabels(items, numbered),
        axisLabel: { color: INK },
        axisLine: { lineStyle: { color: LINE } }
      },
      series: data.segments.map(function (segment) {
        return {
          name: segment.name,
          type: "bar",
          stack: "measures",
          barMaxWidth: 22,
          cursor: "pointer",
          itemStyle: { color: SEGMENT_COLOURS[segment.key] },
          emphasis: { focus: "series" },
          data: items.map(function (item) {
            return item.values[segment.key];
          })
        };
      })
    });
  }

  function statusPie(statuses) {
    return Object.assign({}, base, {
      tooltip: { trigger: "item", renderMode: "richText", confine: true, formatter: "{b}：{c}（{d}%）" },
      legend: { bottom: 0, type: "scroll", textStyle: { color: MUTED }, itemWidth: 12, itemHeight: 10 },
      series: [{
        type: "pie",
        name: data.texts.problems,
        radius: ["40%", "68%"],
        center: ["50%", "45%"],
        cursor: "pointer",
        avoidLabelOverlap: true,
        label: { show: !narrow(), formatter: "{b}\n{c}", color: INK },
        itemStyle: { borderColor: "#ffffff", borderWidth: 2 },
        data: statuses.map(function (s) {
          return { name: s.name, value: s.value, itemStyle: { color: STATUS_COLOURS[s.key] || MUTED } };
        })
      }]
    });
  }

  function trendLine(trend) {
    return Object.assign({}, base, {
      tooltip: { trigger: "axis", renderMode: "richText", confine: true },
      legend: { top: 0, textStyle: { color: MUTED } },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: {
        type: "category",
        boundaryGap: false,
        data: trend.points.map(function (p) { return p.label; }),
        axisLine: { lineStyle: { color: LINE } },
        axisLabel: { color: MUTED }
      },
      yAxis: { type: "value", minInterval: 1, splitLine: { lineStyle: { color: LINE } } },
      series: [{
        name: trend.name,
        type: "line",
        cursor: "pointer",
        symbol: "circle",
        symbolSize: 9,
        lineStyle: { color: ACCENT, width: 2 },
        itemStyle: { color: ACCENT },
        areaStyle: { color: "rgba(180, 35, 24, 0.10)" },
        data: trend.points.map(function (p) { return p.value; })
      }]
    });
  }

  var charts = [];

  function draw(name, option, onClick) {
    var box = document.querySelector('[data-chart="' + name + '"]');
    if (!box) {
      return;
    }
    box.hidden = false;
    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    chart.setOption(option);
    chart.on("click", onClick);
    charts.push(chart);
  }

  function barClick(items, numbered) {
    var labels = axisLabels(items, numbered);
    return function (params) {
      var item;
      if (params.componentType === "yAxis") {  // a bar's name: the ledger of the whole part or unit
        item = items[typeof params.dataIndex === "number" ? params.dataIndex : labels.indexOf(params.value)];
        go(item && item.url);
        return;
      }
      item = items[params.dataIndex];
      var segment = data.segments[params.seriesIndex];
      if (item && segment) {
        go(item.urls[segment.key]);
      }
    };
  }

  if (data.parts && data.parts.length) {
    draw("parts", stackedBars(data.parts, true), barClick(data.parts, true));
  }
  if (data.units && data.units.length) {
    draw("units", stackedBars(data.units, false), barClick(data.units, false));
  }
  if (data.statuses && data.statuses.length) {
    draw("statuses", statusPie(data.statuses), function (params) {
      var status = data.statuses[params.dataIndex];
      go(status && status.url);
    });
  }
  if (data.trend && data.trend.points.length) {
    draw("trend", trendLine(data.trend), function (params) {
      var point = data.trend.points[params.dataIndex];
      go(point && point.url);
    });
  }

  var dashboard = document.querySelector(".dashboard");
  if (dashboard && charts.length) {
    dashboard.classList.add("charts-on");
  }
  window.addEventListener("resize", function () {
    charts.forEach(function (chart) { chart.resize(); });
  });
}());

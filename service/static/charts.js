// Draws the charts of the communication pages from the tables beside them (Chart.js, vendored):
// a table marked data-chart is the chart's only source, so the two always agree, and without
// script the table alone remains. Cells give their number in data-value; the columns drawn
// have data-drawn; a percentage is a fraction, drawn as a percent.
(function () {
  "use strict";

  // Okabe and Ito's palette: told apart by people with the common colour-vision deficiencies.
  var COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"];

  function readTable(table) {
    var headers = Array.prototype.map.call(table.tHead.rows[0].cells, function (cell) {
      return { text: cell.textContent.trim(), drawn: cell.hasAttribute("data-drawn"),
               percent: cell.getAttribute("data-kind") === "percent",
               text_kind: cell.getAttribute("data-kind") === "text" };
    });
    var rows = Array.prototype.map.call(table.tBodies[0].rows, function (row) {
      return Array.prototype.map.call(row.cells, function (cell) {
        var value = cell.getAttribute("data-value");
        return { text: cell.textContent.trim(), value: value === null || value === "" ? null : Number(value) };
      });
    });
    return { headers: headers, rows: rows };
  }

  function drawnColumns(data) {
    var found = [];
    data.headers.forEach(function (header, index) { if (header.drawn) { found.push(index); } });
    return found;
  }

  function scaled(cell, header) {
    if (cell.value === null) { return null; }
    return header.percent ? Math.round(cell.value * 1000) / 10 : cell.value;
  }

  function colour(index) { return COLOURS[index % COLOURS.length]; }

  // One dataset per drawn column, the rows along the x axis.
  function byColumn(data, type) {
    return {
      labels: data.rows.map(function (row) { return row[0].text; }),
      datasets: drawnColumns(data).map(function (column, index) {
        return {
          type: type, label: data.headers[column].text,
          data: data.rows.map(function (row) { return scaled(row[column], data.headers[column]); }),
          backgroundColor: colour(index), borderColor: colour(index)
        };
      })
    };
  }

  // One dataset per row (a list, a campaign), the drawn columns (the funnel's steps) along x.
  function byRow(data) {
    var columns = drawnColumns(data);
    return {
      labels: columns.map(function (column) { return data.headers[column].text; }),
      datasets: data.rows.map(function (row, index) {
        return {
          label: row[0].text,
          data: columns.map(function (column) { return scaled(row[column], data.headers[column]); }),
          backgroundColor: colour(index), borderColor: colour(index)
        };
      })
    };
  }

  // Registrations per day as bars, each day a campaign left marked on the axis.
  function timeline(data) {
    var chart = byColumn(data, "bar");
    var launches = data.headers.findIndex(function (header) { return header.text_kind; });
    if (launches >= 0) {
      chart.datasets.push({
        type: "line", label: data.headers[launches].text, showLine: false,
        pointStyle: "triangle", pointRadius: 9, pointHoverRadius: 11,
        backgroundColor: COLOURS[5], borderColor: COLOURS[5],
        data: data.rows.map(function (row) { return row[launches].text ? 0 : null; }),
        names: data.rows.map(function (row) { return row[launches].text; })
      });
    }
    return chart;
  }

  function draw(table) {
    var holder = document.getElementById(table.getAttribute("data-chart-in"));
    if (!holder || typeof Chart === "undefined") { return; }
    var kind = table.getAttribute("data-chart");
    var data = readTable(table);
    if (!data.rows.length) { return; }
    var chart = kind === "grouped" ? byRow(data)
      : kind === "timeline" ? timeline(data)
      : byColumn(data, kind === "line" ? "line" : "bar");
    var percent = data.headers.some(function (header) { return header.drawn && header.percent; });
    var horizontal = table.getAttribute("data-axis") === "y";
    var scales = {};
    // The axis of the values (across the bars when they lie): counts of people have no
    // fractions, so whole-number ticks only; percentages say so.
    scales[horizontal ? "x" : "y"] = { beginAtZero: true, ticks: { precision: percent ? 1 : 0,
      callback: function (value) { return percent ? value + " %" : value; } } };
    var canvas = document.createElement("canvas");
    holder.appendChild(canvas);
    holder.hidden = false;
    new Chart(canvas, {
      type: kind === "line" ? "line" : "bar",
      data: chart,
      options: {
        animation: false,
        maintainAspectRatio: false,
        locale: document.documentElement.lang || "fr",
        indexAxis: horizontal ? "y" : "x",
        scales: scales,
        plugins: {
          legend: { display: chart.datasets.length > 1 },
          tooltip: { callbacks: { label: function (item) {
            var names = item.dataset.names;
            if (names) { return names[item.dataIndex]; }
            return item.dataset.label + " : " + item.formattedValue + (percent ? " %" : "");
          } } }
        }
      }
    });
  }

  function drawAll() {
    Array.prototype.forEach.call(document.querySelectorAll("table[data-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();

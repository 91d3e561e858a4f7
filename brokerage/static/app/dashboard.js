// Draws the dashboard's charts (Chart.js) and zone map (Leaflet, without
// tiles) from the JSON that each page embeds with json_script. Every chart
// and map has a table of the same numbers on the page.
(function () {
  "use strict";

  var COLOURS = ["#1d70b8", "#f47738", "#00703c", "#d4351c", "#4c2c92", "#505a5f"];

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function drawChart(canvas) {
    var spec = readJson(canvas.dataset.chart);
    if (!spec || typeof window.Chart === "undefined") {
      return;
    }
    var datasets = spec.datasets.map(function (dataset, index) {
      // A target line is dashed, in the colour of the series it is the target for.
      var target = typeof dataset.target_of === "number";
      var colour = COLOURS[(target ? dataset.target_of : index) % COLOURS.length];
      return {
        label: dataset.label,
        yAxisID: dataset.axis === "right" ? "right" : "y",
        data: dataset.data,
        backgroundColor: colour,
        borderColor: colour,
        borderDash: target ? [6, 4] : [],
        borderWidth: target ? 1.5 : 2,
        pointRadius: target ? 0 : 3,
        spanGaps: true,
        fill: false
      };
    });
    var scale = { beginAtZero: true };
    if (spec.max) {
      scale.max = spec.max;
    }
    var scales = { y: scale };
    // A series counted in other units (people beside hours) gets a scale of its own.
    if (spec.datasets.some(function (dataset) { return dataset.axis === "right"; })) {
      scales.right = {
        position: "right",
        beginAtZero: true,
        ticks: { precision: 0 },
        grid: { drawOnChartArea: false }
      };
    }
    canvas.chart = new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: scales,
        plugins: { legend: { position: "bottom" } }
      }
    });
  }

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = String(text);
    return div.innerHTML;
  }

  function drawMap(element) {
    var spec = readJson(element.dataset.map);
    if (!spec || typeof window.L === "undefined" || spec.zones.length === 0) {
      return;
    }
    var zones = spec.zones;
    var map = window.L.map(element, {
      attributionControl: false,
      preferCanvas: zones.length > 200,
      zoomSnap: 0.25
    });
    var largest = Math.max.apply(null, zones.map(function (z) { return z.hours; }).concat([1]));
    var labelled = zones.length <= 40;
    var bounds = [];
    zones.forEach(function (zone) {
      var point = [zone.lat, zone.lon];
      bounds.push(point);
      var empty = zone.hours === 0;
      var circle = window.L.circleMarker(point, {
        radius: empty ? 4 : 6 + 30 * Math.sqrt(zone.hours / largest),
        color: empty ? "#505a5f" : "#1d70b8",
        weight: 2,
        fillColor: empty ? "#ffffff" : "#1d70b8",
        fillOpacity: empty ? 0.6 : 0.35
      }).addTo(map);
      var summary = escapeHtml(zone.name) + " (" + escapeHtml(zone.zone) + "): " +
        zone.packages + " open, " + zone.hours + " hours, " + zone.people + " people";
      circle.bindTooltip(labelled ? escapeHtml(zone.zone) : summary, {
        permanent: labelled,
        direction: "top",
        offset: [0, -4]
      });
      var href = spec.packages_href + encodeURIComponent(zone.zone);
      circle.bindPopup(summary + '<br><a href="' + escapeHtml(href) +
        '">Open packages in ' + escapeHtml(zone.zone) + "</a>");
    });
    map.fitBounds(bounds, { padding: [60, 60], maxZoom: 10 });
    // The map is one tab stop: Leaflet's container takes the keys (arrows move, + and -
    // zoom), so its zoom buttons leave the tab order rather than add two more.
    element.querySelectorAll(".leaflet-control-zoom a").forEach(function (button) {
      button.setAttribute("tabindex", "-1");
    });
    element.map = map;
  }

  function start() {
    document.querySelectorAll("canvas[data-chart]").forEach(drawChart);
    document.querySelectorAll("[data-map]").forEach(drawMap);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

/* The console's only script besides htmx and plotly.js (no inline script: see the
   Content-Security-Policy). It draws charts from their JSON data blocks and asks
   before destructive forms submit. */
(function () {
  "use strict";

  function drawCharts(root) {
    if (!window.Plotly) {
      return;
    }
    root.querySelectorAll("[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-figure"));
      if (!source || el.getAttribute("data-drawn") === "1") {
        return;
      }
      var spec = JSON.parse(source.textContent);
      el.setAttribute("data-drawn", "1");
      window.Plotly.newPlot(el, spec.figure.data, spec.figure.layout, spec.config);
    });
  }

  // A form (or a button in it) with data-confirm asks first; cancelling stops
  // the plain submit and htmx's alike (capture phase, before htmx sees it).
  function confirmFirst(event) {
    var form = event.target;
    var submitter = event.submitter;
    var question =
      (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }

  document.addEventListener("submit", confirmFirst, true);
  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    drawCharts(event.target);
  });
})();

// The dashboard's map: each village drawn as its grids (GeoJSON, no tile layer, so nothing is loaded from
// another host), coloured by the figure the reader picks. Data comes from a json_script block named by the
// element's data-map attribute; no inline script, so the Content Security Policy holds.
(function () {
  "use strict";
  if (!window.L) { return; }
  var RAMP = ["#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850"]; // worse → better for rates
  var COUNT_RAMP = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#e6550d", "#a63603"]; // fewer → more
  var NO_DATA = "#d9d9d9";

  // The data is either on the page (a json_script block named by data-map) or, for a large map, fetched from
  // data-map-url (same origin) so the page itself stays small and is drawn at once.
  document.querySelectorAll("[data-map], [data-map-url]").forEach(function (el) {
    if (el.dataset.mapUrl) {
      fetch(el.dataset.mapUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error("map data: HTTP " + response.status); }
          return response.json();
        })
        .then(function (data) { draw(el, data); })
        .catch(function (error) { el.dataset.error = String(error); });
    } else {
      draw(el, JSON.parse(document.getElementById(el.dataset.map).textContent));
    }
  });

  function draw(el, data) {
    var select = document.getElementById(el.dataset.figureSelect);
    var figures = {};
    Array.prototype.forEach.call(select.options, function (o) { figures[o.value] = o.textContent; });
    var figure = select.value;
    var kinds = {};
    var breaks = [];

    function isRate() { return figure !== "petitions.received"; }
    function valueOf(feature) { return feature.properties.values[figure]; }
    function format(v) { return isRate() ? Math.round(v * 100) + "%" : String(Math.round(v * 10) / 10); }

    function classes() {
      if (isRate()) { return [0, 0.6, 0.8, 0.9, 0.95, 1.0000001]; }
      var values = data.features.features.map(valueOf).filter(function (v) { return v !== null && v !== undefined; })
        .sort(function (a, b) { return a - b; });
      if (!values.length) { return [0, 1]; }
      var cuts = [values[0]];
      for (var k = 1; k < 5; k++) {
        var q = values[Math.floor((k * values.length) / 5)];
        if (q > cuts[cuts.length - 1]) { cuts.push(q); }
      }
      cuts.push(values[values.length - 1] + 0.001);
      return cuts;
    }
    function shade(i) {
      var ramp = isRate() ? RAMP : COUNT_RAMP;
      var n = breaks.length - 1;
      return ramp[n === 1 ? 2 : Math.round((i * 4) / (n - 1))];
    }
    function colour(v) {
      if (v === null || v === undefined) { return NO_DATA; }
      for (var i = 0; i < breaks.length - 1; i++) { if (v < breaks[i + 1]) { return shade(i); } }
      return shade(breaks.length - 2);
    }
    function style(feature) {
      return { color: "#555", weight: 0.6, opacity: 0.9, fillColor: colour(valueOf(feature)), fillOpacity: 0.8 };
    }
    // Names are data typed by people: text nodes, never HTML.
    function tooltip(feature) {
      var p = feature.properties;
      var div = document.createElement("div");
      div.appendChild(document.createElement("strong")).textContent = p.name;
      div.appendChild(document.createElement("br"));
      div.appendChild(document.createTextNode(figures[figure] + ": " + (p.details[figure] || data.labels.no_data)));
      return div;
    }

    breaks = classes();
    var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, scrollWheelZoom: false });
    var layer = L.geoJSON(data.features, {
      style: style,
      onEachFeature: function (feature, path) {
        path.bindTooltip(function () { return tooltip(feature); }, { sticky: true });
        path.on("click", function () { window.location.href = feature.properties.url; });
        path.on("mouseover", function () { path.setStyle({ weight: 2.5, color: "#b71c1c" }); });
        path.on("mouseout", function () { layer.resetStyle(path); });
      },
    }).addTo(map);
    function fit() {
      var bounds = layer.getBounds();
      if (data.features.features.length && bounds.isValid()) { map.fitBounds(bounds, { padding: [8, 8] }); }
      else { map.setView([33.6, 114.0], 10); }
    }
    fit();

    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () { this.div = L.DomUtil.create("div", "sz-legend"); this.update(); return this.div; };
    function row(div, c, text) {
      var line = L.DomUtil.create("div", "", div);
      var swatch = L.DomUtil.create("span", "sz-swatch", line);
      swatch.style.background = c; // set through the DOM: a style attribute in markup would break the CSP
      line.appendChild(document.createTextNode(text));
    }
    legend.update = function () {
      var div = this.div;
      div.textContent = "";
      L.DomUtil.create("strong", "", div).textContent = figures[figure];
      for (var i = breaks.length - 2; i >= 0; i--) {
        var high = isRate() ? Math.min(breaks[i + 1], 1) : breaks[i + 1];
        row(div, shade(i), format(breaks[i]) + "–" + format(high));
      }
      row(div, NO_DATA, data.labels.no_data);
    };
    legend.addTo(map);

    select.addEventListener("change", function () {
      figure = select.value;
      breaks = classes();
      layer.setStyle(style);
      legend.update();
    });
    // A map drawn while hidden or at another width is redrawn to fit the page, on screen and in print.
    // Only when the element has a size: fitting bounds into a 0×0 box gives NaN coordinates.
    function refit() {
      if (!el.clientWidth || !el.clientHeight) { return; }
      map.invalidateSize();
      fit();
    }
    window.addEventListener("resize", refit);
    window.addEventListener("beforeprint", refit);
    el.dataset.drawn = String(data.features.features.length);
  }
})();

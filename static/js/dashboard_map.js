// The dashboard's map: each village drawn as its grids and each township as an outline with its name (GeoJSON, no tile layer, so nothing is loaded from
// another host), coloured by the figure the reader picks. Data comes from a json_script block named by the
// element's data-map attribute; no inline script, so the Content Security Policy holds.
(function () {
  "use strict";
  if (!window.L) { return; }
  var RAMP = ["#d73027", "#fc8d59", "#fee08b", "#91cf60", "#1a9850"]; // worse → better for rates
  var COUNT_RAMP = ["#fff5eb", "#fdd0a2", "#fd8d3c", "#e6550d", "#a63603"]; // fewer → more
  var NO_DATA = "#d9d9d9";
  var TOO_FEW = "#f5f5f5";

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

    // Classes come with the data (grids.maps: quantiles of the villages' figures); a village with too few cases
    // is drawn hatched grey as "too few to rate", one without the figure plain grey.
    function bins() { return data.bins[figure] || { labels: [], better: "higher" }; }
    function shade(i) {
      var b = bins();
      var n = b.labels.length;
      var ramp = b.better === "higher" ? RAMP : COUNT_RAMP;
      return ramp[n <= 1 ? 2 : Math.round((i * 4) / (n - 1))];
    }
    function colour(feature) {
      var c = feature.properties.classes[figure];
      if (c === "too_few") { return TOO_FEW; }
      if (c === null || c === undefined) { return NO_DATA; }
      return shade(c);
    }
    function style(feature) {
      var few = feature.properties.classes[figure] === "too_few";
      return {
        color: "#555", weight: 0.6, opacity: 0.9, fillColor: colour(feature), fillOpacity: few ? 0.5 : 0.8,
        dashArray: few ? "3 3" : null,
      };
    }
    // Names are data typed by people: text nodes, never HTML.
    function tooltip(feature) {
      var p = feature.properties;
      var div = document.createElement("div");
      div.appendChild(document.createElement("strong")).textContent = p.name;
      div.appendChild(document.createElement("br"));
      div.appendChild(document.createTextNode(figures[figure] + ": " + (p.details[figure] || data.labels.no_data)));
      if (p.classes[figure] === "too_few") {
        div.appendChild(document.createElement("br"));
        div.appendChild(document.createTextNode(data.labels.too_few));
      }
      return div;
    }

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
    // Townships: their outlines over the villages (not clickable) and their names, always shown.
    var townships = data.townships || { type: "FeatureCollection", features: [] };
    L.geoJSON(townships, {
      interactive: false,
      style: function () { return { color: "#263238", weight: 2.2, opacity: 0.9, fill: false }; },
    }).addTo(map);
    townships.features.forEach(function (t) {
      var c = t.properties.centre;
      L.tooltip({ permanent: true, direction: "center", className: "sz-map-label sz-map-township", interactive: false })
        .setLatLng([c[1], c[0]]).setContent(t.properties.name).addTo(map);
    });
    // Village names only when zoomed in past the whole-county view: at that view they would cover the map.
    var villageNames = L.layerGroup();
    layer.eachLayer(function (path) {
      var centre = path.getBounds().getCenter();
      villageNames.addLayer(
        L.tooltip({ permanent: true, direction: "center", className: "sz-map-label sz-map-village", interactive: false })
          .setLatLng(centre).setContent(path.feature.properties.name)
      );
    });
    var fitted = null;
    function names() {
      var show = fitted !== null && map.getZoom() >= fitted + 1;
      if (show && !map.hasLayer(villageNames)) { villageNames.addTo(map); }
      if (!show && map.hasLayer(villageNames)) { map.removeLayer(villageNames); }
    }
    map.on("zoomend", names);
    function fit() {
      var bounds = layer.getBounds();
      if (data.features.features.length && bounds.isValid()) { map.fitBounds(bounds, { padding: [8, 8] }); }
      else { map.setView([33.6, 114.0], 10); }
      fitted = map.getZoom();
      names();
    }
    fit();

    var legend = L.control({ position: "bottomright" });
    legend.onAdd = function () {
      this.div = L.DomUtil.create("div", "sz-legend");
      L.DomEvent.disableClickPropagation(this.div);
      this.update();
      return this.div;
    };
    function row(div, c, text, few) {
      var line = L.DomUtil.create("div", "", div);
      var swatch = L.DomUtil.create("span", "sz-swatch" + (few ? " sz-swatch-few" : ""), line);
      swatch.style.background = c; // set through the DOM: a style attribute in markup would break the CSP
      line.appendChild(document.createTextNode(text));
    }
    legend.update = function () {
      var div = this.div;
      div.textContent = "";
      L.DomUtil.create("strong", "", div).textContent = figures[figure];
      var labels = bins().labels;
      for (var i = labels.length - 1; i >= 0; i--) { row(div, shade(i), labels[i]); }
      row(div, TOO_FEW, data.labels.too_few, true);
      row(div, NO_DATA, data.labels.no_data);
      L.DomUtil.create("div", "sz-legend-note", div).textContent = data.labels.legend_note;
    };
    legend.addTo(map);

    select.addEventListener("change", function () {
      figure = select.value;
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

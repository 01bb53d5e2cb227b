// Grid maps: GeoJSON outlines drawn by Leaflet on a plain background (no tile layer, so it works offline),
// coloured by the figure the user picks, with a legend. Data comes from json_script blocks named by data-*
// attributes on the map element; no inline script, so a strict Content Security Policy holds.
(function () {
  "use strict";

  var el = document.getElementById("grid-map");
  if (!el || !window.L) {
    return;
  }
  var data = JSON.parse(document.getElementById(el.dataset.features).textContent);
  var labels = JSON.parse(document.getElementById(el.dataset.labels).textContent);
  var select = el.dataset.figureSelect ? document.getElementById(el.dataset.figureSelect) : null;
  var single = el.dataset.single === "true";
  var figure = select ? select.value : "households";

  // Sequential ColorBrewer ramps: more households or requests read darker; better coverage reads greener.
  var RAMPS = {
    households: ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
    open_requests: ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"],
    coverage: ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"],
  };
  var NO_DATA = "#d9d9d9";

  function valueOf(feature) {
    return feature.properties[figure];
  }

  function format(value) {
    if (figure === "coverage") {
      return Math.round(value * 100) + "%";
    }
    return String(Math.round(value));
  }

  // Up to five classes: fixed fifths for coverage; quintiles for counts, so a few large grids do not leave
  // all the others in the palest class.
  function classes() {
    if (figure === "coverage") {
      return [0, 0.2, 0.4, 0.6, 0.8, 1.0000001];
    }
    var values = data.features
      .map(valueOf)
      .filter(function (v) {
        return v !== null && v !== undefined;
      })
      .sort(function (a, b) {
        return a - b;
      });
    if (!values.length) {
      return [0, 1];
    }
    var cuts = [values[0]];
    for (var k = 1; k < 5; k++) {
      var q = values[Math.floor((k * values.length) / 5)];
      if (q > cuts[cuts.length - 1]) {
        cuts.push(q);
      }
    }
    cuts.push(values[values.length - 1] + 1);
    return cuts;
  }

  var breaks = classes();

  // With fewer than five classes, their colours are spread over the whole ramp.
  function shade(i) {
    var n = breaks.length - 1;
    return RAMPS[figure][n === 1 ? 2 : Math.round((i * 4) / (n - 1))];
  }

  function colour(value) {
    if (value === null || value === undefined) {
      return NO_DATA;
    }
    for (var i = 0; i < breaks.length - 1; i++) {
      if (value < breaks[i + 1]) {
        return shade(i);
      }
    }
    return shade(breaks.length - 2);
  }

  function style(feature) {
    return {
      color: "#444",
      weight: 1,
      opacity: 0.9,
      fillColor: colour(valueOf(feature)),
      fillOpacity: 0.75,
    };
  }

  // Names are data typed by people: text nodes, never HTML.
  function tooltip(feature) {
    var p = feature.properties;
    var v = valueOf(feature);
    var div = document.createElement("div");
    var title = div.appendChild(document.createElement("strong"));
    title.textContent = p.village + " · " + p.name;
    div.appendChild(document.createElement("br"));
    div.appendChild(document.createTextNode(labels[figure] + ": " + (v === null ? labels.no_data : format(v))));
    return div;
  }

  var map = L.map(el, { attributionControl: false, zoomSnap: 0.25, scrollWheelZoom: !single });
  var layer = L.geoJSON(data, {
    style: style,
    onEachFeature: function (feature, path) {
      path.bindTooltip(function () {
        return tooltip(feature);
      }, { sticky: true });
      if (!single) {
        path.on("click", function () {
          window.location.href = feature.properties.url;
        });
        path.on("mouseover", function () {
          path.setStyle({ weight: 3, color: "#b71c1c" });
        });
        path.on("mouseout", function () {
          layer.resetStyle(path);
        });
      }
    },
  }).addTo(map);

  if (data.features.length) {
    map.fitBounds(layer.getBounds(), { padding: [12, 12] });
  } else {
    map.setView([33.6, 114.0], 11);
  }

  var legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    this.div = L.DomUtil.create("div", "sz-legend");
    this.update();
    return this.div;
  };
  // Built node by node, with colours set through the DOM: style attributes in markup would break a strict CSP.
  function legendRow(div, colourValue, text) {
    var row = L.DomUtil.create("div", "", div);
    var swatch = L.DomUtil.create("span", "sz-swatch", row);
    swatch.style.background = colourValue;
    row.appendChild(document.createTextNode(text));
  }
  legend.update = function () {
    var div = this.div;
    div.textContent = "";
    L.DomUtil.create("strong", "", div).textContent = labels[figure];
    for (var i = 0; i < breaks.length - 1; i++) {
      var low = breaks[i];
      var high = breaks[i + 1];
      var range;
      if (figure === "coverage") {
        range = format(low) + "–" + format(Math.min(high, 1));
      } else {
        range = high - 1 > low ? low + "–" + (high - 1) : String(low);
      }
      legendRow(div, shade(i), range);
    }
    legendRow(div, NO_DATA, labels.no_data);
  };
  if (!single) {
    legend.addTo(map);
  }

  if (select) {
    select.addEventListener("change", function () {
      figure = select.value;
      breaks = classes();
      layer.setStyle(style);
      legend.update();
      var url = new URL(window.location.href);
      url.searchParams.set("figure", figure);
      window.history.replaceState(null, "", url);
    });
  }
  el.dataset.drawn = String(data.features.length);
})();

/* The residents' report form, enhanced: a two-step category picker, "use my
   location" and a map to tap. Without this script the form still works: one
   grouped category list and an address. Texts come from data-* attributes,
   translated by the template. */
(function () {
  "use strict";
  var form = document.getElementById("public-report");
  if (!form) { return; }

  // --- Category: first the kind of thing (大类), then the item (小类) ---------
  var original = form.querySelector("select[name=category]");
  var picker = form.querySelector(".category-picker");
  var hint = document.getElementById("emergency-hint");

  function option(value, text) {
    var o = document.createElement("option");
    o.value = value;
    o.textContent = text;
    return o;
  }

  function setupCategories() {
    if (!original || !picker) { return; }
    var texts = picker.dataset;
    var groups = [];
    var byCode = {};
    Array.prototype.forEach.call(original.options, function (o) {
      if (!o.value) { return; }
      var code = o.dataset.group;
      if (!byCode[code]) {
        byCode[code] = { code: code, name: o.dataset.groupName, kind: o.dataset.kind, items: [] };
        groups.push(byCode[code]);
      }
      byCode[code].items.push(o);
    });
    var first = document.createElement("select");
    var second = document.createElement("select");
    first.id = "category-group";
    second.id = "category-item";
    first.setAttribute("aria-label", texts.labelGroup);
    second.setAttribute("aria-label", texts.labelItem);
    first.appendChild(option("", texts.choose));
    [["problem", texts.problems], ["service", texts.services]].forEach(function (kind) {
      var optgroup = document.createElement("optgroup");
      optgroup.label = kind[1];
      groups.forEach(function (g) {
        if (g.kind === kind[0]) { optgroup.appendChild(option(g.code, g.name)); }
      });
      if (optgroup.children.length) { first.appendChild(optgroup); }
    });

    function fillItems(code, selected) {
      second.innerHTML = "";
      second.appendChild(option("", texts.choose));
      var group = byCode[code];
      second.hidden = !group;
      if (!group) { return; }
      group.items.forEach(function (o) {
        var item = option(o.value, o.textContent);
        item.selected = o.value === selected;
        second.appendChild(item);
      });
      if (group.items.length === 1) { second.value = group.items[0].value; }
    }

    function sync() {
      original.value = second.value;
      var chosen = original.options[original.selectedIndex];
      if (hint) { hint.classList.toggle("alert", !!(chosen && chosen.dataset.emergency)); }
    }

    first.addEventListener("change", function () { fillItems(first.value, ""); sync(); });
    second.addEventListener("change", sync);
    var current = original.options[original.selectedIndex];
    if (current && current.value) {
      first.value = current.dataset.group;
      fillItems(current.dataset.group, current.value);
    } else {
      fillItems("", "");
    }
    original.hidden = true;
    original.removeAttribute("required");
    // The label now names the first step.
    var label = picker.querySelector("label[for=" + original.id + "]");
    if (label) { label.htmlFor = first.id; }
    original.parentNode.insertBefore(first, original);
    original.parentNode.insertBefore(second, original);
    sync();
  }

  // --- Location: "use my location", or a tap on the map ----------------------
  var locate = document.getElementById("locate");
  var lat = form.querySelector("input[name=latitude]");
  var lon = form.querySelector("input[name=longitude]");
  var status = document.getElementById("location-status");
  var clear = document.getElementById("clear-location");
  var map = null;
  var marker = null;
  var grids = [];

  // Ray casting over a GeoJSON polygon's rings (holes included).
  function inRing(x, y, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }

  function gridAt(x, y) {
    for (var k = 0; k < grids.length; k++) {
      var g = grids[k].geometry;
      var polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      for (var p = 0; p < polygons.length; p++) {
        var hit = false;
        for (var r = 0; r < polygons[p].length; r++) {
          if (inRing(x, y, polygons[p][r])) { hit = !hit; }
        }
        if (hit) { return grids[k].properties.name; }
      }
    }
    return null;
  }

  function showPoint(y, x) {
    var where = gridAt(x, y);
    status.textContent = locate.dataset.located + " " + y.toFixed(5) + ", " + x.toFixed(5) +
      (where ? " · " + where : grids.length ? " · " + locate.dataset.outside : "");
    clear.hidden = false;
    if (map) {
      if (marker) { marker.setLatLng([y, x]); } else {
        marker = window.L.circleMarker([y, x], { radius: 9, color: "#b71c1c", weight: 3, fillOpacity: 0.6 }).addTo(map);
      }
    }
  }

  function setPoint(y, x, pan) {
    lat.value = y.toFixed(6);
    lon.value = x.toFixed(6);
    showPoint(y, x);
    if (map && pan) { map.setView([y, x], Math.max(map.getZoom(), 15)); }
  }

  function clearPoint() {
    lat.value = "";
    lon.value = "";
    status.textContent = "";
    clear.hidden = true;
    if (marker) { marker.remove(); marker = null; }
  }

  function setupMap() {
    var element = document.getElementById("pick-map");
    if (!window.L || !element || !window.fetch) { element.hidden = true; return; }
    var tiles = locate.dataset.tileUrl;
    map = window.L.map(element, { attributionControl: false, zoomSnap: 0.5 });
    if (tiles) { window.L.tileLayer(tiles, { maxZoom: 18 }).addTo(map); }
    var centre = (locate.dataset.centre || "").split(",").map(parseFloat);
    // The town's centre if known, else China, until the grids are drawn.
    map.setView(centre.length === 2 && !isNaN(centre[0]) ? centre : [35, 105], centre.length === 2 ? 13 : 4);
    map.on("click", function (event) { setPoint(event.latlng.lat, event.latlng.lng, false); });
    fetch(locate.dataset.gridsUrl, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { features: [] }; })
      .then(function (data) {
        grids = data.features || [];
        if (!grids.length && !tiles) { element.hidden = true; map = null; return; }
        var layer = window.L.geoJSON(data, {
          style: { color: "#b71c1c", weight: 1, fillOpacity: 0.04 },
          onEachFeature: function (feature, shape) { shape.bindTooltip(feature.properties.name, { sticky: true }); }
        }).addTo(map);
        // A tap on a grid is a tap on the map.
        layer.on("click", function (event) { setPoint(event.latlng.lat, event.latlng.lng, false); });
        if (lat.value && lon.value) {
          map.setView([parseFloat(lat.value), parseFloat(lon.value)], 15);
          showPoint(parseFloat(lat.value), parseFloat(lon.value));
        } else if (grids.length) {
          map.fitBounds(layer.getBounds());
        }
      })
      .catch(function () { element.hidden = true; map = null; });
  }

  function setupLocation() {
    if (!locate || !lat || !lon) { return; }
    locate.hidden = false;
    var button = document.getElementById("use-location");
    if (!navigator.geolocation) { button.hidden = true; } else {
      button.addEventListener("click", function () {
        status.textContent = locate.dataset.locating;
        navigator.geolocation.getCurrentPosition(
          function (position) { setPoint(position.coords.latitude, position.coords.longitude, true); },
          function () { status.textContent = locate.dataset.failed; },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
        );
      });
    }
    clear.addEventListener("click", clearPoint);
    setupMap();
    if (lat.value && lon.value) { showPoint(parseFloat(lat.value), parseFloat(lon.value)); }
  }

  // --- One tap sends once (the server would answer a second send with the same case anyway).
  var submit = form.querySelector("button[type=submit]");
  var label = submit.textContent;
  form.addEventListener("submit", function () {
    window.setTimeout(function () {
      submit.disabled = true;
      submit.textContent = submit.dataset.sending;
    }, 0);
  });
  // Back to a page the browser kept: the button works again.
  window.addEventListener("pageshow", function () {
    submit.disabled = false;
    submit.textContent = label;
  });

  setupCategories();
  setupLocation();
})();

// Field work: the phone's GPS into the visit and check-in forms, "nearest first
// from my position" on the lists, and the service stations' map.
(function () {
  "use strict";

  function locate(done, fail) {
    if (!navigator.geolocation) { fail(); return; }
    navigator.geolocation.getCurrentPosition(
      function (pos) { done(pos.coords); },
      fail,
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 }
    );
  }

  function fillForm(form) {
    var lat = form.querySelector("input[name=latitude]");
    var lon = form.querySelector("input[name=longitude]");
    var status = form.querySelector(".gps-status");
    if (!lat || !lon) return;
    locate(function (c) {
      lat.value = c.latitude.toFixed(6);
      lon.value = c.longitude.toFixed(6);
      if (status) {
        status.textContent = "GPS ✓ " + lat.value + ", " + lon.value + " (±" + Math.round(c.accuracy) + " m)";
        status.classList.remove("warn");
        status.dataset.ready = "1";
      }
    }, function () {
      if (status) status.classList.add("warn");
    });
  }

  function reloadWithPosition(button) {
    locate(function (c) {
      var url = new URL(window.location.href);
      url.searchParams.set("lat", c.latitude.toFixed(6));
      url.searchParams.set("lon", c.longitude.toFixed(6));
      window.location.assign(url.toString());
    }, function () {
      button.textContent = button.dataset.fail || "GPS?";
    });
  }

  function stationsMap(el) {
    if (!window.L) return;
    var map = L.map(el, { preferCanvas: true, minZoom: 8, maxZoom: 18 });
    if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, { maxZoom: 18 }).addTo(map);
    fetch(el.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        // Set the view before adding layers: a circle in metres needs a zoom.
        var bounds = data.stations.map(function (s) { return [s.lat, s.lon]; }).concat(data.outside);
        if (bounds.length) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 16 });
        else map.setView([34.13, 111.95], 11);
        data.stations.forEach(function (s) {
          L.circle([s.lat, s.lon], { radius: data.radius_m, color: "#2e7d32", weight: 1, fillOpacity: 0.12 }).addTo(map);
          L.circleMarker([s.lat, s.lon], { radius: 7, color: "#1b5e20", fillOpacity: 0.9 })
            .bindPopup(s.name + (s.hours ? "<br>" + s.hours : ""))
            .addTo(map);
        });
        data.outside.forEach(function (p) {
          L.circleMarker(p, { radius: 3, color: "#c62828", weight: 0, fillOpacity: 0.8 }).addTo(map);
        });
        var summary = document.getElementById("outside-summary");
        if (summary) {
          summary.textContent = summary.dataset.template
            .replace("{outside}", data.outside.length)
            .replace("{total}", data.households);
        }
        el.dataset.loaded = "1";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.fw-form").forEach(fillForm);
    document.querySelectorAll("[data-gps-reload]").forEach(function (button) {
      button.addEventListener("click", function () { reloadWithPosition(button); });
    });
    var map = document.getElementById("stations-map");
    if (map) stationsMap(map);
  });
})();

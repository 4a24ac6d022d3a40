// wangge field helpers: GPS into hidden fields, the case map, and report forms
// that survive a lost connection (kept in localStorage, retried with the same
// Idempotency-Key, so a retry never makes a second case).
(function () {
  "use strict";

  function fillPosition(form) {
    var lat = form.querySelector("input[name=latitude]");
    var lon = form.querySelector("input[name=longitude]");
    var status = form.querySelector(".gps-status");
    if (!lat || !lon || !navigator.geolocation) return;
    navigator.geolocation.getCurrentPosition(
      function (pos) {
        lat.value = pos.coords.latitude.toFixed(6);
        lon.value = pos.coords.longitude.toFixed(6);
        if (status) status.textContent = "GPS ✓ " + lat.value + ", " + lon.value + " (±" + Math.round(pos.coords.accuracy) + " m)";
      },
      function () {
        if (status) status.classList.add("warn");
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  }

  function keepDraft(form) {
    var key = "wangge-draft-" + form.dataset.keep;
    var fields = form.querySelectorAll("input:not([type=file]):not([name=csrfmiddlewaretoken]), textarea, select");
    var saved = null;
    try { saved = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
    if (saved) {
      fields.forEach(function (f) { if (saved[f.name] !== undefined && f.type !== "hidden" || f.name === "idempotency_key") { if (saved[f.name] !== undefined) f.value = saved[f.name]; } });
    }
    function save() {
      var data = {};
      fields.forEach(function (f) { data[f.name] = f.value; });
      localStorage.setItem(key, JSON.stringify(data));
    }
    form.addEventListener("input", save);
    save();
    var status = document.createElement("p");
    status.className = "muted";
    form.appendChild(status);

    function send() {
      var body = new FormData(form);
      return fetch(form.action || window.location.href, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) {
          localStorage.removeItem(key);
          // Show the page fetch was redirected to rather than loading its address
          // again: that page carries the one-time "reported" message.
          return response.text().then(function (html) {
            if (response.redirected) { history.replaceState(null, "", response.url); }
            document.open(); document.write(html); document.close();
            window.scrollTo(0, 0);
          });
        });
    }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      status.textContent = "…";
      send().catch(function () {
        status.textContent = form.dataset.offline || "No connection: saved, will send again automatically.";
        status.classList.add("warn");
        var retry = function () { send().catch(function () { setTimeout(retry, 15000); }); };
        window.addEventListener("online", retry, { once: true });
        setTimeout(retry, 15000);
      });
    });
  }

  function showMap(el) {
    if (!window.L) return;
    var lat = parseFloat(el.dataset.lat), lon = parseFloat(el.dataset.lon);
    var map = L.map(el).setView([lat, lon], 15);
    if (el.dataset.tiles) L.tileLayer(el.dataset.tiles, { maxZoom: 18 }).addTo(map);
    L.circleMarker([lat, lon], { radius: 9, color: "#b71c1c", fillOpacity: 0.8 }).addTo(map);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("input[name=latitude]")) fillPosition(form);
      if (form.dataset.keep) keepDraft(form);
    });
    var map = document.getElementById("map");
    if (map) showMap(map);
  });
})();

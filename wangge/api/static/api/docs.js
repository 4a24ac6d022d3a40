// Swagger UI for /api/v1/docs: settings from the page, the session's CSRF token on writes.
(function () {
  "use strict";
  var settings = JSON.parse(document.getElementById("swagger-settings").textContent);
  var csrf = document.body.dataset.csrfToken;
  settings.dom_id = "#swagger-ui";
  settings.presets = [window.SwaggerUIBundle.presets.apis];
  settings.requestInterceptor = function (request) {
    if (csrf && request.method && request.method.toUpperCase() !== "GET") {
      request.headers["X-CSRFToken"] = csrf;
    }
    return request;
  };
  window.SwaggerUIBundle(settings);
})();

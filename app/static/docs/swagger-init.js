// Starts Swagger UI on /docs. It lives in a file of its own, not an inline <script> as
// FastAPI's get_swagger_ui_html writes it, because the Content-Security-Policy allows
// scripts from this server only (script-src 'self').
"use strict";

(function start() {
  const root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    // null: do not send the schema to the public validator (no request leaves the server).
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();

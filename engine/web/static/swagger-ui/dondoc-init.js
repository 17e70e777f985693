// dondoc: starts the bundled Swagger UI on the app's own OpenAPI document (no CDN, no inline
// script: the page's Content-Security-Policy allows scripts from this server only).
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
})();

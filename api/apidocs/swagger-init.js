// Starts Swagger UI on the ledger's own OpenAPI document. A file of its own, not an inline
// script: the page's Content-Security-Policy allows scripts from this server only.
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});

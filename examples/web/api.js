// The API's reference, live: Swagger UI reads the running proxy's own GET /openapi.json, so it
// shows (and sends) exactly what that stage's model takes. The proxy is the one the demo page
// last used, or ?api=<base URL> (make run's banner gives it).
"use strict";

const apiBase = (
  new URLSearchParams(window.location.search).get("api") ||
  localStorage.getItem("sagemaker-proxy.apiUrl") ||
  "http://127.0.0.1:8000"
).replace(/\/+$/, "");

window.ui = SwaggerUIBundle({
  url: `${apiBase}/openapi.json`,
  dom_id: "#swagger-ui",
  tryItOutEnabled: true,
  validatorUrl: null, // the public validator badge would call out of the machine
});

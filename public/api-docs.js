// Starts Swagger UI on /api/docs. A file rather than an inline script, so the page keeps the app's CSP.
window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true });

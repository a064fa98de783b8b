// The API docs page: replace the server-rendered list of operations with Swagger UI (from /vendor/),
// reading the OpenAPI document named by the container's data-spec-url. Without the library, the list stays.
(function () {
  "use strict";
  var container = document.getElementById("swagger-ui");
  if (!container || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  var specUrl = container.getAttribute("data-spec-url");
  var csrf = container.getAttribute("data-csrf");
  container.textContent = "";
  window.SwaggerUIBundle({
    url: specUrl,
    domNode: container,
    deepLinking: false,
    // "Try it out" as the signed-in person: same-origin requests carry the session cookie, and a
    // session write needs the CSRF token (a request with a token from "Authorize" needs none).
    requestInterceptor: function (request) {
      if (csrf && !request.headers.Authorization) {
        request.headers["X-CSRFToken"] = csrf;
      }
      return request;
    },
  });
})();

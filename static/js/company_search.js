/* Live suggestions on the "Créer une organisation" search: as the user types (3 characters or
   more), the results are fetched from the same page and shown below the field. Without
   JavaScript, the "Rechercher" button submits the same form. */
(function () {
  "use strict";
  var form = document.getElementById("company-search");
  var results = document.getElementById("search-results");
  if (!form || !results || !window.fetch || !window.AbortController) {
    return;
  }
  var input = form.querySelector("input[name=q]");
  var timer = null;
  var controller = null;
  var last = input.value.trim();

  function search() {
    var query = input.value.trim();
    if (query.length < 3 || query === last) {
      return;
    }
    last = query;
    if (controller) {
      controller.abort();
    }
    controller = new AbortController();
    var params = new URLSearchParams({ q: query, partial: "1" });
    fetch(form.action + "?" + params.toString(), {
      signal: controller.signal,
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        results.innerHTML = html;
        window.history.replaceState(null, "", form.action + "?" + new URLSearchParams({ q: query }));
      })
      .catch(function () {
        /* Aborted or failed: the "Rechercher" button still works. */
      });
  }

  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 400);
  });
})();

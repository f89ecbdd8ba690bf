/* While a sync is queued or running, refresh the status table every 3 seconds (no full reload). */
(function () {
  "use strict";
  function poll() {
    var status = document.getElementById("sync-status");
    if (!status || status.getAttribute("data-active") !== "true" || !window.fetch) {
      return;
    }
    window.setTimeout(function () {
      fetch(status.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          document.getElementById("sync-status-region").innerHTML = html;
          poll();
        })
        .catch(function () {
          /* The page still works: reloading it shows the latest status. */
        });
    }, 3000);
  }
  poll();
})();

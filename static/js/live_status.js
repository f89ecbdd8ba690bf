/* While something runs (a sync, a sending), refresh its status block every 3 seconds without a
   full reload. The block carries data-live-url and data-active="true"; its parent is the live
   region whose content is replaced. */
(function () {
  "use strict";
  function poll(region, previous) {
    var block = region.querySelector("[data-live-url]");
    if (!block || block.getAttribute("data-active") !== "true" || !window.fetch) {
      return;
    }
    window.setTimeout(function () {
      fetch(block.getAttribute("data-live-url"), { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          if (html !== previous) {
            /* Replaced only when it changed: the live region is not read again for nothing. */
            region.innerHTML = html;
          }
          poll(region, html);
        })
        .catch(function () {
          /* The page still works: reloading it shows the latest status. */
        });
    }, 3000);
  }
  document.querySelectorAll("[data-live-region]").forEach(function (region) {
    poll(region, null);
  });
})();

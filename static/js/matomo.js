/*
 * Matomo audience measurement without cookies.
 *
 * Reads its configuration from the data-attributes of its own <script> tag. Cookies are disabled
 * before the page view is tracked. Only the URL pattern of the page is sent (no query string, no
 * token), a referrer from this site is reduced to its origin, and links are not tracked (a
 * download link may carry a signed URL).
 */
(function () {
  "use strict";

  var config = document.getElementById("matomo-loader");
  if (!config || !config.dataset.matomoUrl || !config.dataset.matomoSiteId) {
    return;
  }
  var baseUrl = config.dataset.matomoUrl.replace(/\/+$/, "") + "/";
  var path = config.dataset.matomoPath || window.location.pathname;

  var _paq = (window._paq = window._paq || []);
  _paq.push(["setTrackerUrl", baseUrl + "matomo.php"]);
  _paq.push(["setSiteId", config.dataset.matomoSiteId]);
  _paq.push(["disableCookies"]);
  _paq.push(["setCustomUrl", window.location.origin + path]);
  if (document.referrer) {
    try {
      var referrer = new URL(document.referrer);
      if (referrer.origin === window.location.origin) {
        _paq.push(["setReferrerUrl", referrer.origin + "/"]);
      }
    } catch (error) {
      _paq.push(["setReferrerUrl", ""]);
    }
  }
  _paq.push(["trackPageView"]);

  var script = document.createElement("script");
  script.src = baseUrl + "matomo.js";
  script.async = true;
  if (config.nonce) {
    script.nonce = config.nonce;
  }
  document.head.appendChild(script);
})();

/*
 * Crisp live chat, loaded on demand.
 *
 * Nothing from Crisp is fetched at page load. The first click on an element carrying
 * `data-crisp-open` configures Crisp (website id, French, 7-day cookies, the signed-in user's
 * verified e-mail address when the page provides it), loads https://client.crisp.chat/l.js and
 * opens the chat. Later clicks only open it again.
 */
(function () {
  "use strict";

  var CRISP_SCRIPT_URL = "https://client.crisp.chat/l.js";
  var COOKIE_LIFETIME_SECONDS = 7 * 24 * 60 * 60;

  var config = document.getElementById("crisp-loader");
  if (!config || !config.dataset.crispWebsiteId) {
    return;
  }
  var loaded = false;

  function load() {
    window.$crisp = window.$crisp || [];
    window.CRISP_WEBSITE_ID = config.dataset.crispWebsiteId;
    window.CRISP_RUNTIME_CONFIG = { locale: "fr" };
    window.CRISP_COOKIE_EXPIRE = COOKIE_LIFETIME_SECONDS;

    var email = config.dataset.crispUserEmail;
    var signature = config.dataset.crispUserSignature;
    if (email && signature) {
      window.$crisp.push(["set", "user:email", [email, signature]]);
    }

    var script = document.createElement("script");
    script.src = CRISP_SCRIPT_URL;
    script.async = true;
    if (config.nonce) {
      script.nonce = config.nonce;
    }
    document.head.appendChild(script);
    loaded = true;
  }

  function open() {
    if (!loaded) {
      load();
    }
    window.$crisp.push(["do", "chat:show"]);
    window.$crisp.push(["do", "chat:open"]);
  }

  document.addEventListener("click", function (event) {
    var trigger = event.target.closest ? event.target.closest("[data-crisp-open]") : null;
    if (!trigger) {
      return;
    }
    event.preventDefault();
    open();
  });
})();

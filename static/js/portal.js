/* Behaviours any page may ask for through data attributes. The Content-Security-Policy allows no inline
   script (no onclick="", no <script> in a template): pages name what they want, this file does it. */
(function () {
  "use strict";

  // <form data-submit-on-change="any">: submitted whenever one of its fields changes.
  // <form data-submit-on-change="choices">: only when a select or a checkbox changes (a text field
  // waits for Enter or the button). htmx handles the submit event of a form it drives.
  document.addEventListener("change", function (event) {
    var field = event.target;
    var form = field.closest ? field.closest("form[data-submit-on-change]") : null;
    if (!form) return;
    var choice = field.tagName === "SELECT" || field.type === "checkbox";
    if (form.dataset.submitOnChange === "choices" && !choice) return;
    form.requestSubmit();
  });

  // A fragment asked for by htmx that the server answered by sending the user to sign in again (the session
  // ended) or to the second factor: the whole window goes there, rather than that page being drawn inside
  // the fragment's place (the bell loads on every page); signed in again, the user comes back to this page.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || !xhr.responseURL) return;
    var asked = new URL(event.detail.requestConfig.path, window.location.href);
    var answered = new URL(xhr.responseURL);
    if (asked.pathname !== answered.pathname && answered.pathname.indexOf("/accounts/") === 0) {
      event.detail.shouldSwap = false;
      // Back to this page afterwards, not to the fragment.
      if (answered.searchParams.has("next")) {
        answered.searchParams.set("next", window.location.pathname + window.location.search);
      }
      window.location.assign(answered.href);
    }
  });

  // A section that loads itself as the page arrives (hx-trigger="load") and could not: its status line says
  // so (the element's data-load-failed text) instead of "loading" for ever.
  function loadFailed(event) {
    var section = event.target.closest && event.target.closest("[data-load-failed]");
    var status = section && section.querySelector("[role=status]");
    if (status) status.textContent = section.getAttribute("data-load-failed");
  }
  document.addEventListener("htmx:responseError", loadFailed);
  document.addEventListener("htmx:sendError", loadFailed);

  // <button data-print>: prints the page.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });
})();

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

  // <button data-print>: prints the page.
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });
})();

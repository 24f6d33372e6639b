// The meeting form: terms shown with an agreement, participant rows added on demand, the first error in view.
(function () {
  var form = document.querySelector("form.meeting-form");
  var terms = document.getElementById("terms");
  var agreed = JSON.parse(document.getElementById("agreement-outcomes").textContent);

  // Terms belong to an agreement: the rows show, and are sent, only when one (in full or in part) is chosen.
  function sync() {
    var outcome = document.querySelector('input[name="outcome"]:checked');
    var on = outcome !== null && agreed.indexOf(outcome.value) !== -1;
    terms.hidden = !on;
    terms.disabled = !on;
  }
  document.querySelectorAll('input[name="outcome"]').forEach(function (radio) {
    radio.addEventListener("change", sync);
  });
  sync();

  // More participants than the rows drawn: copy the blank row, numbered next, and count it in the formset.
  // Without script the drawn rows (four suggested and two spare) still work; a later round adds more.
  var add = document.getElementById("add-participant");
  var template = document.getElementById("participant-template");
  var rows = document.getElementById("participant-rows");
  var total = form.querySelector('input[name="participants-TOTAL_FORMS"]');
  var max = form.querySelector('input[name="participants-MAX_NUM_FORMS"]');
  if (add && template && rows && total) {
    add.hidden = false;
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) {
        add.disabled = true;
        return;
      }
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var added = rows.lastElementChild.querySelector('input[name$="-name"]');
      if (added) added.focus();
      if (max && index + 1 >= parseInt(max.value, 10)) add.disabled = true;
    });
  }

  // A form drawn again with errors: bring the first one into view (the summary at the top says what to do).
  var first = form.querySelector(".is-invalid, .invalid-feedback, .alert-danger");
  if (first) {
    var field = first.matches("input, select, textarea") ? first : null;
    first.scrollIntoView({ block: "center" });
    if (field) field.focus({ preventScroll: true });
  }
})();

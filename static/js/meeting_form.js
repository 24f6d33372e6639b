// Terms belong to an agreement: the rows show, and are sent, only when one (in full or in part) is chosen.
(function () {
  var terms = document.getElementById("terms");
  var agreed = JSON.parse(document.getElementById("agreement-outcomes").textContent);
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
})();

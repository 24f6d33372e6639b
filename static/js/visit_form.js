// Gifts belong to condolence visits only: the rows show, and are sent, only when 慰问 is chosen.
(function () {
  var gifts = document.getElementById("gifts");
  function sync() {
    var kind = document.querySelector('input[name="kind"]:checked');
    var on = kind !== null && kind.value === "condolence";
    gifts.hidden = !on;
    gifts.disabled = !on;
  }
  document.querySelectorAll('input[name="kind"]').forEach(function (radio) {
    radio.addEventListener("change", sync);
  });
  sync();
})();

// A knock with nobody home (无人应答) meets nobody: the residents' ticks hide and are not sent.
(function () {
  var met = document.getElementById("residents-met");
  if (met === null) return;
  function sync() {
    var outcome = document.querySelector('input[name="outcome"]:checked');
    var nobody = outcome !== null && outcome.value === "no_answer";
    met.hidden = nobody;
    met.disabled = nobody;
  }
  document.querySelectorAll('input[name="outcome"]').forEach(function (radio) {
    radio.addEventListener("change", sync);
  });
  sync();
})();

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

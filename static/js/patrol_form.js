// One more empty finding row: the formset's empty form with the next index.
document.getElementById("add-finding").addEventListener("click", () => {
  const total = document.getElementById("id_findings-TOTAL_FORMS");
  const max = Number(document.getElementById("id_findings-MAX_NUM_FORMS").value);
  const index = Number(total.value);
  if (index >= max) return;
  const html = document.getElementById("finding-template").innerHTML.replaceAll("__prefix__", index);
  document.getElementById("findings").insertAdjacentHTML("beforeend", html);
  total.value = index + 1;
});

/* The intake form: who is asking (a registry resident, a named person, anonymous), picking a resident
   from the search, picking a category. */
(function () {
  const form = document.getElementById("intake-form");
  function showMode() {
    const mode = form.querySelector("[data-requester-mode]:checked")?.value;
    form.querySelectorAll("[data-mode-section]").forEach((el) => { el.hidden = el.dataset.modeSection !== mode; });
  }
  form.querySelectorAll("[data-requester-mode]").forEach((el) => el.addEventListener("change", showMode));
  showMode();
  form.addEventListener("click", (event) => {
    const pick = event.target.closest("[data-pick-resident]");
    if (pick) {
      form.querySelector("[name=requester]").value = pick.dataset.pickResident;
      const chosen = document.getElementById("requester-chosen");
      chosen.innerHTML = "";
      const badge = document.createElement("span");
      badge.className = "badge text-bg-success fs-6 text-wrap text-start";
      badge.textContent = pick.dataset.label;
      chosen.appendChild(badge);
      document.getElementById("requester-results").innerHTML = "";
      // The request is about the resident's grid unless the user says otherwise.
      const grid = form.querySelector("[name=grid]");
      if (grid.value !== pick.dataset.grid) {
        grid.value = pick.dataset.grid;
        grid.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
    const category = event.target.closest("[data-category]");
    if (category) { form.querySelector("[name=category]").value = category.dataset.category; }
  });
  // Enter in the resident search looks residents up instead of submitting the request.
  document.getElementById("requester-q").addEventListener("keydown", (event) => {
    if (event.key === "Enter") { event.preventDefault(); htmx.trigger(event.target, "search"); }
  });
})();

// The referral form: "Add another visit" (a copy of the formset's empty form) and
// the weekly carer hours (minutes x carers x days, summed) kept live as visits change.
(function () {
  "use strict";

  var form = document.querySelector("[data-referral-form]");
  if (!form) {
    return;
  }
  var visits = form.querySelector("[data-visits]");
  var template = document.getElementById("visit-template");
  var totalForms = form.querySelector("input[name='visits-TOTAL_FORMS']");
  var addButton = form.querySelector("[data-add-visit]");
  var output = form.querySelector("[data-weekly-hours]");

  function formatHours(minutes) {
    // As the server's `hours` filter: 10.50 -> 10.5, 7.00 -> 7.
    return (minutes / 60).toFixed(2).replace(/\.?0+$/, "") || "0";
  }

  function visitMinutes(visit) {
    var removed = visit.querySelector("input[name$='-DELETE']");
    if (removed && removed.checked) {
      return 0;
    }
    var days = visit.querySelectorAll("input[name$='-days']:checked").length;
    var duration = parseInt(visit.querySelector("input[name$='-duration_minutes']").value, 10);
    var carers = visit.querySelector("input[name$='-carers']:checked");
    return days * (isNaN(duration) ? 0 : duration) * (carers ? parseInt(carers.value, 10) : 1);
  }

  function update() {
    var minutes = 0;
    visits.querySelectorAll("[data-visit]").forEach(function (visit) {
      minutes += visitMinutes(visit);
    });
    output.textContent = formatHours(minutes);
  }

  function addVisit() {
    var index = parseInt(totalForms.value, 10);
    var html = template.innerHTML
      .replace(/__prefix__/g, String(index))
      .replace(/__number__/g, String(index + 1));
    visits.insertAdjacentHTML("beforeend", html);
    totalForms.value = String(index + 1);
    var added = visits.lastElementChild;
    added.querySelector("input[type='checkbox']").focus();
    update();
  }

  form.addEventListener("input", update);
  form.addEventListener("change", update);
  if (addButton && template && totalForms) {
    addButton.hidden = false;
    addButton.addEventListener("click", addVisit);
  }
  update();
})();

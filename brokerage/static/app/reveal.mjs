// A radio that reveals a panel of further questions while it is checked.
// GOV.UK's radios script does this by setting aria-expanded on the radio, which ARIA
// does not allow on a radio (axe: aria-allowed-attr, critical). A radio names its
// panel in data-app-reveals instead (its radios have no data-module="govuk-radios");
// aria-controls, which any element may carry, still ties the two together.
export function initReveals(root = document) {
  root.querySelectorAll("input[type=radio][data-app-reveals]").forEach((radio) => {
    const panel = document.getElementById(radio.dataset.appReveals);
    if (!panel) return;
    radio.setAttribute("aria-controls", panel.id);
    const show = () => panel.classList.toggle("govuk-radios__conditional--hidden", !radio.checked);
    const group = radio.form.querySelectorAll(`input[type=radio][name="${CSS.escape(radio.name)}"]`);
    group.forEach((other) => other.addEventListener("change", show));
    // Back to the page from the browser's history: the radios keep what was chosen.
    window.addEventListener("pageshow", show);
    show();
  });
}

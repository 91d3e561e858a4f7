// Tables on a narrow screen. Every table sits in an .app-table-wrapper, which scrolls
// sideways when the table is wider than the screen. Such a wrapper is made a region
// that the keyboard can reach and scroll, named after its table, with a visible cue
// that there is more to the right. A table marked .app-table--stacked instead becomes
// one card per row on a phone, each cell labelled with its column's header, so that no
// column is out of sight; the labels are written here from the header row.

const HINT = "Scroll the table sideways to see all its columns.";

function label(wrapper, table) {
  const caption = table.querySelector("caption");
  if (caption) {
    caption.id ||= `app-table-caption-${Math.random().toString(36).slice(2)}`;
    wrapper.setAttribute("aria-labelledby", caption.id);
  } else {
    wrapper.setAttribute("aria-label", "Table");
  }
}

function markScrolling(wrapper) {
  const table = wrapper.querySelector("table");
  if (!table) return;
  const scrolls = wrapper.scrollWidth > wrapper.clientWidth + 1;
  wrapper.classList.toggle("app-table-wrapper--scrolls", scrolls);
  let hint = wrapper.previousElementSibling;
  if (!hint?.classList.contains("app-table-hint")) hint = null;
  if (scrolls) {
    wrapper.tabIndex = 0;
    wrapper.setAttribute("role", "region");
    label(wrapper, table);
    if (!hint) {
      hint = document.createElement("p");
      hint.className = "govuk-hint govuk-!-font-size-16 app-table-hint";
      hint.textContent = HINT;
      wrapper.before(hint);
    }
  } else {
    wrapper.removeAttribute("tabindex");
    wrapper.removeAttribute("role");
    hint?.remove();
  }
}

function labelStacked(table) {
  const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  for (const row of table.querySelectorAll("tbody tr")) {
    [...row.children].forEach((cell, index) => {
      if (headers[index] && cell.colSpan === 1) cell.dataset.label = headers[index];
    });
  }
  // Drawn as blocks, the table keeps its meaning for screen readers through these roles.
  table.setAttribute("role", "table");
  for (const group of table.querySelectorAll("thead, tbody")) group.setAttribute("role", "rowgroup");
  for (const row of table.querySelectorAll("tr")) row.setAttribute("role", "row");
  for (const th of table.querySelectorAll("thead th")) th.setAttribute("role", "columnheader");
  for (const th of table.querySelectorAll("tbody th")) th.setAttribute("role", "rowheader");
  for (const td of table.querySelectorAll("td")) td.setAttribute("role", "cell");
  table.classList.add("app-table--labelled");
}

export function initTables(root = document) {
  for (const table of root.querySelectorAll(".app-table--stacked")) labelStacked(table);
  for (const wrapper of root.querySelectorAll(".app-table-wrapper")) markScrolling(wrapper);
}

let resizing;
window.addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => initTables(), 150);
});
// Live lists (htmx) swap their tables in: each new one is set up the same way.
document.addEventListener("htmx:afterSettle", () => initTables());

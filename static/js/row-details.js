// A message row's details (its number, gap, send stamp, bytes) without a mouse: the list
// takes focus, arrow keys (or a tap) pick a row, and its details are said below the list.

const KEYS = { ArrowDown: 1, ArrowUp: -1, PageDown: 10, PageUp: -10 };

export function wireRowDetails(list, detail) {
  let selected = null;
  const rows = () => list.querySelectorAll("li.row");

  function select(row) {
    selected?.classList.remove("selected");
    selected = row;
    detail.hidden = !row;
    if (!row) return;
    row.classList.add("selected");
    row.scrollIntoView({ block: "nearest" });
    detail.textContent = row.title;
  }

  list.tabIndex = 0;
  list.addEventListener("click", (event) => select(event.target.closest("li.row")));
  list.addEventListener("focus", () => {
    if (!selected?.isConnected) select(rows()[rows().length - 1] ?? null);
  });
  list.addEventListener("keydown", (event) => {
    const all = [...rows()];
    if (!all.length) return;
    let at = all.indexOf(selected);
    if (event.key in KEYS) at = Math.min(all.length - 1, Math.max(0, (at < 0 ? all.length : at) + KEYS[event.key]));
    else if (event.key === "Home") at = 0;
    else if (event.key === "End") at = all.length - 1;
    else return;
    event.preventDefault();
    select(all[at]);
  });
  return {
    /** A new run: nothing selected. */
    clear: () => select(null),
  };
}

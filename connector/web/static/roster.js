// The team's rotation as a drag list (no library). Members keep their hidden `member` input, so
// the posted order is the page order. Without this script the ↑ / ↓ / Remove buttons post the
// form and the server moves the member (connector/web/teams_pages.py).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("members");
  if (!list) return;
  const items = () => Array.from(list.querySelectorAll("li[data-id]"));
  const refresh = () => {
    const all = items();
    all.forEach((li, i) => {
      li.querySelector("[data-move=up]").disabled = i === 0;
      li.querySelector("[data-move=down]").disabled = i === all.length - 1;
    });
  };
  const move = (li, direction) => {
    if (direction === "up" && li.previousElementSibling) list.insertBefore(li, li.previousElementSibling);
    if (direction === "down" && li.nextElementSibling) list.insertBefore(li.nextElementSibling, li);
    if (direction === "remove") { li.remove(); refresh(); return; }
    refresh();
    li.focus();
  };
  list.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-move]");
    if (!button) return;
    event.preventDefault();
    move(button.closest("li"), button.dataset.move);
  });
  list.addEventListener("keydown", (event) => {
    const li = event.target.closest("li[data-id]");
    if (!li || event.target !== li || !event.altKey) return;
    if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      event.preventDefault();
      move(li, event.key === "ArrowUp" ? "up" : "down");
    }
  });
  let dragged = null;
  list.addEventListener("dragstart", (event) => {
    dragged = event.target.closest("li[data-id]");
    if (!dragged) return;
    dragged.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.dataset.id);
  });
  list.addEventListener("dragover", (event) => {
    const over = event.target.closest("li[data-id]");
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    const after = event.clientY > over.getBoundingClientRect().top + over.offsetHeight / 2;
    list.insertBefore(dragged, after ? over.nextSibling : over);
  });
  list.addEventListener("drop", (event) => { if (dragged) event.preventDefault(); });
  list.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    refresh();
  });
});

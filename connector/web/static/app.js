// Small progressive enhancements; every page works without them (CSP: no inline scripts).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Confirm destructive forms.
  document.querySelectorAll("form.confirm").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm || "Are you sure?")) event.preventDefault();
    });
  });
  // Copy buttons: data-copy names the element whose text is copied.
  document.querySelectorAll("button.copy").forEach((button) => {
    button.addEventListener("click", async () => {
      const source = document.getElementById(button.dataset.copy);
      if (!source) return;
      try { await navigator.clipboard.writeText(source.value || source.textContent); button.textContent = "Copied"; }
      catch (e) { button.textContent = "Select and copy"; }
    });
  });
  document.querySelectorAll("select.autosubmit").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  // Rule editor: add a condition row; placeholder follows the operator's arity.
  const rows = document.getElementById("conditions");
  const hint = { none: "(no value)", list: "a, b, c", range: "low, high", pattern: "regular expression", one: "value" };
  const follow = (row) => {
    const select = row.querySelector("select[name=cond_op]");
    const value = row.querySelector("input[name=cond_value]");
    const sync = () => {
      const arity = select.selectedOptions[0] ? select.selectedOptions[0].dataset.arity : "one";
      value.placeholder = hint[arity] || "value"; value.disabled = arity === "none";
    };
    select.addEventListener("change", sync); sync();
  };
  if (rows) {
    rows.querySelectorAll(".cond").forEach(follow);
    const add = document.getElementById("add-condition");
    if (add) add.addEventListener("click", () => {
      const last = rows.querySelector(".cond:last-of-type");
      const copy = last.cloneNode(true);
      copy.querySelectorAll("input").forEach((i) => { i.value = ""; i.removeAttribute("aria-invalid"); });
      copy.querySelectorAll(".field-error").forEach((e) => e.remove());
      rows.appendChild(copy); follow(copy); copy.querySelector("input").focus();
    });
    // Owner: the fields of the chosen kind only (data-assign: "" = teams and reps, or an assign kind).
    const assign = document.getElementById("assign");
    if (assign) {
      const show = () => document.querySelectorAll("[data-assign]").forEach((part) => {
        part.hidden = part.dataset.assign !== assign.value;
      });
      assign.addEventListener("change", show); show();
    }
  }
  // Rules list: drag and drop to reorder, saved through the same form the arrows use.
  const list = document.getElementById("rule-list");
  const orderForm = document.getElementById("order-form");
  if (list && orderForm) {
    let dragged = null;
    list.addEventListener("dragstart", (e) => { dragged = e.target.closest(".rule"); dragged.classList.add("dragging"); });
    list.addEventListener("dragend", () => { if (dragged) dragged.classList.remove("dragging"); });
    list.addEventListener("dragover", (e) => {
      e.preventDefault();
      const over = e.target.closest(".rule");
      if (!over || over === dragged) return;
      const after = e.clientY > over.getBoundingClientRect().top + over.offsetHeight / 2;
      list.insertBefore(dragged, after ? over.nextSibling : over);
    });
    list.addEventListener("drop", (e) => {
      e.preventDefault();
      orderForm.querySelectorAll("input[name=name]").forEach((i) => i.remove());
      list.querySelectorAll(".rule").forEach((li) => {
        const input = document.createElement("input");
        input.type = "hidden"; input.name = "name"; input.value = li.dataset.name; orderForm.appendChild(input);
      });
      orderForm.submit();
    });
  }
});

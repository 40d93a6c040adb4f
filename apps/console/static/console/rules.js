// The rules editor: add, remove and reorder rows; the order of the rows is the order of the rules.
(function () {
  const body = document.getElementById("rules");
  const template = document.getElementById("rule-template");
  if (!body || !template) return;
  function renumber() {
    body.querySelectorAll("tr.rule").forEach(function (row, index) {
      row.querySelector(".rule-number").textContent = "#" + (index + 1);
    });
  }
  document.getElementById("rule-add").addEventListener("click", function () {
    body.appendChild(template.content.cloneNode(true));
    renumber();
    body.querySelector("tr.rule:last-child textarea").focus();
  });
  body.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-rule]");
    if (!button) return;
    const row = button.closest("tr.rule");
    const move = button.dataset.rule;
    if (move === "remove") row.remove();
    if (move === "up" && row.previousElementSibling) body.insertBefore(row, row.previousElementSibling);
    if (move === "down" && row.nextElementSibling) body.insertBefore(row.nextElementSibling, row);
    renumber();
  });
  renumber();
})();

// The review page: as the marketer edits the new text, ask the server for the rule check
// and the score of the edited text (no model call) and show them in place.
(function () {
  const form = document.getElementById("decide");
  if (!form) return;
  const body = document.getElementById("body");
  const subject = document.getElementById("subject");
  let timer = null;
  function show(answer) {
    const status = document.getElementById("rule-status");
    const clean = answer.passed && answer.repairs.length === 0;
    status.textContent = !answer.passed ? "A hard rule is broken."
      : clean ? "Every rule passes as written."
      : "Your text breaks a rule: approving it sends it with the repairs below.";
    status.className = clean ? "ok" : "error";
    document.getElementById("repairs-lead").hidden = answer.repairs.length === 0;
    document.getElementById("repairs").replaceChildren(...answer.repairs.map(function (r) {
      const item = document.createElement("li");
      item.textContent = r;
      return item;
    }));
    const list = document.getElementById("violations");
    list.replaceChildren(...answer.violations.map(function (v) {
      const item = document.createElement("li");
      item.className = v.severity;
      item.textContent = v.severity + ": " + v.message;  // text, never markup
      return item;
    }));
    document.getElementById("predicted").textContent = (answer.predicted_cvr * 100).toFixed(2) + "%";
    const interval = document.getElementById("interval");
    if (interval && answer.predicted_cvr_low !== null) {
      interval.textContent = (answer.predicted_cvr_low * 100).toFixed(2) + "–"
        + (answer.predicted_cvr_high * 100).toFixed(2) + "%";
    }
    document.getElementById("craft").textContent = Math.round(answer.marketing_effectiveness * 100);
    document.getElementById("match").textContent = Math.round(answer.audience_match * 100);
    const segments = document.querySelector("#new-preview .segments");
    if (segments && answer.segments !== null) segments.textContent = answer.segments;
  }
  function check() {
    fetch(form.dataset.check, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf},
      body: JSON.stringify({body: body.value, subject: subject ? subject.value : null}),
      credentials: "same-origin",
    }).then(function (r) { return r.ok ? r.json() : null; }).then(function (a) { if (a) show(a); });
  }
  function later() { clearTimeout(timer); timer = setTimeout(check, 250); }
  body.addEventListener("input", later);
  if (subject) subject.addEventListener("input", later);
})();

/* SafetyOps workbench: keyboard shortcuts, time on task, focus after HTMX swaps. No inline script (CSP). */
(function () {
  "use strict";

  var started = Date.now();
  var shownAssignment = null;

  function assignmentShown() {
    var field = document.querySelector("[data-task-form] [name=assignment_id]");
    return field ? field.value : null;
  }

  function taskForm() {
    return document.querySelector("[data-task-form]");
  }

  function isTyping(el) {
    if (!el) return false;
    var tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable) return true;
    return tag === "INPUT" && !/^(radio|checkbox|button|submit|reset|hidden)$/i.test(el.type);
  }

  function questions(form) {
    return Array.prototype.slice.call(form.querySelectorAll("fieldset[data-question]"));
  }

  function answered(fieldset) {
    return fieldset.querySelector("input:checked") !== null;
  }

  /* The question number keys act on: the one holding the focus, else the first not answered, else the first. */
  function currentQuestion(form) {
    var active = document.activeElement;
    var inside = active && active.closest ? active.closest("fieldset[data-question]") : null;
    if (inside && form.contains(inside)) return inside;
    var all = questions(form);
    for (var i = 0; i < all.length; i++) {
      if (!answered(all[i])) return all[i];
    }
    return all[0] || null;
  }

  function pick(form, n) {
    var fieldset = currentQuestion(form);
    if (!fieldset) return;
    var inputs = fieldset.querySelectorAll("input[type=radio], input[type=checkbox]");
    var input = inputs[n - 1];
    if (!input) return;
    if (input.type === "checkbox") {
      input.checked = !input.checked;
      input.focus();
      return;
    }
    input.checked = true;
    /* A single answer is complete: move on to the next question still open, so 1 3 2 … flows. */
    var all = questions(form);
    for (var i = all.indexOf(fieldset) + 1; i < all.length; i++) {
      if (!answered(all[i])) {
        var first = all[i].querySelector("input");
        if (first) first.focus();
        return;
      }
    }
    input.focus();
  }

  function submitForm(form) {
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
  }

  function openSkip() {
    var details = document.querySelector("[data-skip-form] details");
    if (!details) return;
    details.open = true;
    var first = details.querySelector("input[type=radio]");
    if (first) first.focus();
  }

  function toggleHelp() {
    var help = document.getElementById("shortcuts");
    if (!help || typeof help.showModal !== "function") return;
    if (help.open) help.close();
    else help.showModal(); /* modal: Esc closes it and the focus returns where it was */
  }

  document.addEventListener("keydown", function (event) {
    var form = taskForm();
    if (event.defaultPrevented || event.altKey || event.metaKey) return;
    var target = event.target;
    var help = document.getElementById("shortcuts");
    if (help && help.open) {
      if (event.key === "?") {
        event.preventDefault();
        help.close();
      }
      return; /* the modal help owns the keyboard (Esc closes it natively) */
    }
    if (event.key === "Escape") {
      var skip = document.querySelector("[data-skip-form] details[open]");
      if (isTyping(target) && !(skip && skip.contains(target))) {
        target.blur();
      } else if (skip) {
        skip.open = false;
        var summary = skip.querySelector("summary");
        if (summary) summary.focus();
      }
      return;
    }
    if (event.key === "Enter" && event.ctrlKey && form && form.contains(target)) {
      event.preventDefault();
      submitForm(form);
      return;
    }
    if (event.ctrlKey || isTyping(target)) return;
    if (event.key === "?") {
      event.preventDefault();
      toggleHelp();
      return;
    }
    if (!form) return;
    var inSkip = target.closest && target.closest("[data-skip-form]");
    if (inSkip) return; /* keys there belong to the skip panel's own controls */
    if (/^[1-9]$/.test(event.key)) {
      event.preventDefault();
      pick(form, Number(event.key));
    } else if (event.key === "Enter") {
      var tag = target.tagName;
      if (tag === "BUTTON" || tag === "A" || tag === "SUMMARY") return; /* let them do their own thing */
      event.preventDefault();
      submitForm(form);
    } else if (event.key === "s" || event.key === "S") {
      event.preventDefault();
      openSkip();
    }
  });

  /* Clicking "Keyboard shortcuts: press ?" opens the help too. */
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-shortcuts-toggle]");
    if (!link) return;
    event.preventDefault();
    toggleHelp();
  });

  /* Time on task: measured from when the task appeared, sent in the hidden field (capture runs before htmx). */
  document.addEventListener(
    "submit",
    function (event) {
      var field = event.target.querySelector && event.target.querySelector("[data-time-spent]");
      if (field) field.value = String(Math.max(0, Date.now() - started));
    },
    true
  );

  /* After HTMX swaps in the next task: restart the clock and put the focus at the top of the new content. */
  document.addEventListener("htmx:afterSettle", function (event) {
    var root = event.detail && event.detail.elt;
    if (!root || !root.querySelector) return;
    var now = assignmentShown();
    if (now !== shownAssignment) {
      /* a new task (not the same one shown again with its problems): its clock starts now */
      shownAssignment = now;
      started = Date.now();
    }
    var focus = root.querySelector("[data-focus-first]") || document.querySelector("#workbench [data-focus-first]");
    if (focus) focus.focus();
  });

  /* When a re-rendered page shows problems, start at them. */
  document.addEventListener("DOMContentLoaded", function () {
    shownAssignment = assignmentShown();
    var problems = document.getElementById("problems");
    if (problems) problems.focus();
  });
})();

"""A small accessibility checker for the browser tests, in the spirit of Lighthouse's accessibility audits.

`check(page)` runs every check on what the page shows now and returns the problems found (empty: none), each a
short sentence naming the element. Tests assert `check(page) == []`. What it checks:

- the document: `<html lang>`, a title, zooming not forbidden, unique ids, `aria-labelledby`, `aria-describedby`,
  `aria-controls` and `<label for>` that name existing elements, headings that do not skip a level, an h1, a
  `<main>`;
- names: form controls have a label (`<label for>`, a wrapping label, `aria-label`, `aria-labelledby` or
  `title`); images have `alt`; buttons and links have an accessible name (text, `aria-label`, `aria-labelledby`,
  `title`, or an image's alt inside);
- contrast: every visible text has a contrast ratio with its background of at least 4.5:1 (3:1 for large text:
  24 px, or 18.66 px bold), WCAG 2.x's formula, computed from the computed colours of the text and of the first
  ancestor with an opaque background (translucent backgrounds are blended over it); disabled controls are
  exempt, as WCAG exempts inactive components;
- focus order (`focus_order`): pressing Tab from the top visits the page's tabbable elements in document order
  (a radio group is one stop), none is skipped, none is visited twice (a focus trap or loop), none has a
  positive tabindex, and each one shows a focus indicator (an outline or a box shadow) when it has the focus,
  in a colour with a contrast of at least 3:1 against what surrounds the element (WCAG's non-text contrast).
  Tab starts from an element put first in the document, so an element with a positive tabindex (which a browser
  visits before all others) shows as never reached, besides being named.

Limits, on purpose: no ARIA role semantics beyond names, no background images, no text over gradients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

_JS_COMMON = r"""
const visible = (el) => {
  if (!el.getClientRects().length) return false;
  const s = getComputedStyle(el);
  if (s.visibility === "hidden" || s.display === "none") return false;
  const r = el.getBoundingClientRect();
  return r.width > 1 && r.height > 1;  // .visually-hidden (1 px) counts as hidden for contrast and focus
};
const describe = (el) => {
  let d = el.tagName.toLowerCase();
  if (el.id) d += "#" + el.id;
  else if (el.getAttribute("name")) d += `[name="${el.getAttribute("name")}"]`;
  else if (el.classList.length) d += "." + Array.from(el.classList).join(".");
  const text = (el.innerText || el.value || "").trim().replace(/\s+/g, " ").slice(0, 40);
  return text ? `${d} ("${text}")` : d;
};
const byIds = (ids) => (ids || "").split(/\s+/).filter(Boolean)
  .map((id) => document.getElementById(id)).filter(Boolean)
  .map((el) => el.textContent.trim()).join(" ").trim();
const accessibleName = (el) => {
  const labelled = byIds(el.getAttribute("aria-labelledby"));
  if (labelled) return labelled;
  const aria = (el.getAttribute("aria-label") || "").trim();
  if (aria) return aria;
  if (el.labels && el.labels.length) {
    const text = Array.from(el.labels).map((l) => l.textContent.trim()).join(" ").trim();
    if (text) return text;
  }
  if (["BUTTON", "A", "SUMMARY"].includes(el.tagName) || el.getAttribute("role") === "button") {
    const text = (el.textContent || "").trim();
    if (text) return text;
    const img = el.querySelector("img[alt]");
    if (img && img.alt.trim()) return img.alt.trim();
  }
  if (el.tagName === "INPUT" && ["submit", "button", "reset"].includes(el.type) && el.value.trim()) {
    return el.value.trim();
  }
  return (el.getAttribute("title") || "").trim();
};
const parse = (c) => {
  const m = c.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
};
const over = (top, bottom) => ({  // `top` composited over an opaque `bottom`
  r: top.r * top.a + bottom.r * (1 - top.a),
  g: top.g * top.a + bottom.g * (1 - top.a),
  b: top.b * top.a + bottom.b * (1 - top.a), a: 1,
});
const background = (el) => {
  const layers = [];
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const c = parse(getComputedStyle(node).backgroundColor);
    if (c && c.a > 0) {
      layers.push(c);
      if (c.a >= 1) break;
    }
  }
  let colour = { r: 255, g: 255, b: 255, a: 1 };  // the canvas behind everything
  for (const layer of layers.reverse()) colour = over(layer, colour);
  return colour;
};
const luminance = (c) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
};
const ratio = (a, b) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};
"""

_NAMES_JS = (
    "() => {"
    + _JS_COMMON
    + r"""
  const problems = [];
  const controls = document.querySelectorAll(
    "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]), select, textarea");
  for (const el of controls) {
    if (!accessibleName(el)) problems.push(`form control ${describe(el)} has no label`);
  }
  for (const el of document.querySelectorAll("img")) {
    if (!el.hasAttribute("alt") && el.getAttribute("role") !== "presentation") {
      problems.push(`image ${describe(el)} has no alt text`);
    }
  }
  const buttons = document.querySelectorAll(
    "button, [role=button], input[type=submit], input[type=button], input[type=reset], a[href], summary");
  for (const el of buttons) {
    if (!accessibleName(el)) problems.push(`${el.tagName === "A" ? "link" : "button"} ${describe(el)} has no name`);
  }
  return problems;
}"""
)

_DOCUMENT_JS = (
    "() => {"
    + _JS_COMMON
    + r"""
  const problems = [];
  const lang = document.documentElement.getAttribute("lang");
  if (!lang || !lang.trim()) problems.push("the page has no lang attribute on <html>");
  if (!document.title.trim()) problems.push("the page has no title");
  const viewport = document.querySelector("meta[name=viewport]");
  if (viewport && /user-scalable\s*=\s*(no|0)|maximum-scale\s*=\s*1(\.0)?\b/.test(viewport.content)) {
    problems.push("the viewport forbids zooming");
  }
  const ids = new Map();
  for (const el of document.querySelectorAll("[id]")) ids.set(el.id, (ids.get(el.id) || 0) + 1);
  for (const [id, count] of ids) if (count > 1) problems.push(`id "${id}" is used ${count} times`);
  for (const attr of ["aria-labelledby", "aria-describedby", "aria-controls", "for"]) {
    for (const el of document.querySelectorAll(`[${attr}]`)) {
      for (const id of el.getAttribute(attr).split(/\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) problems.push(`${describe(el)} has ${attr}="${id}", which is no element`);
      }
    }
  }
  let previous = 0;
  for (const h of document.querySelectorAll("h1, h2, h3, h4, h5, h6")) {
    if (h.closest("dialog")) continue;  // a dialog starts its own outline
    const level = Number(h.tagName[1]);
    if (previous && level > previous + 1) problems.push(`heading ${describe(h)} skips from h${previous} to h${level}`);
    previous = level;
  }
  if (!document.querySelector("h1")) problems.push("the page has no h1");
  if (!document.querySelector("main")) problems.push("the page has no <main> landmark");
  return problems;
}"""
)

_CONTRAST_JS = (
    "() => {"
    + _JS_COMMON
    + r"""
  const problems = [];
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || seen.has(el) || !visible(el)) continue;
    seen.add(el);
    if (el.closest("[disabled], [aria-disabled=true]")) continue;
    const s = getComputedStyle(el);
    const fg = parse(s.color);
    if (!fg) continue;
    const bg = background(el);
    const text = over(fg, bg);
    const size = parseFloat(s.fontSize);
    const bold = Number(s.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const need = large ? 3 : 4.5;
    const got = ratio(text, bg);
    if (got < need) {
      problems.push(`text of ${describe(el)} has contrast ${got.toFixed(2)}:1, needs ${need}:1 ` +
        `(${s.color} on rgb(${Math.round(bg.r)}, ${Math.round(bg.g)}, ${Math.round(bg.b)}))`);
    }
  }
  return problems;
}"""
)

# The elements Tab should visit, in document order: visible, enabled, tabindex >= 0, one stop per radio group.
_TABBABLE_JS = (
    "() => {"
    + _JS_COMMON
    + r"""
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex], " +
    "audio[controls], video[controls], [contenteditable=true]";
  const out = [];
  const groups = new Set();
  const problems = [];
  let n = 0;
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || el.closest("[inert]") || !visible(el)) continue;
    if (el.closest("details:not([open])") && el.tagName !== "SUMMARY") continue;
    if (el.tagName === "SUMMARY" && el.parentElement.tagName !== "DETAILS") continue;
    if (el.closest("dialog:not([open])")) continue;
    if (el.tabIndex > 0) problems.push(`${describe(el)} has a positive tabindex (${el.tabIndex})`);
    if (el.tabIndex < 0) continue;
    if (el.type === "radio" && el.name) {
      const key = (el.form ? "f" : "d") + ":" + el.name;
      if (groups.has(key)) continue;
      groups.add(key);
      const checked = document.querySelector(`input[type=radio][name="${CSS.escape(el.name)}"]:checked`);
      const stop = checked && visible(checked) ? checked : el;
      stop.dataset.a11yStop = String(n++);
      out.push(describe(stop));
      continue;
    }
    el.dataset.a11yStop = String(n++);
    out.push(describe(el));
  }
  return { stops: out, problems };
}"""
)

_FOCUSED_JS = (
    "() => {"
    + _JS_COMMON
    + r"""
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const s = getComputedStyle(el);
  // The indicator is drawn around the element, over what surrounds it: compare with its parent's background.
  const around = background(el.parentElement || el);
  const colours = [];
  if (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) colours.push(parse(s.outlineColor));
  if (s.boxShadow && s.boxShadow !== "none") colours.push(parse(s.boxShadow));
  const best = Math.max(0, ...colours.filter(Boolean).map((c) => ratio(over(c, around), around)));
  return { stop: el.dataset.a11yStop ?? null, what: describe(el), indicated: colours.length > 0, contrast: best };
}"""
)

_START_JS = r"""() => {
  const start = document.createElement("span");
  start.id = "a11y-start";
  start.tabIndex = -1;
  document.body.prepend(start);
  start.focus();
  window.scrollTo(0, 0);
}"""


def document(page: Page) -> list[str]:
    """The page as a whole: lang, title, zoom allowed, unique ids, ARIA and label references that resolve,
    headings that do not skip a level, an h1 and a main landmark."""
    result: list[str] = page.evaluate(_DOCUMENT_JS)
    return result


def names(page: Page) -> list[str]:
    """Form controls without a label, images without alt, buttons and links without a name."""
    result: list[str] = page.evaluate(_NAMES_JS)
    return result


def contrast(page: Page) -> list[str]:
    """Visible text below 4.5:1 (3:1 when large) against its background."""
    result: list[str] = page.evaluate(_CONTRAST_JS)
    return result


def focus_order(page: Page, *, max_stops: int = 200) -> list[str]:
    """Tab from the top of the page through every tabbable element: the order must be the document's, every
    element must be reached, and each must show that it has the focus. Leaves the focus where it ends."""
    expected: dict[str, Any] = page.evaluate(_TABBABLE_JS)
    problems: list[str] = list(expected["problems"])
    stops: list[str] = expected["stops"]
    # Start at the top of the document: focus a temporary first element (Chromium's Tab starts from where the
    # focus or the last click was, not from the top), Tab once, then remove it.
    page.evaluate(_START_JS)
    visited: list[int] = []
    for step in range(max_stops):
        page.keyboard.press("Tab")
        if step == 0:
            page.evaluate("() => document.getElementById('a11y-start')?.remove()")
        focused: dict[str, Any] | None = page.evaluate(_FOCUSED_JS)
        if focused is None:
            break  # past the last element: the focus left the document
        if focused["stop"] is None:
            problems.append(f"Tab reached {focused['what']}, which is not a visible tabbable element")
            continue
        stop = int(focused["stop"])
        if stop in visited:
            if stop != visited[0]:  # back to the first: wrapped around, as browsers without UI do
                problems.append(f"Tab went back to {stops[stop]} after {stops[visited[-1]]} (a focus loop)")
            break
        if not focused["indicated"]:
            problems.append(f"{focused['what']} shows no focus indicator")
        elif focused["contrast"] < 3:
            problems.append(
                f"the focus indicator of {focused['what']} has contrast {focused['contrast']:.2f}:1 with what "
                "surrounds it, needs 3:1"
            )
        visited.append(stop)
    if visited != sorted(visited):
        order = ", ".join(stops[i] for i in visited)
        problems.append(f"Tab order is not the document order: {order}")
    missed = [stops[i] for i in range(len(stops)) if i not in visited]
    if missed:
        problems.append(f"Tab never reached: {', '.join(missed)}")
    page.evaluate("() => document.querySelectorAll('[data-a11y-stop]').forEach((el) => delete el.dataset.a11yStop)")
    return problems


def check(page: Page) -> list[str]:
    """Every check above on what the page shows now."""
    return document(page) + names(page) + contrast(page) + focus_order(page)

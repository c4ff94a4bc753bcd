// Statement drafts beside a document's text (issue 24): every statement the text appears to
// make, highlighted in place; a person picks the claim and records a draft in one step
// (POST /v1/statements, with a write token kept for this tab only), or dismisses it.
// Self-contained: app.js only routes #/document/{id}/drafts here (window.renderDrafts).
"use strict";

(function () {
  const STANCES = ["asserts", "denies", "reports", "declines_to_comment", "questions"];
  const TOKEN_KEY = "ledger.writeToken";

  function el(tag, attributes = {}, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
      else element.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  async function json(path, options = {}) {
    const response = await fetch(path, { headers: { Accept: "application/json" }, ...options });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const detail = body.errors && body.errors.length
        ? body.errors.map((error) => `${error.field}: ${error.message}`).join("; ")
        : body.detail || response.statusText;
      const error = new Error(`${response.status}: ${detail}`);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  async function all(path, field) {  // every page of a list
    const items = [];
    let next = path;
    while (next) {
      const page = await json(next);
      items.push(...page[field]);
      next = page.next ? `${path}${path.includes("?") ? "&" : "?"}cursor=${encodeURIComponent(page.next)}` : null;
    }
    return items;
  }

  function dismissedKey(documentId) { return `ledger.dismissed.${documentId}`; }

  function dismissed(documentId) {
    try { return new Set(JSON.parse(sessionStorage.getItem(dismissedKey(documentId)) || "[]")); }
    catch (error) { return new Set(); }
  }

  function draftId(draft) {
    return `${draft.position.start}-${draft.position.end}-${draft.actor || draft.speaker}-${draft.stance}`;
  }

  // The text with every drafted span marked; drafts on the same span share one mark.
  function markedText(text, drafts) {
    const points = Array.from(text);
    const spans = new Map();
    drafts.forEach((draft, index) => {
      const key = `${draft.position.start}:${draft.position.end}`;
      if (!spans.has(key)) spans.set(key, { ...draft.position, indexes: [] });
      spans.get(key).indexes.push(index);
    });
    const ordered = [...spans.values()].sort((a, b) => a.start - b.start || b.end - a.end);
    const parts = [];
    let at = 0;
    for (const span of ordered) {
      if (span.start < at) continue;  // nested in one shown already
      parts.push(points.slice(at, span.start).join(""));
      parts.push(el("mark", {
        class: "draft-mark", tabindex: "0", "data-drafts": span.indexes.join(" "),
        title: `${span.indexes.length} draft${span.indexes.length > 1 ? "s" : ""}`,
        onclick: () => focusCard(span.indexes[0]),
        onkeydown: (event) => { if (event.key === "Enter") focusCard(span.indexes[0]); },
      }, points.slice(span.start, span.end).join("")));
      at = span.end;
    }
    parts.push(points.slice(at).join(""));
    return el("div", { class: "draft-text", lang: "und" }, parts);
  }

  function focusCard(index) {
    const card = document.querySelector(`.draft-card[data-index="${index}"]`);
    if (card) { card.scrollIntoView({ block: "center" }); card.querySelector("select, button").focus(); }
  }

  function showMark(index) {
    for (const mark of document.querySelectorAll(".draft-mark")) {
      const on = mark.dataset.drafts.split(" ").includes(String(index));
      mark.classList.toggle("draft-current", on);  // no scrolling here: a click must land
    }
  }

  function options(values, chosen) {
    return values.map(([value, text]) => el("option", { value, selected: value === chosen }, text || value));
  }

  function conduitOf(publisher, actor) {
    const hops = [publisher, actor].filter(Boolean);
    return [...new Set(hops)];
  }

  function card(draft, index, context) {
    const { doc, actors, claims } = context;
    const id = `draft-${index}`;
    const actorChoices = [["", "— choose the speaker —"], ...actors.map((a) => [a.key, `${a.name} (${a.key})`])];
    const claimChoices = [["", "— choose the claim —"], ...claims.map((c) => [c.key, c.proposition_en || c.key])];
    const outcome = el("p", { class: "draft-outcome", role: "status", "aria-live": "polite" });
    const actor = el("select", { id: `${id}-actor`, name: "actor" }, options(actorChoices, draft.actor || ""));
    const stance = el("select", { id: `${id}-stance`, name: "stance" },
      options(STANCES.map((s) => [s, s.replace(/_/g, " ")]), draft.stance));
    const claim = el("select", { id: `${id}-claim`, name: "claim", "data-role": "claim" }, options(claimChoices, ""));
    const record = el("button", { type: "submit", class: "record" }, "Record");
    const dismiss = el("button", { type: "button", class: "dismiss" }, "Dismiss");
    const form = el("form", {
      class: "draft-card", "data-index": index, "data-actor": draft.actor || "",
      "data-stance": draft.stance, "aria-labelledby": `${id}-title`,
    },
      el("h3", { id: `${id}-title` },
        el("span", { class: `stance s-${draft.stance}` }, draft.stance.replace(/_/g, " ")), " ",
        draft.actor ? draft.actor : `unregistered: ${draft.speaker || "?"}`),
      el("blockquote", {}, draft.quote.exact),
      el("p", { class: "hint" }, `Cue “${draft.cue}” (${draft.kind}), speaker “${draft.speaker || "?"}”`,
        draft.relays ? `, relaying ${draft.relays}` : "", `, confidence ${draft.confidence}. `,
        `Code points ${draft.position.start}–${draft.position.end}.`),
      el("div", { class: "draft-fields" },
        el("label", { for: `${id}-claim` }, "Claim"), claim,
        el("label", { for: `${id}-actor` }, "Speaker"), actor,
        el("label", { for: `${id}-stance` }, "Stance"), stance),
      el("div", { class: "draft-actions" }, record, dismiss),
      outcome);
    form.addEventListener("focusin", () => showMark(index));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      recordDraft(draft, { doc, form, outcome, claim, actor, stance, record, dismiss });
    });
    dismiss.addEventListener("click", () => {
      const gone = dismissed(doc.document_id);
      gone.add(draftId(draft));
      sessionStorage.setItem(dismissedKey(doc.document_id), JSON.stringify([...gone]));
      form.hidden = true;
      form.dataset.dismissed = "true";
      updateCount();
    });
    return form;
  }

  async function recordDraft(draft, parts) {
    const { doc, form, outcome, claim, actor, stance, record } = parts;
    const token = document.getElementById("draft-token").value.trim();
    if (!claim.value || !actor.value) {
      outcome.textContent = !claim.value ? "Choose the claim first." : "Choose a registered speaker first.";
      (claim.value ? actor : claim).focus();
      return;
    }
    if (!token) {
      outcome.textContent = "A write token is needed to record (it stays in this tab only).";
      document.getElementById("draft-token").focus();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    const body = {
      claim: claim.value,
      actor: actor.value,
      stance: stance.value,
      conduit: conduitOf(doc.publisher, actor.value),
      said_at: { precision: "unknown" },
      source: { document: doc.document_id, quote: draft.quote, position: draft.position },
      note: `Confirmed from a draft (cue “${draft.cue}”, ${draft.kind}).`,
    };
    if (stance.value === "reports" && draft.relays) body.relays = draft.relays;
    record.disabled = true;
    outcome.textContent = "Recording…";
    try {
      const written = await json("/v1/statements", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json",
                   Authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      form.dataset.recorded = written.event_id;
      outcome.replaceChildren("Recorded at position ", String(written.position), ": ",
        el("a", { href: `#/claim/${encodeURIComponent(body.claim)}` }, `see ${body.claim}`), ".");
      for (const field of form.querySelectorAll("select, button")) field.disabled = true;
    } catch (error) {
      record.disabled = false;
      outcome.textContent = `Not recorded: ${error.message}`;
    }
  }

  function fadeDismissedMarks() {
    for (const mark of document.querySelectorAll(".draft-mark")) {
      const open = mark.dataset.drafts.split(" ").some((index) => {
        const form = document.querySelector(`.draft-card[data-index="${index}"]`);
        return form && !form.hidden;
      });
      mark.classList.toggle("draft-gone", !open);
    }
  }

  function updateCount() {
    fadeDismissedMarks();
    const open = document.querySelectorAll(".draft-card:not([hidden])").length;
    const count = document.getElementById("draft-count");
    if (count) count.textContent = `${open} drafts open`;
  }

  async function renderDrafts(documentId) {
    const section = document.getElementById("drafts-view");
    section.dataset.ready = "false";
    const [doc, answer, actors, claims] = await Promise.all([
      json(`/v1/documents/${encodeURIComponent(documentId)}`),
      json(`/v1/documents/${encodeURIComponent(documentId)}/drafts`),
      all("/v1/actors?limit=500", "actors"),
      all("/v1/claims?limit=500", "claims"),
    ]);
    const gone = dismissed(documentId);
    const drafts = answer.drafts;
    const context = { doc, actors, claims };
    const cards = drafts.map((draft, index) => {
      const form = card(draft, index, context);
      if (gone.has(draftId(draft))) { form.hidden = true; form.dataset.dismissed = "true"; }
      return form;
    });
    const token = el("input", { id: "draft-token", type: "password", autocomplete: "off",
      value: sessionStorage.getItem(TOKEN_KEY) || "" });
    section.replaceChildren(
      el("p", {}, el("a", { href: `#/document/${encodeURIComponent(documentId)}` }, `← ${documentId}`)),
      el("h1", { id: "drafts-title", tabindex: "-1" }, `Drafted statements in ${documentId}`),
      el("p", { class: "hint" }, "Proposals from the text and the registered actors, by rule: ",
        "nothing is recorded until you choose a claim and press Record. Check the speaker, the ",
        "stance and the quote; dismiss what is wrong."),
      el("p", { class: "draft-token" }, el("label", { for: "draft-token" }, "Write token "), token,
        el("span", { class: "hint" }, " kept for this tab only")),
      el("p", { id: "draft-count", role: "status" }),
      el("div", { class: "drafts-layout" },
        el("section", { "aria-label": "Text with the drafted statements highlighted" },
          el("h2", {}, "Text"), markedText(doc.text, drafts)),
        el("section", { "aria-label": "Drafts", class: "draft-list" },
          el("h2", {}, "Drafts"),
          drafts.length ? cards : el("p", { class: "empty-state" }, "No statement found in this text."))));
    updateCount();
    section.dataset.document = documentId;
    section.dataset.ready = "true";
  }

  window.renderDrafts = renderDrafts;
})();

// The timeline page. It reads the ledger's own /v1 endpoints and computes no ledger logic:
// states and stances come from /v1/claims at each moment, the moments from /v1/replay.
"use strict";

// Claim pages replay a claim's whole history: the window is wide enough for any story.
const ALL_TIME = { from: "1900-01-01", to: "2999-12-31" };
const DEFAULT_STORY = "musk-putin-contacts";
const AXES = { said: "as_of", recorded: "known_at" };
const STANCE_LABEL = {
  asserts: "asserts", denies: "denies", reports: "reports",
  declines_to_comment: "declines", questions: "questions",
};
const STANCE_WORDS = {
  asserts: "asserts", denies: "denies", reports: "reports (relays)",
  declines_to_comment: "declines to comment", questions: "questions",
};
const AXIS_WORDS = { said: "said-time", recorded: "recorded-time" };
const SAID_KEY_BASIS = {
  said_at: " (the date the source gives)",
  document_date: " (no date of its own: the date its document prints)",
  recorded_at: " (no date in the source: when the ledger read it)",
  corrected_at: " (when its source published the correction)",
};

const page = {
  story: null, stories: [], storyView: null,
  axis: "said", index: null, pendingAt: null, showUnstated: false, focus: null,
  actors: [], actorByKey: new Map(), claimOrder: new Map(),
  moments: {}, views: new Map(), documents: new Map(), renderToken: 0,
};

// ---------- small helpers ----------

function $(selector, root = document) { return root.querySelector(selector); }

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function fill(element, ...children) {
  element.replaceChildren(...children.flat(Infinity).filter((child) =>
    child !== null && child !== undefined && child !== false));
}

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body && (body.detail || body.title);
    throw new Error(`${path}: ${response.status} ${detail || response.statusText}`);
  }
  return body;
}

function showError(error) {
  const alert = $("#alert");
  alert.textContent = `The ledger could not be read: ${error.message}`;
  alert.hidden = false;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function formatDay(iso) {
  const [year, month, day] = iso.slice(0, 10).split("-").map(Number);
  return `${day} ${MONTHS[month - 1]} ${year}`;
}

function formatInstant(iso) {
  if (!iso) return "";
  return `${formatDay(iso)}, ${iso.slice(11, 16)} UTC`;
}

function formatSaid(saidAt) {
  if (!saidAt || saidAt.precision === "unknown") return "no date in the source";
  if (saidAt.precision === "day") return formatDay(saidAt.value);
  if (saidAt.precision === "instant") return formatSourceInstant(saidAt.value);
  return `${saidAt.value} (${saidAt.precision})`;
}

// An instant as the source gave it: its own clock time and offset ("18:00 +01:00").
function formatSourceInstant(text) {
  const offset = text.match(/([+-]\d\d:\d\d)$/);
  if (!offset || offset[1] === "+00:00") return formatInstant(text);
  return `${formatDay(text)}, ${text.slice(11, 16)} ${offset[1]}`;
}

function actorName(key) {
  const actor = page.actorByKey.get(key);
  return actor ? actor.name : key;
}

// Anchors count code points; JavaScript strings count UTF-16 units, so slice code points.
function codePoints(text) { return Array.from(text); }

function cpSlice(points, start, end) { return points.slice(start, end).join(""); }

// ---------- moments: the time control's positions ----------

function justBefore(iso) { return new Date(Date.parse(iso) - 1).toISOString(); }

function momentsOf(replay, axis, extent) {
  const byInstant = new Map();
  for (const step of replay.steps) {
    if (!byInstant.has(step.at)) byInstant.set(step.at, []);
    byInstant.get(step.at).push(step);
  }
  const first = extent ? extent.from : null;
  const start = {
    at: null, query: first ? justBefore(first) : "1900-01-01", steps: [],
    label: first ? `Before ${formatDay(first)}` : "Before the story",
  };
  const later = [...byInstant].map(([at, steps]) => ({
    at, query: at, steps, label: momentLabel(at, axis),
  }));
  return [start, ...later];
}

function momentLabel(at, axis) {
  const midnight = at.slice(11, 26) === "00:00:00.000000";
  return axis === "said" && midnight ? formatDay(at) : formatInstant(at);
}

function dayIndex(moments, day) {
  let found = 0;
  moments.forEach((moment, index) => {
    if (moment.at && moment.at.slice(0, 10) <= day) found = index;
  });
  return found;
}

function currentMoments() { return page.moments[page.axis]; }

// The days the time control offers: those with a moment on the chosen axis.
function currentDays() {
  return [...new Set(currentMoments().filter((m) => m.at).map((m) => m.at.slice(0, 10)))];
}

async function loadStories() {
  const answer = await getJson("/v1/stories?limit=1000");
  page.stories = answer.stories;
  const picker = $("#story-picker");
  fill(picker, ...page.stories.map((story) => h("option", { value: story.key }, story.title)));
}

function defaultStory() {
  const keys = page.stories.map((story) => story.key);
  return keys.includes(DEFAULT_STORY) ? DEFAULT_STORY : keys[0] || null;
}

function replayOf(story, axis) {
  const extent = story.extent[axis];
  if (!extent) return Promise.resolve({ steps: [] });
  const window = `from=${encodeURIComponent(extent.from)}&to=${encodeURIComponent(extent.to)}`;
  return getJson(`/v1/replay?${window}&axis=${axis}&story=${encodeURIComponent(story.key)}`);
}

async function loadStory(key) {
  const story = await getJson(`/v1/stories/${encodeURIComponent(key)}`);
  const [said, recorded] = await Promise.all([replayOf(story, "said"), replayOf(story, "recorded")]);
  const counts = new Map();
  for (const step of said.steps) {
    const actor = step.statement.actor;
    counts.set(actor, (counts.get(actor) || 0) + 1);
  }
  page.story = key;
  page.storyView = story;
  page.index = null;
  page.views = new Map();
  page.actorByKey = new Map(story.actors.map((actor) => [actor.key, actor]));
  page.actors = story.actors.filter((actor) => actor.speaker).sort((a, b) =>
    (counts.get(b.key) || 0) - (counts.get(a.key) || 0) || a.key.localeCompare(b.key));
  page.moments = {
    said: momentsOf(said, "said", story.extent.said),
    recorded: momentsOf(recorded, "recorded", story.extent.recorded),
  };
  page.claimOrder = new Map();
  for (const step of said.steps) {
    const claim = step.claim_state.claim;
    if (!page.claimOrder.has(claim)) page.claimOrder.set(claim, page.claimOrder.size);
  }
  $("#story-picker").value = key;
  fill($("#timeline-title"), `How the story changed: ${story.title}`);
  fill($("#story-description"), story.description || "");
  renderHead();
}

async function claimsAt(axis, moment) {
  const key = `${page.story}|${axis}|${moment.query}`;
  if (!page.views.has(key)) {
    const query = `story=${encodeURIComponent(page.story)}&limit=1000&` +
      `${AXES[axis]}=${encodeURIComponent(moment.query)}`;
    page.views.set(key, getJson(`/v1/claims?${query}`).catch((error) => {
      page.views.delete(key);
      throw error;
    }));
  }
  return page.views.get(key);
}

// ---------- the timeline view ----------

function changesAt(moment) {
  const cells = new Set();
  const states = new Map();
  for (const step of moment.steps) {
    const claim = step.claim_state.claim;
    cells.add(`${claim}|${step.actor_stance.actor}`);
    const seen = states.get(claim);
    states.set(claim, { before: seen ? seen.before : step.claim_state.before,
                        after: step.claim_state.after });
  }
  for (const [claim, change] of states) if (change.before === change.after) states.delete(claim);
  return { cells, states };
}

function sortClaims(claims) {
  const rank = (claim) => page.claimOrder.has(claim.key) ? page.claimOrder.get(claim.key) : 1e6;
  return [...claims].sort((a, b) => rank(a) - rank(b) || a.key.localeCompare(b.key));
}

function renderHead() {
  const cells = page.actors.map((actor) => h("th", {
    scope: "col", "data-actor": actor.key, title: actor.key,
  }, h("span", { class: "col-name" }, actor.name)));
  // Few columns have room for names written across; many are written upwards.
  $("#matrix").classList.toggle("few-actors", page.actors.length <= 6);
  fill($("#matrix thead"), h("tr", {},
    h("th", { scope: "col", class: "claim-col" }, "Claim and its state"), cells));
}

function stateBadge(state, change) {
  const badge = h("span", { class: `state st-${state}`, "data-role": "state" }, state);
  if (!change) return badge;
  return h("span", { class: "state-wrap changed" }, badge,
    h("span", { class: "was" }, change.before === "unstated"
      ? " first stated at this moment" : ` changed from ${change.before}`));
}

function claimHeader(claim, change) {
  return h("th", { scope: "row", class: "claim-cell", tabindex: "-1", "data-col": "0" },
    h("a", { href: `#/claim/${encodeURIComponent(claim.key)}`, tabindex: "-1",
             class: "claim-link", title: claim.key }, proposition(claim)),
    " ", stateBadge(claim.state, change));
}

function stanceCell(claim, actor, stance, changed, column) {
  const attributes = { "data-actor": actor.key, "data-col": String(column), tabindex: "-1",
                       "data-label": actor.name };
  if (!stance) {
    return h("td", { ...attributes, class: "cell empty", "aria-label": `${actor.name}: none` });
  }
  const classes = ["cell", "has-stance", `s-${stance.stance}`, changed ? "changed" : ""];
  return h("td", { ...attributes, class: classes.join(" "), "data-stance": stance.stance,
                   title: `${actorName(actor.key)} ${STANCE_WORDS[stance.stance]}` },
    h("span", { class: "stance-label" }, STANCE_LABEL[stance.stance] || stance.stance),
    changed ? h("span", { class: "visually-hidden" }, " (changed at this moment)") : null);
}

function claimRow(claim, changes) {
  const stances = new Map(claim.stances.map((stance) => [stance.actor, stance]));
  const cells = page.actors.map((actor, index) => stanceCell(claim, actor,
    stances.get(actor.key), changes.cells.has(`${claim.key}|${actor.key}`), index + 1));
  const unstated = claim.state === "unstated";
  return h("tr", { "data-claim": claim.key, "data-state": claim.state,
                   class: unstated ? "unstated" : null },
    claimHeader(claim, changes.states.get(claim.key)), cells);
}

function renderMatrix(view, moment) {
  const changes = changesAt(moment);
  const claims = sortClaims(view.claims)
    .filter((claim) => page.showUnstated || claim.state !== "unstated");
  page.claimsByKey = new Map(view.claims.map((claim) => [claim.key, claim]));
  fill($("#matrix tbody"), ...claims.map((claim) => claimRow(claim, changes)));
  const table = $("#matrix");
  table.hidden = claims.length === 0;
  const empty = $("#matrix-empty");
  empty.hidden = claims.length > 0;
  empty.textContent = emptyText(view);
  restoreRovingFocus();
}

function emptyText(view) {
  const first = currentMoments()[1];
  if (view.claims.length === 0 && page.axis === "recorded" && first) {
    return `The ledger had recorded nothing by then. It read its first text on ${first.label}.`;
  }
  return "Nobody had stated any claim by then. Tick “Show claims nobody had stated yet” to list them.";
}

function renderSummary(moment, view) {
  const summary = $("#moment-summary");
  if (moment.steps.length === 0) {
    fill(summary, h("p", {}, describeStart(view)));
    return;
  }
  // Each step that changed a claim's state is its own entry, in the replay's order: a report
  // and its denial said the same day are two changes, not one.
  const changed = moment.steps.filter((step) => step.claim_state.changed).map((step) => {
    const claim = step.claim_state.claim;
    return h("li", { "data-claim": claim, "data-step": String(step.step) },
      h("a", { href: `#/claim/${encodeURIComponent(claim)}` }, claim), ": ",
      h("span", { class: `state st-${step.claim_state.before}` }, step.claim_state.before), " → ",
      h("span", { class: `state st-${step.claim_state.after}` }, step.claim_state.after),
      h("span", { class: "hint" }, ` (#${step.step} ${step.statement.actor})`));
  });
  const bySource = (type) => page.axis === "said"
    ? moment.steps.filter((step) => step.type === type && step.basis === "source_changed").length
    : 0;
  const withdrawn = bySource("StatementRetracted");
  const corrected = bySource("StatementCorrected");
  const count = moment.steps.length - withdrawn - corrected;
  const verb = page.axis === "said" ? "said" : "recorded";
  const parts = [];
  if (count) parts.push(`${count} statement${count === 1 ? "" : "s"} ${verb}`);
  if (withdrawn) parts.push(`${withdrawn} withdrawn by ${withdrawn === 1 ? "its" : "their"} source`);
  if (corrected) parts.push(`${corrected} corrected by ${corrected === 1 ? "its" : "their"} source`);
  const headline = `${parts.join(", ")}; ` + (changed.length
    ? `${changed.length} claim state change${changed.length === 1 ? "" : "s"}`
    : "no claim changed state");
  const placed = page.axis === "said" &&
    moment.steps.some((step) => step.statement.said_at.precision === "unknown");
  fill(summary, [
    h("p", {}, h("strong", {}, moment.label), `: ${headline}.`,
      placed ? h("span", { class: "hint" }, " Some give no date: the ledger places them at " +
        "the date their document prints, or failing that when it read them.") : null),
    changed.length ? h("details", { class: "steps", open: changed.length <= 3 },
      h("summary", {}, "Claim state changes, in order"),
      h("ul", { class: "changes" }, changed)) : null,
    stepsDetails(moment),
  ]);
}

function describeStart(view) {
  const stated = view.claims.filter((claim) => claim.state !== "unstated").length;
  const label = currentMoments()[0].label;
  if (page.axis === "recorded") return `${label}, the ledger had recorded nothing of this story.`;
  return `${label}: ${stated} claim${stated === 1 ? "" : "s"} already stated ` +
    "by statements said earlier.";
}

function stepsDetails(moment) {
  const items = moment.steps.map((step) => {
    const statement = step.statement;
    const relay = statement.relays ? ` (relaying ${statement.relays})` : "";
    const withdrawn = page.axis === "said" && step.type === "StatementRetracted"
      ? "withdrawn by its source: " : "";
    const stance = step.replaces
      ? `${STANCE_WORDS[step.replaces.stance]} → ${STANCE_WORDS[statement.stance]}`
      : STANCE_WORDS[statement.stance];
    return h("li", { "data-step": String(step.step) },
      `#${step.step} ${withdrawn}${statement.actor} ${stance}` +
      `${relay} ${step.claim_state.claim}, read in ${statement.source.document}`,
      changeDates(step));
  });
  return h("details", { class: "steps" },
    h("summary", {}, `Every statement at this moment (${items.length})`), h("ol", {}, items));
}

// A correction's or withdrawal's dates: the source's first, then when the ledger recorded it.
function changeDates(step) {
  if (!step.recorded_at) return null;
  const corrected = step.type === "StatementCorrected";
  const source = step.changed_at
    ? `${corrected ? "corrected" : "withdrawn"} by its source ${momentLabel(step.changed_at, "said")}`
    : `${corrected ? "corrected" : "retracted"} for the ledger's own error`;
  return h("span", { class: "hint change-dates" },
    ` (${source}; recorded by the ledger ${formatInstant(step.recorded_at)})`);
}

function renderControls() {
  const moments = currentMoments();
  const slider = $("#moment");
  const moment = moments[page.index];
  slider.max = String(moments.length - 1);
  slider.value = String(page.index);
  slider.setAttribute("aria-valuetext", `${moment.label} (${page.index + 1} of ${moments.length})`);
  $("#moment-label").textContent =
    `${moment.label}, ${AXIS_WORDS[page.axis]} (moment ${page.index + 1} of ${moments.length})`;
  for (const radio of document.querySelectorAll("input[name=axis]")) {
    radio.checked = radio.value === page.axis;
  }
  renderDays(moments);
  $("#previous").disabled = page.index === 0;
  $("#next").disabled = page.index === moments.length - 1;
  $("#show-unstated").checked = page.showUnstated;
}

function renderDays(moments) {
  const days = currentDays();
  const box = $("#days");
  const shown = [...box.querySelectorAll("[data-day]")].map((button) => button.dataset.day);
  if (shown.join() !== days.join()) {
    fill(box, h("legend", {}, "Jump to the end of a day"), ...days.map((day) =>
      h("button", { type: "button", "data-day": day }, formatDay(`${day}T00:00:00Z`))));
  }
  for (const button of box.querySelectorAll("[data-day]")) {
    const pressed = dayIndex(moments, button.dataset.day) === page.index;
    button.setAttribute("aria-pressed", String(pressed));
  }
}

function lastIndex() { return currentMoments().length - 1; }

async function renderTimeline() {
  const token = ++page.renderToken;
  const moments = currentMoments();
  if (page.index === null || page.index >= moments.length) page.index = moments.length - 1;
  const moment = moments[page.index];
  renderControls();
  const table = $("#matrix");
  table.setAttribute("aria-busy", "true");
  const view = await claimsAt(page.axis, moment);
  if (token !== page.renderToken) return;
  renderMatrix(view, moment);
  renderSummary(moment, view);
  table.setAttribute("aria-busy", "false");
  const section = $("#timeline-view");
  section.dataset.axis = page.axis;
  section.dataset.moment = moment.at || "start";
  section.dataset.ready = "true";
}

function setMoment(index, { updateHash = true } = {}) {
  const moments = currentMoments();
  page.index = Math.max(0, Math.min(moments.length - 1, index));
  if (updateHash) writeTimelineHash();
  renderTimeline().catch(showError);
}

function setAxis(axis) {
  const current = currentMoments()[page.index];
  page.axis = axis;
  page.index = current && current.at ? dayIndex(currentMoments(), current.at.slice(0, 10)) : 0;
  writeTimelineHash();
  renderTimeline().catch(showError);
}

// The URL keeps story, axis and moment, so a view can be shared: #/story/KEY?axis=said&at=...
function writeTimelineHash() {
  const moment = currentMoments()[page.index];
  const at = moment && moment.at ? moment.at : "start";
  const hash = `#/story/${encodeURIComponent(page.story)}?axis=${page.axis}&at=${at}`;
  if (location.hash !== hash) history.replaceState(null, "", hash);
}

function indexAt(at) {
  const moments = currentMoments();
  if (at === "start") return 0;
  if (/^\d{4}-\d{2}-\d{2}$/.test(at)) return dayIndex(moments, at);
  const exact = moments.findIndex((moment) => moment.at === at);
  if (exact >= 0) return exact;
  let found = 0;
  moments.forEach((moment, index) => { if (moment.at && moment.at <= at) found = index; });
  return found;
}

async function search(event) {
  event.preventDefault();
  const q = $("#search-q").value.trim();
  const results = $("#search-results");
  if (!q) { fill(results); return; }
  const query = `story=${encodeURIComponent(page.story)}&q=${encodeURIComponent(q)}&limit=50`;
  const [claims, statements] = await Promise.all([
    getJson(`/v1/claims?${query}`), getJson(`/v1/statements?${query}`),
  ]);
  const claimItems = claims.claims.map((claim) => h("li", { "data-claim": claim.key },
    h("a", { href: `#/claim/${encodeURIComponent(claim.key)}` }, proposition(claim)), " ",
    stateBadge(claim.state)));
  const quoteItems = statements.statements.map((entry) => h("li",
    { "data-statement": entry.statement_id },
    `${actorName(entry.actor)} ${STANCE_WORDS[entry.stance]}: `,
    h("q", {}, entry.source.quote.exact), " ",
    h("a", { href: `#/claim/${encodeURIComponent(entry.claim)}` }, entry.claim),
    entry.status === "standing" ? null : h("span", { class: "hint" }, ` (${entry.status})`)));
  const total = claimItems.length + quoteItems.length;
  fill(results,
    h("p", { id: "search-count" }, total
      ? `${claimItems.length} claim${claimItems.length === 1 ? "" : "s"} and ` +
        `${quoteItems.length} quote${quoteItems.length === 1 ? "" : "s"} match “${q}”.`
      : `Nothing in this story matches “${q}”.`),
    claimItems.length ? h("ul", { class: "search-claims" }, claimItems) : null,
    quoteItems.length ? h("ul", { class: "search-quotes" }, quoteItems) : null);
}

function proposition(claim) {
  const map = claim.propositions || {};
  return map.en || Object.values(map)[0] || claim.key;
}

function bindControls() {
  $("#controls").addEventListener("submit", (event) => event.preventDefault());
  for (const radio of document.querySelectorAll("input[name=axis]")) {
    radio.addEventListener("change", () => radio.checked && setAxis(radio.value));
  }
  $("#days").addEventListener("click", (event) => {
    const button = event.target.closest("[data-day]");
    if (button) setMoment(dayIndex(currentMoments(), button.dataset.day));
  });
  $("#story-picker").addEventListener("change", (event) => {
    location.hash = `#/story/${encodeURIComponent(event.target.value)}?axis=${page.axis}`;
  });
  $("#search").addEventListener("submit", (event) => search(event).catch(showError));
  $("#moment").addEventListener("input", (event) => setMoment(Number(event.target.value)));
  $("#previous").addEventListener("click", () => setMoment(page.index - 1));
  $("#next").addEventListener("click", () => setMoment(page.index + 1));
  $("#show-unstated").addEventListener("change", (event) => {
    page.showUnstated = event.target.checked;
    renderTimeline().catch(showError);
  });
  const body = $("#matrix tbody");
  body.addEventListener("click", onMatrixClick);
  body.addEventListener("keydown", onMatrixKey);
  body.addEventListener("focusin", (event) => rememberFocus(event.target.closest("td, th")));
}

// ---------- the matrix as a grid: one tab stop, arrow keys inside ----------

function gridRows() { return [...document.querySelectorAll("#matrix tbody tr")]; }

function visibleCells(row) {
  return [...row.querySelectorAll("th, td")].filter((cell) => cell.offsetParent !== null);
}

function rememberFocus(cell) {
  if (!cell) return;
  page.focus = { claim: cell.closest("tr").dataset.claim, col: Number(cell.dataset.col) };
  for (const other of document.querySelectorAll("#matrix tbody [tabindex='0']")) {
    if (other !== cell) other.setAttribute("tabindex", "-1");
  }
  cell.setAttribute("tabindex", "0");
}

function restoreRovingFocus() {
  const rows = gridRows();
  if (rows.length === 0) return;
  const wanted = page.focus && rows.find((row) => row.dataset.claim === page.focus.claim);
  const row = wanted || rows[0];
  const cells = [...row.querySelectorAll("th, td")];
  const cell = (wanted && cells[page.focus.col]) || cells[0];
  const hadFocus = document.activeElement && document.activeElement.closest &&
    document.activeElement.closest("#matrix tbody");
  cell.setAttribute("tabindex", "0");
  if (hadFocus) cell.focus();
}

function nearestVisible(row, col) {
  const cells = visibleCells(row);
  return cells.reduce((best, cell) => (
    Math.abs(Number(cell.dataset.col) - col) < Math.abs(Number(best.dataset.col) - col)
      ? cell : best), cells[0]);
}

function moveFrom(cell, key) {
  const row = cell.closest("tr");
  const rows = gridRows();
  const cells = visibleCells(row);
  const at = cells.indexOf(cell);
  const col = Number(cell.dataset.col);
  const rowAt = rows.indexOf(row);
  switch (key) {
    case "ArrowRight": return cells[at + 1];
    case "ArrowLeft": return cells[at - 1];
    case "Home": return cells[0];
    case "End": return cells[cells.length - 1];
    case "ArrowDown": return rows[rowAt + 1] && nearestVisible(rows[rowAt + 1], col);
    case "ArrowUp": return rows[rowAt - 1] && nearestVisible(rows[rowAt - 1], col);
    case "PageDown": return nearestVisible(rows[Math.min(rows.length - 1, rowAt + 10)], col);
    case "PageUp": return nearestVisible(rows[Math.max(0, rowAt - 10)], col);
    default: return undefined;
  }
}

function onMatrixKey(event) {
  const cell = event.target.closest("td, th");
  if (!cell) return;
  if (event.key === "Enter" || event.key === " ") {
    event.preventDefault();
    activateCell(cell);
    return;
  }
  const next = moveFrom(cell, event.key);
  if (next === undefined) return;
  event.preventDefault();
  if (next) {
    rememberFocus(next);
    next.focus();
  }
}

function onMatrixClick(event) {
  if (event.target.closest("a")) return;
  const cell = event.target.closest("td, th");
  if (cell) {
    rememberFocus(cell);
    activateCell(cell);
  }
}

function activateCell(cell) {
  if (cell.tagName === "TH") {
    cell.querySelector("a").click();
    return;
  }
  if (!cell.classList.contains("has-stance")) return;
  const claim = page.claimsByKey.get(cell.closest("tr").dataset.claim);
  const stance = claim.stances.find((item) => item.actor === cell.dataset.actor);
  openStatement(stance, claim, cell).catch(showError);
}

// ---------- the statement dialog ----------

async function loadDocument(id) {
  if (!page.documents.has(id)) {
    page.documents.set(id, getJson(`/v1/documents/${encodeURIComponent(id)}`).then((doc) => (
      { ...doc, points: codePoints(doc.text) })));
  }
  return page.documents.get(id);
}

async function loadClaim(key) {
  if (page.claimsByKey && page.claimsByKey.has(key)) return page.claimsByKey.get(key);
  return getJson(`/v1/claims/${encodeURIComponent(key)}`);
}

async function endingEvent(version) {
  if (!version.ended_position) return null;
  const page_ = await getJson(`/v1/events?after=${version.ended_position - 1}&limit=1`);
  return page_.events[0] || null;
}

async function openStatement(entry, claim, opener) {
  const [doc, statement] = await Promise.all([
    loadDocument(entry.source.document),
    getJson(`/v1/statements/${encodeURIComponent(entry.statement_id)}`),
  ]);
  const endings = await Promise.all(statement.versions.map(endingEvent));
  const dialog = $("#statement-dialog");
  const claimView = claim || await loadClaim(entry.claim);
  $("#statement-title").textContent =
    `${actorName(entry.actor)} ${STANCE_WORDS[entry.stance] || entry.stance}`;
  fill($("#statement-body"), ...statementBody(entry, claimView, doc, statement, endings));
  dialog.dataset.statement = entry.statement_id;
  dialog.dataset.opener = "";
  page.dialogOpener = opener || document.activeElement;
  if (!dialog.open) dialog.showModal();
  $("#dialog-close").focus();
  centreInBox($("#statement-body mark"));
}

function statementBody(entry, claim, doc, statement, endings) {
  return [
    h("p", { class: "proposition" }, h("span", { class: `stance s-${entry.stance}` },
      STANCE_LABEL[entry.stance] || entry.stance), " ",
      h("a", { href: `#/claim/${encodeURIComponent(claim.key)}`, "data-close": "" },
        claim.proposition_en)),
    h("p", { class: "proposition-de", lang: "de" }, claim.proposition_de),
    h("h3", {}, `The quote in ${doc.document_id}`),
    quotedDocument(doc, entry.source),
    h("p", { class: "hint" }, "Highlighted: the exact words the statement rests on, at " +
      `code points ${entry.source.position.start} to ${entry.source.position.end}.`),
    statusBlock(entry, statement, endings),
    h("dl", { class: "facts" }, facts(entry, doc)),
  ];
}

function facts(entry, doc) {
  const rows = [
    ["Speaker", `${actorName(entry.actor)} (${entry.actor})`],
    ["Said", formatSaid(entry.said_at) +
      (entry.said_at && entry.said_at.basis ? `. ${entry.said_at.basis}` : "")],
    ["On the said axis at", entry.said_key ? momentLabel(entry.said_key, "said") +
      (SAID_KEY_BASIS[entry.said_key_basis] || "") : null],
    ["Recorded by the ledger", formatInstant(entry.recorded_at)],
    ["Conduit", conduitChain(entry.conduit, doc)],
    ["Relays", entry.relays ? actorName(entry.relays) : null],
    ["Also relayed by", entry.relayed_by && entry.relayed_by.length
      ? entry.relayed_by.join(", ") : null],
    ["Read in", h("a", { href: `#/document/${encodeURIComponent(doc.document_id)}`,
                         "data-close": "" }, doc.document_id),
      doc.dated ? ` (dated ${formatDay(doc.dated)})` : " (undated)"],
    ["Note", entry.note],
  ];
  return rows.filter(([, value]) => value).map(([term, ...value]) => [
    h("dt", {}, term), h("dd", {}, ...value)]);
}

function conduitChain(conduit, doc) {
  return h("ol", { class: "conduit", "aria-label": "Conduit, from publisher to speaker" },
    conduit.map((hop, index) => h("li", {}, h("span", { title: actorName(hop) }, hop),
      index === 0 && doc.publisher === hop ? h("span", { class: "hint" }, " publisher") : null)));
}

function statusBlock(entry, statement, endings) {
  const versions = statement.versions;
  const position = versions.findIndex((version) => version.version_id === entry.version_id);
  const lines = versions.map((version, index) => versionLine(version, index, endings[index],
    index === position));
  const status = statement.status;
  const corrected = versions.length > 1;
  let headline = "Standing: never corrected or retracted.";
  if (status === "retracted") headline = "Retracted: it no longer counts from the retraction on.";
  else if (corrected) headline = `Corrected: ${versions.length} versions; the latest stands.`;
  return h("div", { class: `status status-${status}${corrected ? " status-corrected" : ""}`,
                    "data-status": status, "data-versions": String(versions.length) },
    h("p", {}, h("strong", {}, headline)),
    versions.length > 1 || status !== "standing" ? h("ol", {}, lines) : null);
}

function versionLine(version, index, ending, shown) {
  const end = ending ? ` ${endingWords(ending)}: “${ending.data.reason}” (${ending.data.basis})` : "";
  return h("li", { class: shown ? "shown" : null },
    `Version ${index + 1}, recorded ${formatInstant(version.recorded_at)}: ` +
    `${version.actor} ${STANCE_WORDS[version.stance] || version.stance}.${end}` +
    (shown ? " (the version shown here)" : ""));
}

// When a version ended: the source's date first (a source_changed withdrawal or correction),
// then when the ledger recorded it.
function endingWords(ending) {
  const verb = ending.type === "StatementRetracted" ? "Withdrawn" : "Corrected";
  const recorded = `recorded by the ledger ${formatInstant(ending.recorded_at)}`;
  if (ending.data.basis !== "source_changed") {
    const fixed = ending.type === "StatementRetracted" ? "Retracted" : "Corrected";
    return `${fixed} for the ledger's own error, ${recorded}`;
  }
  const at = ending.data.corrected_at || ending.data.withdrawn_at;
  const source = at ? momentLabel(normalInstant(at), "said") : formatInstant(ending.recorded_at);
  return `${verb} by the source ${source}; ${recorded}`;
}

// An instant as the replay writes them (microseconds, Z), so momentLabel knows a midnight.
function normalInstant(text) {
  return new Date(text).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function quotedDocument(doc, source) {
  const { start, end } = source.position;
  const points = doc.points;
  return h("div", { class: "document-text", tabindex: "0", lang: doc.language,
                    "aria-label": `Text of ${doc.document_id}` },
    cpSlice(points, 0, start),
    h("mark", { class: "quote", "data-start": String(start), "data-end": String(end) },
      cpSlice(points, start, end)),
    cpSlice(points, end, points.length));
}

function centreInBox(mark) {
  if (!mark) return;
  const box = mark.closest(".document-text");
  box.scrollTop = Math.max(0, mark.offsetTop - (box.clientHeight - mark.offsetHeight) / 2);
}

function closeDialog() {
  const dialog = $("#statement-dialog");
  if (dialog.open) dialog.close();
}

function bindDialog() {
  const dialog = $("#statement-dialog");
  $("#dialog-close").addEventListener("click", closeDialog);
  dialog.addEventListener("close", () => {
    // Chromium gives focus back on close; this only catches a browser that left it nowhere.
    const opener = page.dialogOpener;
    const lost = document.activeElement === document.body || dialog.contains(document.activeElement);
    if (lost && opener && opener.isConnected) opener.focus();
  });
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) closeDialog();
    if (event.target.closest("[data-close]")) {
      page.dialogOpener = null;
      closeDialog();
    }
  });
}

// ---------- one claim's history ----------

async function renderClaim(key) {
  const section = $("#claim-view");
  const encoded = encodeURIComponent(key);
  const [claim, history, said, recorded] = await Promise.all([
    getJson(`/v1/claims/${encoded}`),
    getJson(`/v1/claims/${encoded}/history`),
    getJson(`/v1/replay?from=${ALL_TIME.from}&to=${ALL_TIME.to}&axis=said&claim=${encoded}`),
    getJson(`/v1/replay?from=${ALL_TIME.from}&to=${ALL_TIME.to}&axis=recorded&claim=${encoded}`),
  ]);
  fill(section,
    h("p", {}, h("a", { href: timelineLink(claim.story) }, "← Back to the timeline")),
    h("h1", { id: "claim-title", tabindex: "-1" }, proposition(claim)),
    ...Object.entries(claim.propositions || {}).filter(([lang]) => lang !== "en").map(
      ([lang, text]) => h("p", { lang, class: `proposition-${lang}` }, text)),
    h("p", {}, "Claim ", h("code", {}, claim.key), " is now ", stateBadge(claim.state), "."),
    claim.note ? h("p", { class: "hint" }, claim.note) : null,
    h("div", { class: "two-axes" }, stateTimeline(said, "said"), stateTimeline(recorded, "recorded")),
    h("h2", {}, "Every statement version, in the order the ledger recorded them"),
    historyTable(history.statements, claim));
  section.dataset.claim = key;
}

function stateTimeline(replay, axis) {
  const items = replay.steps.map((step) => h("li", {
    class: step.claim_state.changed ? "changed" : null },
    h("span", { class: "when" }, momentLabel(step.at, axis)), " ",
    `${step.statement.actor} ${step.replaces ? `${STANCE_WORDS[step.replaces.stance]} → ` : ""}` +
      `${STANCE_WORDS[step.statement.stance]}`, " ",
    step.claim_state.changed
      ? [h("span", { class: `state st-${step.claim_state.before}` }, step.claim_state.before),
         " → ", h("span", { class: `state st-${step.claim_state.after}` }, step.claim_state.after)]
      : h("span", { class: "hint" }, `stays ${step.claim_state.after}`),
    changeDates(step)));
  const title = axis === "said" ? "By said-time" : "By recorded-time";
  return h("section", { class: "axis-timeline", "aria-label": title }, h("h2", {}, title),
    items.length ? h("ol", {}, items) : h("p", {}, "Nothing on this axis yet."));
}

// How a version ended, the source's date first: "by the source 18 Nov 2026; recorded …".
function versionEnd(entry) {
  if (!entry.ended_at) return null;
  const source = entry.withdrawn_at
    ? `by the source ${momentLabel(entry.withdrawn_at, "said")}`
    : "for the ledger's own error";
  return h("span", { class: "hint change-dates" },
    ` ${source}; recorded ${formatInstant(entry.ended_at)}`);
}

function historyTable(statements, claim) {
  const rows = statements.map((entry) => h("tr", { "data-statement": entry.statement_id },
    h("td", {}, formatInstant(entry.recorded_at)),
    h("td", {}, formatSaid(entry.said_at)),
    h("td", {}, entry.actor),
    h("td", {}, h("span", { class: `stance s-${entry.stance}` },
      STANCE_LABEL[entry.stance] || entry.stance)),
    h("td", {}, entry.conduit.join(" → ")),
    h("td", { class: "quote-cell", lang: "de" }, `“${entry.source.quote.exact}”`),
    h("td", {}, entry.status, versionEnd(entry)),
    h("td", {}, h("button", { type: "button", class: "open",
      onclick: (event) => openStatement(entry, claim, event.currentTarget).catch(showError) },
      "Open", h("span", { class: "visually-hidden" }, ` ${entry.actor} ${entry.stance}`)))));
  return h("div", { class: "table-wrap" }, h("table", { class: "history" },
    h("thead", {}, h("tr", {}, ["Recorded", "Said", "Actor", "Stance", "Conduit", "Quote",
      "Status", h("span", { class: "visually-hidden" }, "Open")].map((name) =>
      h("th", { scope: "col" }, name)))),
    h("tbody", {}, rows)));
}

// ---------- one document with every anchor ----------

function segments(points, anchors) {
  const cuts = new Set([0, points.length]);
  for (const anchor of anchors) {
    cuts.add(anchor.source.position.start);
    cuts.add(anchor.source.position.end);
  }
  const sorted = [...cuts].sort((a, b) => a - b);
  const parts = [];
  for (let index = 0; index + 1 < sorted.length; index += 1) {
    const [start, end] = [sorted[index], sorted[index + 1]];
    const covering = anchors.filter((anchor) =>
      anchor.source.position.start <= start && end <= anchor.source.position.end);
    parts.push({ start, end, covering });
  }
  return parts;
}

function anchorNumbers(anchors) {
  const sorted = [...anchors].sort((a, b) =>
    a.source.position.start - b.source.position.start || a.position - b.position);
  return new Map(sorted.map((anchor, index) => [anchor.version_id, index + 1]));
}

function documentText(doc, anchors, numbers) {
  const firstSegment = new Set();
  const nodes = segments(doc.points, anchors).map((part) => {
    const text = cpSlice(doc.points, part.start, part.end);
    if (part.covering.length === 0) return text;
    const ids = part.covering.map((anchor) => numbers.get(anchor.version_id));
    const starting = part.covering.filter((anchor) => !firstSegment.has(anchor.version_id));
    starting.forEach((anchor) => firstSegment.add(anchor.version_id));
    return h("mark", {
      class: part.covering.length > 1 ? "anchor overlap" : "anchor",
      id: starting.length ? `anchor-${numbers.get(starting[0].version_id)}` : null,
      tabindex: starting.length ? "-1" : null,
      "data-anchors": ids.join(" "), title: `Anchor ${ids.join(", ")}`,
    }, text);
  });
  return h("div", { class: "document-text full", lang: doc.language, tabindex: "0",
                    "aria-label": `Text of ${doc.document_id}` }, nodes);
}

function anchorList(anchors, numbers, claims) {
  const sorted = [...anchors].sort((a, b) => numbers.get(a.version_id) - numbers.get(b.version_id));
  const items = sorted.map((anchor) => {
    const number = numbers.get(anchor.version_id);
    return h("li", { value: String(number), "data-statement": anchor.statement_id },
      h("a", { href: `#anchor-${number}`, onclick: (event) => {
        event.preventDefault();
        const mark = document.getElementById(`anchor-${number}`);
        if (mark) { mark.focus(); mark.scrollIntoView({ block: "center" }); }
      } }, `${anchor.actor} ${STANCE_WORDS[anchor.stance] || anchor.stance}`),
      ` ${anchor.claim}`, anchor.status !== "standing" ? ` (${anchor.status})` : "",
      " ", h("button", { type: "button", class: "open",
        onclick: (event) => openStatement(anchor, claims.get(anchor.claim), event.currentTarget)
          .catch(showError) }, "Open",
        h("span", { class: "visually-hidden" }, ` anchor ${number}`)));
  });
  return h("ol", { class: "anchors" }, items);
}

async function renderDocument(id) {
  const section = $("#document-view");
  const [doc, claims] = await Promise.all([loadDocument(id), getJson("/v1/claims")]);
  const byKey = new Map(claims.claims.map((claim) => [claim.key, claim]));
  const numbers = anchorNumbers(doc.anchors);
  fill(section,
    h("p", {}, h("a", { href: "#/documents" }, "← All documents")),
    h("h1", { id: "document-title", tabindex: "-1" }, doc.document_id),
    h("p", {}, h("a", { href: `#/document/${encodeURIComponent(id)}/drafts` },
      "Draft statements from this text")),
    h("dl", { class: "facts" },
      h("dt", {}, "Publisher"), h("dd", {}, doc.publisher ? actorName(doc.publisher) : "unknown"),
      h("dt", {}, "Dated"), h("dd", {}, doc.dated ? formatDay(doc.dated) : "no date printed"),
      h("dt", {}, "Read by the ledger"), h("dd", {}, formatInstant(doc.registered_at)),
      h("dt", {}, "SHA-256"), h("dd", {}, h("code", { class: "hash" }, doc.sha256)),
      doc.note ? [h("dt", {}, "Note"), h("dd", {}, doc.note)] : null),
    h("div", { class: "document-layout" },
      h("section", { "aria-label": "Text with every quote anchor highlighted" },
        h("h2", {}, `Text, ${doc.anchors.length} quote anchors highlighted`),
        documentText(doc, doc.anchors, numbers)),
      h("section", { "aria-label": "Quote anchors" }, h("h2", {}, "Anchors"),
        anchorList(doc.anchors, numbers, byKey))));
  section.dataset.document = id;
}

async function renderDocuments() {
  const section = $("#documents-view");
  const list = await getJson("/v1/documents");
  fill(section,
    h("h1", { id: "documents-title", tabindex: "-1" }, "Documents"),
    h("ul", { class: "documents" }, list.documents.map((doc) => h("li", {},
      h("a", { href: `#/document/${encodeURIComponent(doc.document_id)}` }, doc.document_id),
      ` — ${doc.publisher || "unknown publisher"}, ${doc.dated ? formatDay(doc.dated) : "undated"},`,
      ` read ${formatInstant(doc.registered_at)}, ${doc.statements} statements`))));
}

// ---------- routing ----------

function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = raw.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent),
           params: new URLSearchParams(query) };
}

function showView(id) {
  for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== id;
  for (const link of document.querySelectorAll("[data-nav]")) {
    const current = `${link.dataset.nav}-view` === id;
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function timelineLink(story) {
  const key = story || page.story;
  return key ? `#/story/${encodeURIComponent(key)}?axis=${page.axis}` : "#/";
}

async function route({ initial = false } = {}) {
  closeDialog();
  $("#alert").hidden = true;
  const { parts, params } = parseHash();
  if (parts[0] === "claim" && parts[1]) {
    showView("claim-view");
    await renderClaim(parts[1]);
  } else if (parts[0] === "document" && parts[1] && parts[2] === "drafts") {
    showView("drafts-view");  // drafts.js
    await window.renderDrafts(parts[1]);
  } else if (parts[0] === "document" && parts[1]) {
    showView("document-view");
    await renderDocument(parts[1]);
  } else if (parts[0] === "documents") {
    showView("documents-view");
    await renderDocuments();
  } else {
    const key = parts[0] === "story" && parts[1] ? parts[1] : page.story || defaultStory();
    if (!key) {
      showView("timeline-view");
      fill($("#matrix-empty"), "The ledger holds no story yet: register one with POST /v1/stories.");
      $("#matrix-empty").hidden = false;
      return;
    }
    if (key !== page.story) await loadStory(key);
    showView("timeline-view");
    readTimelineParams(params);
    writeTimelineHash();
    await renderTimeline();
  }
  if (!initial) {
    const heading = $(".view:not([hidden]) h1");
    if (heading) heading.focus();
  }
}

function readTimelineParams(params) {
  if (params.get("axis") in AXES) page.axis = params.get("axis");
  const moment = Number.parseInt(params.get("moment"), 10);
  if (params.get("at")) page.index = indexAt(params.get("at"));
  else if (Number.isInteger(moment)) page.index = Math.max(0, Math.min(moment, lastIndex()));
}

async function start() {
  bindControls();
  bindDialog();
  try {
    await loadStories();
    await route({ initial: true });
    window.addEventListener("hashchange", () => {
      if (location.hash === "" || location.hash.startsWith("#/")) route().catch(showError);
    });
    document.body.dataset.ready = "true";
  } catch (error) {
    showError(error);
  }
}

document.addEventListener("DOMContentLoaded", start);

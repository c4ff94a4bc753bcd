// The timeline page. It reads the ledger's own /v1 endpoints and computes no ledger logic:
// states and stances come from /v1/claims at each moment, the moments from /v1/replay.
"use strict";

// Every word a reader sees comes from api/static/i18n/<language>.json, never from here.

// Claim pages replay a claim's whole history: the window is wide enough for any story.
const ALL_TIME = { from: "1900-01-01", to: "2999-12-31" };
const AXES = { said: "as_of", recorded: "known_at" };
const LANGUAGES = ["de", "en"];  // the files in api/static/i18n/
const FALLBACK_LANGUAGE = "en";
// Up to this many actors the matrix is a grid with names written across; beyond, each claim
// is a card listing the actors who took a stance (no sideways scrolling at any width).
const GRID_ACTORS = 12;

const page = {
  story: null, stories: [], storyView: null,
  axis: "said", index: null, pendingAt: null, showUnstated: false, focus: null,
  actors: [], actorByKey: new Map(), claimOrder: new Map(),
  moments: {}, views: new Map(), documents: new Map(), renderToken: 0,
  lang: FALLBACK_LANGUAGE, langChosen: false, words: {}, allActors: new Map(),
  claimFocus: null, statement: null, q: "", embed: null, claimNames: new Map(),
};

// ---------- the reader's language ----------

function t(key, vars = {}) {
  const text = page.words[key];
  if (typeof text !== "string") return key;  // a missing word shows its key, to be caught
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in vars ? String(vars[name]) : match));
}

function tn(key, count, vars = {}) {
  return t(`${key}_${count === 1 ? "one" : "other"}`, { count, ...vars });
}

function stanceLabel(stance) { return t(`stance.${stance}`); }
function stanceWords(stance) { return t(`stance_long.${stance}`); }
function stateWord(state) { return t(`state.${state}`); }

// The URL's lang= (in the query or the hash) wins; else the browser's first language we have.
function chooseLanguage(params) {
  const asked = params.get("lang") || new URLSearchParams(location.search).get("lang");
  if (asked && LANGUAGES.includes(asked)) return { lang: asked, chosen: true };
  for (const tag of navigator.languages || [navigator.language || ""]) {
    const primary = tag.split("-")[0].toLowerCase();
    if (LANGUAGES.includes(primary)) return { lang: primary, chosen: false };
  }
  return { lang: FALLBACK_LANGUAGE, chosen: false };
}

async function loadWords(lang) {
  const response = await fetch(`/static/i18n/${lang}.json`, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`/static/i18n/${lang}.json: ${response.status}`);
  page.words = await response.json();
  page.lang = lang;
  document.documentElement.lang = lang;
  applyWords();
}

// The page's own HTML names its words by key (data-i18n, data-i18n-aria-label).
function applyWords() {
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of document.querySelectorAll("[data-i18n-aria-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nAriaLabel));
  }
  $("#language-picker").value = page.lang;
}

async function switchLanguage(lang) {
  page.langChosen = true;
  await loadWords(lang);
  page.views = new Map();
  page.documents = new Map();
  page.claimNames = new Map();
  const story = page.story;
  page.story = null;  // its propositions come again, in the new language
  const { parts, params } = parseHash();
  params.set("lang", lang);
  const path = parts.length ? `/${parts.map(encodeURIComponent).join("/")}`
    : `/story/${encodeURIComponent(story || "")}`;
  history.replaceState(null, "", `#${story || parts.length ? path : "/"}?${params}`);
  await route();
}

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
  const response = await fetch(path, {
    headers: { Accept: "application/json", "Accept-Language": page.lang },
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const detail = body && (body.detail || body.title);
    throw new Error(`${path}: ${response.status} ${detail || response.statusText}`);
  }
  return body;
}

function showError(error) {
  const alert = $("#alert");
  alert.textContent = t("error.read", { message: error.message });
  alert.hidden = false;
}

function formatDay(iso) {
  const [year, month, day] = iso.slice(0, 10).split("-").map(Number);
  const months = page.words.months || [];
  return t("date.day", { day, month: months[month - 1] || month, year });
}

function formatInstant(iso) {
  if (!iso) return "";
  return t("date.instant", { day: formatDay(iso), time: iso.slice(11, 16) });
}

function formatSaid(saidAt) {
  if (!saidAt || saidAt.precision === "unknown") return t("said.none");
  if (saidAt.precision === "day") return formatDay(saidAt.value);
  if (saidAt.precision === "instant") return formatSourceInstant(saidAt.value);
  return `${saidAt.value} (${saidAt.precision})`;
}

// An instant as the source gave it: its own clock time and offset ("18:00 +01:00").
function formatSourceInstant(text) {
  const offset = text.match(/([+-]\d\d:\d\d)$/);
  if (!offset || offset[1] === "+00:00") return formatInstant(text);
  return t("date.source_instant", { day: formatDay(text), time: text.slice(11, 16), offset: offset[1] });
}

function actorName(key) {
  const actor = page.actorByKey.get(key) || page.allActors.get(key);
  return actor ? actor.name : key;
}

// A name to read, with its key on hover.
function named(key) { return h("span", { class: "name", title: key, "data-key": key }, actorName(key)); }

// A claim's proposition by key: from any claim view the page has read (keys only as fallback).
function claimName(key) {
  const claim = (page.claimsByKey && page.claimsByKey.get(key)) || page.claimNames.get(key);
  return claim ? proposition(claim) : key;
}

function rememberClaims(claims) {
  for (const claim of claims) page.claimNames.set(claim.key, claim);
}

function claimLink(key, attributes = {}) {
  return h("a", { href: `#/claim/${encodeURIComponent(key)}`, title: key, ...attributes }, claimName(key));
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
    label: first ? t("moment.before", { day: formatDay(first) }) : t("moment.before_story"),
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
  const [answer, actors] = await Promise.all([
    getJson("/v1/stories?limit=1000"), getJson("/v1/actors?limit=1000"),
  ]);
  page.stories = answer.stories;
  page.allActors = new Map(actors.actors.map((actor) => [actor.key, actor]));
  const picker = $("#story-picker");
  fill(picker, ...page.stories.map((story) => h("option", { value: story.key }, story.title)));
}

// No story is the default by its key: the one registered last is the newsroom's newest.
function defaultStory() {
  const sorted = [...page.stories].sort((a, b) =>
    b.registered_at.localeCompare(a.registered_at) || a.key.localeCompare(b.key));
  return sorted.length ? sorted[0].key : null;
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
  rememberClaims(story.claims);
  $("#story-picker").value = key;
  fill($("#timeline-title"), t("timeline.title_story", { title: story.title }));
  fill($("#story-description"), story.description || "");
  renderHead();
  renderPictureChoice();
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
  // Names are written across; with more actors than a grid holds, each claim becomes a card.
  const cards = page.actors.length > GRID_ACTORS;
  $("#matrix").classList.toggle("few-actors", !cards);
  $("#matrix").classList.toggle("many-actors", cards);
  $("#matrix-caption").dataset.i18n = cards ? "matrix.caption_cards" : "matrix.caption";
  $("#matrix-caption").textContent = t($("#matrix-caption").dataset.i18n);
  fill($("#matrix thead"), h("tr", {},
    h("th", { scope: "col", class: "claim-col" }, t("matrix.claim_col")), cells));
}

function stateBadge(state, change) {
  const badge = h("span", { class: `state st-${state}`, "data-role": "state", "data-state": state },
    stateWord(state));
  if (!change) return badge;
  return h("span", { class: "state-wrap changed" }, badge,
    h("span", { class: "was" }, change.before === "unstated"
      ? t("change.first") : t("change.from", { state: stateWord(change.before) })));
}

function claimHeader(claim, change) {
  return h("th", { scope: "row", class: "claim-cell", tabindex: "-1", "data-col": "0" },
    h("a", { href: `#/claim/${encodeURIComponent(claim.key)}`, tabindex: "-1",
             class: "claim-link", title: claim.key,
             lang: claim.proposition_language || null }, proposition(claim)),
    " ", stateBadge(claim.state, change));
}

function stanceCell(claim, actor, stance, changed, column) {
  const attributes = { "data-actor": actor.key, "data-col": String(column), tabindex: "-1",
                       "data-label": actor.name };
  if (!stance) {
    return h("td", { ...attributes, class: "cell empty", "aria-label": t("cell.none", { name: actor.name }) });
  }
  const classes = ["cell", "has-stance", `s-${stance.stance}`, changed ? "changed" : ""];
  return h("td", { ...attributes, class: classes.join(" "), "data-stance": stance.stance,
                   title: `${actorName(actor.key)} ${stanceWords(stance.stance)}` },
    h("span", { class: "actor-label" }, actor.name),
    h("span", { class: "stance-label" }, stanceLabel(stance.stance)),
    changed ? h("span", { class: "visually-hidden" }, t("cell.changed")) : null);
}

function claimRow(claim, changes) {
  const stances = new Map(claim.stances.map((stance) => [stance.actor, stance]));
  const cells = page.actors.map((actor, index) => stanceCell(claim, actor,
    stances.get(actor.key), changes.cells.has(`${claim.key}|${actor.key}`), index + 1));
  const unstated = claim.state === "unstated";
  const classes = [unstated ? "unstated" : "", page.claimFocus === claim.key ? "focused" : ""];
  return h("tr", { "data-claim": claim.key, "data-state": claim.state,
                   class: classes.join(" ").trim() || null },
    claimHeader(claim, changes.states.get(claim.key)), cells);
}

function renderMatrix(view, moment) {
  const changes = changesAt(moment);
  const claims = sortClaims(view.claims)
    .filter((claim) => page.showUnstated || claim.state !== "unstated");
  page.claimsByKey = new Map(view.claims.map((claim) => [claim.key, claim]));
  rememberClaims(view.claims);
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
    return t("empty.recorded_nothing", { label: first.label });
  }
  return t("empty.nobody");
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
    return h("li", { "data-claim": claim, "data-step": String(step.step) }, claimLink(claim), ": ",
      h("span", { class: `state st-${step.claim_state.before}` }, stateWord(step.claim_state.before)),
      " → ",
      h("span", { class: `state st-${step.claim_state.after}` }, stateWord(step.claim_state.after)),
      h("span", { class: "hint" },
        t("summary.change_by", { step: step.step, actor: actorName(step.statement.actor) })));
  });
  const bySource = (type) => page.axis === "said"
    ? moment.steps.filter((step) => step.type === type && step.basis === "source_changed").length
    : 0;
  const withdrawn = bySource("StatementRetracted");
  const corrected = bySource("StatementCorrected");
  const count = moment.steps.length - withdrawn - corrected;
  const parts = [];
  if (count) parts.push(tn(`summary.${page.axis}`, count));
  if (withdrawn) parts.push(tn("summary.withdrawn", withdrawn));
  if (corrected) parts.push(tn("summary.corrected", corrected));
  const headline = `${parts.join(", ")}; ` + (changed.length
    ? tn("summary.changed", changed.length) : t("summary.unchanged"));
  const placed = page.axis === "said" &&
    moment.steps.some((step) => step.statement.said_at.precision === "unknown");
  fill(summary, [
    h("p", {}, h("strong", {}, moment.label), `: ${headline}.`,
      placed ? h("span", { class: "hint" }, t("summary.placed")) : null),
    changed.length ? h("details", { class: "steps", open: changed.length <= 3 },
      h("summary", {}, t("summary.changes")),
      h("ul", { class: "changes" }, changed)) : null,
    stepsDetails(moment),
  ]);
}

function describeStart(view) {
  const stated = view.claims.filter((claim) => claim.state !== "unstated").length;
  const label = currentMoments()[0].label;
  if (page.axis === "recorded") return t("summary.start_recorded", { label });
  return tn("summary.start_said", stated, { label });
}

function stepsDetails(moment) {
  const items = moment.steps.map((step) => {
    const statement = step.statement;
    const relay = statement.relays ? t("steps.relaying", { name: actorName(statement.relays) }) : "";
    const withdrawn = page.axis === "said" && step.type === "StatementRetracted"
      ? t("steps.withdrawn") : "";
    const word = (stance) => (relay ? stanceLabel(stance) : stanceWords(stance));
    const stance = step.replaces
      ? `${word(step.replaces.stance)} → ${word(statement.stance)}` : word(statement.stance);
    return h("li", { "data-step": String(step.step),
                     title: `${statement.actor} · ${step.claim_state.claim}` },
      t("steps.item", {
        step: step.step, withdrawn, actor: actorName(statement.actor), stance, relay,
        claim: claimName(step.claim_state.claim),
        document: statement.source.document,
      }),
      changeDates(step));
  });
  return h("details", { class: "steps" },
    h("summary", {}, t("steps.summary", { count: items.length })), h("ol", {}, items));
}

// A correction's or withdrawal's dates: the source's first, then when the ledger recorded it.
function changeDates(step) {
  if (!step.recorded_at) return null;
  const corrected = step.type === "StatementCorrected";
  const source = step.changed_at
    ? t(corrected ? "change.corrected_by_source" : "change.withdrawn_by_source",
        { date: momentLabel(step.changed_at, "said") })
    : t(corrected ? "change.corrected_for_error" : "change.retracted_for_error");
  return h("span", { class: "hint change-dates" },
    t("change.dates", { source, recorded: formatInstant(step.recorded_at) }));
}

function renderControls() {
  const moments = currentMoments();
  const slider = $("#moment");
  const moment = moments[page.index];
  slider.max = String(moments.length - 1);
  slider.value = String(page.index);
  const counted = { label: moment.label, n: page.index + 1, total: moments.length };
  slider.setAttribute("aria-valuetext", t("moment.valuetext", counted));
  $("#moment-label").textContent = t("moment.full", { ...counted, axis: t(`axis_words.${page.axis}`) });
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
  if (shown.join() !== days.join() || box.dataset.lang !== page.lang) {
    box.dataset.lang = page.lang;
    fill(box, h("legend", {}, t("days.legend")), ...days.map((day) =>
      h("button", { type: "button", "data-day": day }, formatDay(`${day}T00:00:00Z`))));
  }
  for (const button of box.querySelectorAll("[data-day]")) {
    const pressed = dayIndex(moments, button.dataset.day) === page.index;
    button.setAttribute("aria-pressed", String(pressed));
  }
}

function lastIndex() { return currentMoments().length - 1; }

// ---------- the pictures (drawn by pictures.js) ----------

function renderPictureChoice() {
  const select = $("#picture-claim");
  const signature = `${page.story}|${page.lang}`;
  if (select.dataset.signature !== signature) {
    select.dataset.signature = signature;
    fillPictureChoice(select);
  }
  select.value = page.claimFocus || "";
}

function fillPictureChoice(select) {
  const claims = sortClaims(page.storyView.claims);
  fill(select, h("option", { value: "" }, t("pictures.whole_story")),
    ...claims.map((claim) => h("option", { value: claim.key, title: claim.key }, proposition(claim))));
}

function renderPictures(moment) {
  if (!window.Pictures) return;
  renderPictureChoice();
  const data = {
    moments: currentMoments(), index: page.index, axis: page.axis, moment,
    actors: page.actors, claim: page.claimFocus,
    actorName, claimName, t, tn, stanceLabel, formatDay,
  };
  window.Pictures.lanes($("#lanes-figure"), data);
  window.Pictures.relays($("#relays-figure"), data);
}

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
  renderPictures(moment);
  table.setAttribute("aria-busy", "false");
  $("#loading").hidden = true;
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

// The URL keeps story, axis and moment, and an opened statement, a claim the pictures show,
// a search and a chosen language, so a view can be shared:
// #/story/KEY?axis=said&at=...&claim=KEY&statement=ID&q=...&lang=de
function writeTimelineHash() {
  const moment = currentMoments()[page.index];
  const at = moment && moment.at ? moment.at : "start";
  const params = new URLSearchParams({ axis: page.axis, at });
  if (page.claimFocus) params.set("claim", page.claimFocus);
  if (page.statement) params.set("statement", page.statement);
  if (page.q) params.set("q", page.q);
  if (page.langChosen) params.set("lang", page.lang);
  const path = page.embed ? "" : `/story/${encodeURIComponent(page.story)}`;
  const hash = `#${path}?${params}`.replace(/%3A/g, ":");
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
  if (event) event.preventDefault();
  const q = $("#search-q").value.trim();
  const results = $("#search-results");
  page.q = q;
  if (page.story) writeTimelineHash();
  if (!q) { fill(results); return; }
  const query = `story=${encodeURIComponent(page.story)}&q=${encodeURIComponent(q)}&limit=50`;
  const [claims, statements] = await Promise.all([
    getJson(`/v1/claims?${query}`), getJson(`/v1/statements?${query}`),
  ]);
  rememberClaims(claims.claims);
  const claimItems = claims.claims.map((claim) => h("li", { "data-claim": claim.key },
    claimLink(claim.key), " ", stateBadge(claim.state)));
  const quoteItems = statements.statements.map((entry) => h("li",
    { "data-statement": entry.statement_id },
    `${actorName(entry.actor)} ${stanceWords(entry.stance)}: `,
    h("q", {}, entry.source.quote.exact), " ", claimLink(entry.claim),
    entry.status === "standing" ? null
      : h("span", { class: "hint" }, ` (${t(`status_word.${entry.status}`)})`)));
  const total = claimItems.length + quoteItems.length;
  fill(results,
    h("p", { id: "search-count" }, total
      ? t("search.count", { claims: tn("search.claims", claimItems.length),
                            quotes: tn("search.quotes", quoteItems.length), q })
      : t("search.nothing", { q })),
    claimItems.length ? h("ul", { class: "search-claims" }, claimItems) : null,
    quoteItems.length ? h("ul", { class: "search-quotes" }, quoteItems) : null);
}

// The server chose the proposition's language (Accept-Language); the map is the fallback.
function proposition(claim) {
  const map = claim.propositions || {};
  return claim.proposition || map[page.lang] || Object.values(map)[0] || claim.key;
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
    page.claimFocus = null;
    location.hash = `#/story/${encodeURIComponent(event.target.value)}?axis=${page.axis}`;
  });
  $("#language-picker").addEventListener("change", (event) => {
    switchLanguage(event.target.value).catch(showError);
  });
  $("#picture-claim").addEventListener("change", (event) => {
    page.claimFocus = event.target.value || null;
    writeTimelineHash();
    renderTimeline().catch(showError);
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
    t("statement.title", { actor: actorName(entry.actor), stance: stanceWords(entry.stance) });
  fill($("#statement-body"), ...statementBody(entry, claimView, doc, statement, endings));
  dialog.dataset.statement = entry.statement_id;
  if (isTimeline()) {
    page.statement = entry.statement_id;
    writeTimelineHash();
  }
  dialog.dataset.opener = "";
  page.dialogOpener = opener || document.activeElement;
  if (!dialog.open) dialog.showModal();
  $("#dialog-close").focus();
  centreInBox($("#statement-body mark"));
}

function statementBody(entry, claim, doc, statement, endings) {
  const shown = claim.proposition_language;
  return [
    h("p", { class: "proposition" }, h("span", { class: `stance s-${entry.stance}` },
      stanceLabel(entry.stance)), " ",
      h("a", { href: `#/claim/${encodeURIComponent(claim.key)}`, "data-close": "",
               title: claim.key, lang: shown || null }, proposition(claim))),
    ...Object.entries(claim.propositions || {}).filter(([lang]) => lang !== shown).map(
      ([lang, text]) => h("p", { class: "proposition-other", lang }, text)),
    h("h3", {}, t("statement.quote_in", { document: doc.document_id })),
    quotedDocument(doc, entry.source),
    h("p", { class: "hint" }, t("statement.highlight",
      { start: entry.source.position.start, end: entry.source.position.end })),
    statusBlock(entry, statement, endings),
    h("dl", { class: "facts" }, facts(entry, doc)),
  ];
}

function facts(entry, doc) {
  const rows = [
    [t("facts.speaker"), named(entry.actor)],
    [t("facts.said"), formatSaid(entry.said_at) +
      (entry.said_at && entry.said_at.basis ? `. ${entry.said_at.basis}` : "")],
    [t("facts.said_axis"), entry.said_key ? momentLabel(entry.said_key, "said") +
      (page.words[`said_basis.${entry.said_key_basis}`] || "") : null],
    [t("facts.recorded"), formatInstant(entry.recorded_at)],
    [t("facts.conduit"), conduitChain(entry.conduit, doc)],
    [t("facts.relays"), entry.relays ? named(entry.relays) : null],
    [t("facts.relayed_by"), entry.relayed_by && entry.relayed_by.length
      ? entry.relayed_by.map((key, index) => [index ? ", " : "", named(key)]) : null],
    [t("facts.read_in"), h("a", { href: `#/document/${encodeURIComponent(doc.document_id)}`,
                         "data-close": "" }, doc.document_id),
      doc.dated ? t("facts.dated", { day: formatDay(doc.dated) }) : t("facts.undated")],
    [t("facts.note"), entry.note],
  ];
  return rows.filter(([, value]) => value).map(([term, ...value]) => [
    h("dt", {}, term), h("dd", {}, ...value)]);
}

function conduitChain(conduit, doc) {
  return h("ol", { class: "conduit", "aria-label": t("conduit.label") },
    conduit.map((hop, index) => h("li", {}, named(hop),
      index === 0 && doc.publisher === hop ? h("span", { class: "hint" }, t("conduit.publisher")) : null)));
}

function statusBlock(entry, statement, endings) {
  const versions = statement.versions;
  const position = versions.findIndex((version) => version.version_id === entry.version_id);
  const lines = versions.map((version, index) => versionLine(version, index, endings[index],
    index === position));
  const status = statement.status;
  const corrected = versions.length > 1;
  let headline = t("status.standing");
  if (status === "retracted") headline = t("status.retracted");
  else if (corrected) headline = t("status.corrected", { count: versions.length });
  return h("div", { class: `status status-${status}${corrected ? " status-corrected" : ""}`,
                    "data-status": status, "data-versions": String(versions.length) },
    h("p", {}, h("strong", {}, headline)),
    versions.length > 1 || status !== "standing" ? h("ol", {}, lines) : null);
}

function versionLine(version, index, ending, shown) {
  const end = ending
    ? t("version.end", { ending: endingWords(ending), reason: ending.data.reason,
                         basis: ending.data.basis })
    : "";
  return h("li", { class: shown ? "shown" : null },
    t("version.line", { n: index + 1, recorded: formatInstant(version.recorded_at),
                        actor: actorName(version.actor), stance: stanceWords(version.stance), end }) +
    (shown ? t("version.shown") : ""));
}

// When a version ended: the source's date first (a source_changed withdrawal or correction),
// then when the ledger recorded it.
function endingWords(ending) {
  const retracted = ending.type === "StatementRetracted";
  const recorded = formatInstant(ending.recorded_at);
  if (ending.data.basis !== "source_changed") {
    return t(retracted ? "ending.retracted_for_error" : "ending.corrected_for_error", { recorded });
  }
  const at = ending.data.corrected_at || ending.data.withdrawn_at;
  const date = at ? momentLabel(normalInstant(at), "said") : recorded;
  return t(retracted ? "ending.withdrawn_by_source" : "ending.corrected_by_source",
    { date, recorded });
}

// An instant as the replay writes them (microseconds, Z), so momentLabel knows a midnight.
function normalInstant(text) {
  return new Date(text).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

function quotedDocument(doc, source) {
  const { start, end } = source.position;
  const points = doc.points;
  return h("div", { class: "document-text", tabindex: "0", lang: doc.language,
                    "aria-label": t("doc.text_of", { document: doc.document_id }) },
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

function isTimeline() { return !$("#timeline-view").hidden && Boolean(page.story); }

function bindDialog() {
  const dialog = $("#statement-dialog");
  $("#dialog-close").addEventListener("click", closeDialog);
  dialog.addEventListener("close", () => {
    if (page.statement && isTimeline()) {
      page.statement = null;
      writeTimelineHash();
    }
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
  rememberClaims([claim]);
  const shown = claim.proposition_language;
  fill(section,
    h("p", {}, h("a", { href: timelineLink(claim.story) }, t("claim.back"))),
    h("h1", { id: "claim-title", tabindex: "-1", lang: shown || null, title: claim.key },
      proposition(claim)),
    ...Object.entries(claim.propositions || {}).filter(([lang]) => lang !== shown).map(
      ([lang, text]) => h("p", { lang, class: "proposition-other" }, text)),
    h("p", {}, t("claim.now"), " ", stateBadge(claim.state)),
    claim.note ? h("p", { class: "hint" }, claim.note) : null,
    h("div", { class: "two-axes" }, stateTimeline(said, "said"), stateTimeline(recorded, "recorded")),
    h("h2", {}, t("claim.every_version")),
    historyTable(history.statements, claim));
  section.dataset.claim = key;
}

function stateTimeline(replay, axis) {
  const items = replay.steps.map((step) => h("li", {
    class: step.claim_state.changed ? "changed" : null },
    h("span", { class: "when" }, momentLabel(step.at, axis)), " ",
    named(step.statement.actor),
    ` ${step.replaces ? `${stanceWords(step.replaces.stance)} → ` : ""}` +
      `${stanceWords(step.statement.stance)}`, " ",
    step.claim_state.changed
      ? [h("span", { class: `state st-${step.claim_state.before}` }, stateWord(step.claim_state.before)),
         " → ", h("span", { class: `state st-${step.claim_state.after}` }, stateWord(step.claim_state.after))]
      : h("span", { class: "hint" }, t("claim.stays", { state: stateWord(step.claim_state.after) })),
    changeDates(step)));
  const title = axis === "said" ? t("claim.by_said") : t("claim.by_recorded");
  return h("section", { class: "axis-timeline", "aria-label": title }, h("h2", {}, title),
    items.length ? h("ol", {}, items) : h("p", {}, t("claim.nothing")));
}

// How a version ended, the source's date first: "by the source 18 Nov 2026; recorded …".
function versionEnd(entry) {
  if (!entry.ended_at) return null;
  const source = entry.withdrawn_at
    ? t("version_end.by_source", { date: momentLabel(entry.withdrawn_at, "said") })
    : t("version_end.for_error");
  return h("span", { class: "hint change-dates" },
    t("version_end.dates", { source, recorded: formatInstant(entry.ended_at) }));
}

function historyTable(statements, claim) {
  const rows = statements.map((entry) => h("tr", { "data-statement": entry.statement_id },
    h("td", {}, formatInstant(entry.recorded_at)),
    h("td", {}, formatSaid(entry.said_at)),
    h("td", {}, named(entry.actor)),
    h("td", {}, h("span", { class: `stance s-${entry.stance}` }, stanceLabel(entry.stance))),
    h("td", {}, entry.conduit.map((hop, index) => [index ? " → " : "", named(hop)])),
    h("td", { class: "quote-cell" }, t("quote", { text: entry.source.quote.exact })),
    h("td", {}, t(`status_word.${entry.status}`), versionEnd(entry)),
    h("td", {}, h("button", { type: "button", class: "open",
      onclick: (event) => openStatement(entry, claim, event.currentTarget).catch(showError) },
      t("open"), h("span", { class: "visually-hidden" },
        ` ${actorName(entry.actor)} ${stanceWords(entry.stance)}`)))));
  return h("div", { class: "table-wrap" }, h("table", { class: "history" },
    h("thead", {}, h("tr", {}, [t("history.recorded"), t("history.said"), t("history.actor"),
      t("history.stance"), t("history.conduit"), t("history.quote"), t("history.status"),
      h("span", { class: "visually-hidden" }, t("open"))].map((name) =>
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
      "data-anchors": ids.join(" "), title: t("document.anchor", { ids: ids.join(", ") }),
    }, text);
  });
  return h("div", { class: "document-text full", lang: doc.language, tabindex: "0",
                    "aria-label": t("doc.text_of", { document: doc.document_id }) }, nodes);
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
      } }, `${actorName(anchor.actor)} ${stanceWords(anchor.stance)}`),
      ": ", claimLink(anchor.claim),
      anchor.status !== "standing" ? ` (${t(`status_word.${anchor.status}`)})` : "",
      " ", h("button", { type: "button", class: "open",
        onclick: (event) => openStatement(anchor, claims.get(anchor.claim), event.currentTarget)
          .catch(showError) }, t("open"),
        h("span", { class: "visually-hidden" }, t("document.anchor_open", { n: number }))));
  });
  return h("ol", { class: "anchors" }, items);
}

async function renderDocument(id) {
  const section = $("#document-view");
  const [doc, claims] = await Promise.all([loadDocument(id), getJson("/v1/claims?limit=1000")]);
  const byKey = new Map(claims.claims.map((claim) => [claim.key, claim]));
  rememberClaims(claims.claims);
  const numbers = anchorNumbers(doc.anchors);
  fill(section,
    h("p", {}, h("a", { href: documentsLink() }, t("documents.all"))),
    h("h1", { id: "document-title", tabindex: "-1" }, doc.document_id),
    h("p", {}, h("a", { href: `#/document/${encodeURIComponent(id)}/drafts` },
      t("document.drafts_link"))),
    h("dl", { class: "facts" },
      h("dt", {}, t("document.publisher")), h("dd", {}, doc.publisher ? named(doc.publisher) : t("document.unknown")),
      h("dt", {}, t("document.dated")), h("dd", {}, doc.dated ? formatDay(doc.dated) : t("document.no_date")),
      h("dt", {}, t("document.read")), h("dd", {}, formatInstant(doc.registered_at)),
      h("dt", {}, t("document.sha")), h("dd", {}, h("code", { class: "hash" }, doc.sha256)),
      doc.note ? [h("dt", {}, t("document.note")), h("dd", {}, doc.note)] : null),
    h("div", { class: "document-layout" },
      h("section", { "aria-label": t("document.text_label") },
        h("h2", {}, t("document.text_heading", { count: doc.anchors.length })),
        documentText(doc, doc.anchors, numbers)),
      h("section", { "aria-label": t("document.anchors") }, h("h2", {}, t("document.anchors")),
        anchorList(doc.anchors, numbers, byKey))));
  section.dataset.document = id;
}

// The documents of one story (#/documents?story=KEY, from its story view), or of every story.
async function renderDocuments(storyKey) {
  const section = $("#documents-view");
  const story = storyKey ? await getJson(`/v1/stories/${encodeURIComponent(storyKey)}`) : null;
  const list = await getJson("/v1/documents?limit=1000");
  const wanted = story ? new Set(story.documents.map((doc) => doc.document_id)) : null;
  const documents = list.documents.filter((doc) => !wanted || wanted.has(doc.document_id));
  fill(section,
    h("h1", { id: "documents-title", tabindex: "-1" },
      story ? t("documents.title_story", { title: story.title }) : t("documents.title")),
    story ? h("p", {}, h("a", { href: "#/documents" }, t("documents.every_story"))) : null,
    h("ul", { class: "documents" }, documents.map((doc) => h("li", { "data-document": doc.document_id },
      h("a", { href: `#/document/${encodeURIComponent(doc.document_id)}` }, doc.document_id),
      t("documents.item", {
        publisher: doc.publisher ? actorName(doc.publisher) : t("documents.unknown_publisher"),
        dated: doc.dated ? formatDay(doc.dated) : t("documents.undated"),
        read: formatInstant(doc.registered_at), count: doc.statements,
      })))));
  section.dataset.story = storyKey || "";
}

function documentsLink() {
  return page.story ? `#/documents?story=${encodeURIComponent(page.story)}` : "#/documents";
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
  $("[data-nav=documents]").setAttribute("href", documentsLink());
  if (id !== "timeline-view") $("#loading").hidden = true;
}

function timelineLink(story) {
  const key = story || page.story;
  return key ? `#/story/${encodeURIComponent(key)}?axis=${page.axis}` : "#/";
}

async function route({ initial = false } = {}) {
  closeDialog();
  $("#alert").hidden = true;
  const { parts, params } = parseHash();
  if (page.embed) parts.splice(0, parts.length, "story", page.embed);
  if (page.stories.length === 0) {
    showView("welcome-view");
    $("#loading").hidden = true;
    return;
  }
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
    await renderDocuments(params.get("story"));
  } else {
    const key = parts[0] === "story" && parts[1] ? parts[1] : page.story || defaultStory();
    if (key !== page.story) await loadStory(key);
    showView("timeline-view");
    readTimelineParams(params);
    writeTimelineHash();
    await renderTimeline();
    await openFromUrl();
  }
  if (!initial) {
    const heading = $(".view:not([hidden]) h1");
    if (heading) heading.focus();
  }
}

function readTimelineParams(params) {
  if (params.get("axis") in AXES) page.axis = params.get("axis");
  const claim = params.get("claim");
  page.claimFocus = claim && page.storyView.claims.some((c) => c.key === claim) ? claim : null;
  page.statement = params.get("statement");
  const q = params.get("q") || "";
  if (q !== page.q || $("#search-q").value !== q) {
    $("#search-q").value = q;
    page.pendingSearch = Boolean(q);
  }
  page.q = q;
  const moment = Number.parseInt(params.get("moment"), 10);
  if (params.get("at")) page.index = indexAt(params.get("at"));
  else if (Number.isInteger(moment)) page.index = Math.max(0, Math.min(moment, lastIndex()));
  // Without a moment the story opens on its last one; the URL written next names it.
  if (page.index === null) page.index = lastIndex();
}

// A link followed within the page: its lang= may name another language.
async function followUrl() {
  const lang = parseHash().params.get("lang");
  if (lang && LANGUAGES.includes(lang) && lang !== page.lang) await switchLanguage(lang);
  else await route();
}

// What the URL opens besides the moment: a search and a statement (&q=, &statement=).
async function openFromUrl() {
  if (page.pendingSearch) {
    page.pendingSearch = false;
    await search(null);
  }
  if (page.statement && $("#statement-dialog").dataset.statement !== page.statement) {
    const statement = await getJson(`/v1/statements/${encodeURIComponent(page.statement)}`);
    // The matrix's stance, when it is this statement, knows its relays and its place on the axis.
    const claim = page.claimsByKey && page.claimsByKey.get(statement.current.claim);
    const stance = claim && claim.stances.find((item) => item.statement_id === statement.statement_id);
    const opener = claim && stance ? document.querySelector(
      `#matrix tr[data-claim="${CSS.escape(claim.key)}"] td[data-actor="${CSS.escape(stance.actor)}"]`)
      : null;
    await openStatement(stance || statement.current, claim || null, opener);
  }
}

// In an iframe (/embed/story/KEY): the story's compact view; links open the full page.
function bindEmbed() {
  const match = location.pathname.match(/^\/embed\/story\/([^/]+)$/);
  if (!match) return;
  page.embed = decodeURIComponent(match[1]);
  document.body.classList.add("embed");
  const full = $("#embed-full");
  full.closest("p").hidden = false;
  full.href = `/#/story/${encodeURIComponent(page.embed)}`;
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href^='#/']");
    if (!link) return;
    event.preventDefault();
    window.open(`/${link.getAttribute("href")}`, "_blank", "noopener");
  });
}

async function start() {
  bindControls();
  bindDialog();
  bindEmbed();
  try {
    const choice = chooseLanguage(parseHash().params);
    page.langChosen = choice.chosen;
    await loadWords(choice.lang);
    await loadStories();
    await route({ initial: true });
    window.addEventListener("hashchange", () => {
      if (location.hash === "" || location.hash.startsWith("#/") || location.hash.startsWith("#?")) {
        followUrl().catch(showError);
      }
    });
    document.body.dataset.ready = "true";
  } catch (error) {
    showError(error);
  }
}

document.addEventListener("DOMContentLoaded", start);

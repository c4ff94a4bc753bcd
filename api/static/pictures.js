// Pictures of the story, drawn by the page itself as SVG (no library, nothing from elsewhere):
// a timeline with one lane per actor, and a graph of who passed on whose words. Both show the
// story's replay steps up to the chosen moment, for the whole story or one claim. Each has a
// title, a description and a text version for readers who cannot see it. Colours come with a
// letter or a shape; the classes are in app.css (the page's CSP allows no inline style).
"use strict";

(function definePictures() {
  const SVG = "http://www.w3.org/2000/svg";
  const TICK_LABEL_GAP = 84;
  const LANE = { label: 200, narrowLabel: 120, height: 28, top: 30, right: 16, mark: 8 };
  const GRAPH = { node: { width: 168, height: 34 }, column: 210, row: 48, margin: 16 };
  // A column of many actors is drawn dense, so twenty council members stay on one screen.
  const DENSE = { after: 10, height: 20, row: 25 };

  function s(tag, attributes = {}, ...children) {
    const element = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value !== null && value !== undefined && value !== false) element.setAttribute(name, value);
    }
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  function html(tag, attributes = {}, ...children) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    element.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined));
    return element;
  }

  function shorten(text, length) {
    return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
  }

  // The steps shown: every step up to the chosen moment, of one claim or of all.
  function stepsUpTo(data) {
    const steps = [];
    data.moments.slice(1, data.index + 1).forEach((moment, offset) => {
      for (const step of moment.steps) {
        if (!data.claim || step.claim_state.claim === data.claim) steps.push({ step, slot: offset + 1 });
      }
    });
    return steps;
  }

  function picture(figure, kind, title, description, svg, textVersion, shown) {
    const titleId = `${kind}-title`;
    const descId = `${kind}-desc`;
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-labelledby", `${titleId} ${descId}`);
    svg.prepend(s("title", { id: titleId }, title), s("desc", { id: descId }, description));
    figure.replaceChildren(
      html("figcaption", {}, html("strong", {}, title), " ", html("span", { class: "hint" }, description)),
      svg,
      html("details", { class: "picture-text" }, html("summary", {}, textVersion.summary), textVersion.list));
    figure.dataset.shown = String(shown);
  }

  // ---- one lane per actor ----

  function lanes(figure, data) {
    const shown = stepsUpTo(data);
    const speakers = data.actors.filter((actor) => shown.some(({ step }) => step.statement.actor === actor.key));
    const width = Math.max(figure.clientWidth || 0, 320);
    const narrow = width < 600;
    const label = narrow ? LANE.narrowLabel : LANE.label;
    const slots = data.moments.length - 1;
    const plot = width - label - LANE.right;
    const x = (slot) => label + (slots <= 1 ? plot / 2 : ((slot - 1) / (slots - 1)) * plot);
    const height = LANE.top + 6 + Math.max(speakers.length, 1) * LANE.height + 8;
    const svg = s("svg", { class: "lanes", viewBox: `0 0 ${width} ${height}`, width, height });
    svg.append(dayTicks(data, x, height));
    const now = data.index > 0 ? x(data.index) : label;
    svg.append(s("line", { class: "now", x1: now, x2: now, y1: LANE.top - 14, y2: height - 4 }),
      s("text", { class: "now-label", x: now - 4, y: LANE.top - 3, "text-anchor": "end" }, data.t("lanes.now")));
    const items = [];
    speakers.forEach((actor, row) => {
      const y = LANE.top + 6 + row * LANE.height + LANE.height / 2;
      const name = data.actorName(actor.key);
      svg.append(s("line", { class: "lane", x1: label, x2: width - LANE.right, y1: y, y2: y }),
        s("text", { class: "lane-name", x: label - 8, y: y + 4, "text-anchor": "end" },
          s("title", {}, `${name} (${actor.key})`), shorten(name, narrow ? 14 : 25)));
      const mine = shown.filter(({ step }) => step.statement.actor === actor.key);
      const entries = mine.map(({ step, slot }) => {
        svg.append(mark(step, x(slot), y, data));
        return html("li", {}, data.t("lanes.item", {
          when: data.moments[slot].label, stance: data.stanceLabel(step.statement.stance),
          claim: data.claimName(step.claim_state.claim), mark: markWord(step, data),
        }));
      });
      items.push(html("li", { "data-actor": actor.key }, name, html("ul", {}, entries)));
    });
    if (!speakers.length) {
      svg.append(s("text", { class: "empty", x: label, y: LANE.top + 18 }, data.t("lanes.empty")));
    }
    const description = data.t("lanes.desc", {
      moment: data.moment.label, axis: data.t(`axis_words.${data.axis}`),
      count: shown.length, actors: speakers.length,
    });
    picture(figure, "lanes", data.t("lanes.title"), description, svg,
      { summary: data.t("lanes.as_text"), list: html("ul", {}, items) }, shown.length);
  }

  function markWord(step, data) {
    if (step.type === "StatementRetracted") return data.t("lanes.withdrawn");
    if (step.type === "StatementCorrected") return data.t("lanes.corrected");
    return "";
  }

  // A statement: a disc in its stance's colours with its initial; a correction gets a ring, a
  // withdrawal a cross.
  function mark(step, cx, cy, data) {
    const stance = step.statement.stance;
    const label = data.stanceLabel(stance);
    const group = s("g", { class: `mark m-${stance}`, "data-type": step.type,
                           "data-claim": step.claim_state.claim },
      s("title", {}, `${label}: ${data.claimName(step.claim_state.claim)}${markWord(step, data)}`),
      s("circle", { cx, cy, r: LANE.mark }),
      s("text", { x: cx, y: cy + 3.5, "text-anchor": "middle" }, data.t(`stance_mark.${stance}`)));
    if (step.type === "StatementCorrected") {
      group.append(s("circle", { class: "corrected", cx, cy, r: LANE.mark + 3.5 }));
    }
    if (step.type === "StatementRetracted") {
      const d = LANE.mark + 2;
      group.append(s("path", { class: "withdrawn", d: `M${cx - d},${cy - d}L${cx + d},${cy + d}M${cx + d},${cy - d}L${cx - d},${cy + d}` }));
    }
    return group;
  }

  function dayTicks(data, x, height) {
    const group = s("g", { class: "ticks", "aria-hidden": "true" });
    let last = null;
    let labelled = -Infinity;  // where the last day's label went: labels closer are left out
    data.moments.forEach((moment, slot) => {
      if (!moment.at || slot === 0) return;
      const day = moment.at.slice(0, 10);
      if (day === last) return;
      last = day;
      const at = x(slot);
      group.append(s("line", { x1: at, x2: at, y1: LANE.top - 6, y2: height - 4 }));
      if (at - labelled >= TICK_LABEL_GAP) {
        labelled = at;
        group.append(s("text", { x: at, y: 12, "text-anchor": "middle" }, data.formatDay(day)));
      }
    });
    return group;
  }

  // ---- the relay graph: who passed on whose words to whom ----

  // conduit [publisher, ..., speaker]: the words went speaker -> ... -> publisher; a report
  // also passes on the words of whom it relays.
  // An edge counts statements: a statement's corrected versions pass on the same words once.
  function edgesOf(shown) {
    const edges = new Map();
    const add = (from, to, statement) => {
      if (!from || !to || from === to) return;
      const key = `${from}\u0000${to}`;
      if (!edges.has(key)) edges.set(key, { from, to, statements: new Set() });
      edges.get(key).statements.add(statement);
    };
    for (const { step } of shown) {
      if (step.type === "StatementRetracted") continue;
      const { conduit: hops, statement_id: id } = step.statement;
      for (let index = hops.length - 1; index > 0; index -= 1) add(hops[index], hops[index - 1], id);
      if (step.statement.relays) add(step.statement.relays, step.statement.actor, id);
    }
    return [...edges.values()].map(({ from, to, statements }) => ({ from, to, count: statements.size }));
  }

  // Each actor's column: how many passings-on lie before it at most (cycles cut off).
  function columnsOf(edges) {
    const depth = new Map();
    for (const edge of edges) { depth.set(edge.from, 0); depth.set(edge.to, 0); }
    for (let round = 0; round < depth.size; round += 1) {
      let moved = false;
      for (const { from, to } of edges) {
        if (depth.get(to) < depth.get(from) + 1 && depth.get(from) + 1 < depth.size) {
          depth.set(to, depth.get(from) + 1);
          moved = true;
        }
      }
      if (!moved) break;
    }
    return depth;
  }

  function relays(figure, data) {
    const shown = stepsUpTo(data);
    const edges = edgesOf(shown);
    const depth = columnsOf(edges);
    const columns = [];
    for (const [actor, column] of [...depth].sort((a, b) =>
      data.actorName(a[0]).localeCompare(data.actorName(b[0])))) {
      (columns[column] = columns[column] || []).push(actor);
    }
    const place = new Map();
    const rows = Math.max(1, ...columns.map((actors) => (actors ? actors.length : 0)));
    const dense = rows > DENSE.after;
    const rowHeight = dense ? DENSE.row : GRAPH.row;
    const nodeHeight = dense ? DENSE.height : GRAPH.node.height;
    columns.forEach((actors, column) => {
      const top = GRAPH.margin + ((rows - actors.length) * rowHeight) / 2;
      actors.forEach((actor, row) => place.set(actor, {
        x: GRAPH.margin + column * GRAPH.column, y: top + row * rowHeight, height: nodeHeight,
      }));
    });
    const width = Math.max(figure.clientWidth || 0, GRAPH.margin * 2 + columns.length * GRAPH.column);
    const height = GRAPH.margin * 2 + rows * rowHeight;
    const svg = s("svg", { class: "relays", viewBox: `0 0 ${width} ${height}`, width, height });
    svg.append(s("defs", {}, s("marker", { id: "relay-arrow", viewBox: "0 0 10 10", refX: "10", refY: "5",
      markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" },
      s("path", { class: "arrow-head", d: "M0,0L10,5L0,10z" }))));
    const items = [];
    for (const edge of edges) {
      const from = place.get(edge.from);
      const to = place.get(edge.to);
      const words = data.tn("relays.item", edge.count,
        { from: data.actorName(edge.from), to: data.actorName(edge.to) });
      svg.append(s("path", {
        class: "edge", "data-from": edge.from, "data-to": edge.to, "marker-end": "url(#relay-arrow)",
        "stroke-width": String(Math.min(1.5 + edge.count * 0.5, 5)), d: edgePath(from, to),
      }, s("title", {}, words)));
      items.push(html("li", { "data-from": edge.from, "data-to": edge.to }, words));
    }
    for (const [actor, at] of place) {
      const name = data.actorName(actor);
      svg.append(s("g", { class: "node", "data-actor": actor },
        s("title", {}, `${name} (${actor})`),
        s("rect", { x: at.x, y: at.y, rx: 5, width: GRAPH.node.width, height: at.height }),
        s("text", { x: at.x + 8, y: at.y + at.height / 2 + 4 }, shorten(name, 24))));
    }
    if (!edges.length) svg.append(s("text", { class: "empty", x: GRAPH.margin, y: GRAPH.margin + 16 }, data.t("relays.empty")));
    const description = data.t("relays.desc", { moment: data.moment.label, count: edges.reduce((sum, e) => sum + e.count, 0), actors: place.size });
    picture(figure, "relays", data.t("relays.title"), description, svg,
      { summary: data.t("relays.as_text"), list: html("ul", {}, items) }, edges.length);
  }

  function edgePath(from, to) {
    const { width } = GRAPH.node;
    const height = from.height;
    const forward = to.x > from.x;
    const x1 = forward ? from.x + width : from.x + width / 2;
    const y1 = forward ? from.y + height / 2 : from.y + height;
    const x2 = forward ? to.x : to.x + width / 2;
    const y2 = forward ? to.y + to.height / 2 : to.y;
    const bend = forward ? (x2 - x1) / 2 : 30;
    return forward
      ? `M${x1},${y1}C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`
      : `M${x1},${y1}C${x1 + bend},${y1 + bend} ${x2 + bend},${y2 - bend} ${x2},${y2}`;
  }

  window.Pictures = { lanes, relays };
}());

"use strict";
// drpc-sim --html: draws the run embedded in #timeline-data (sim/cli/html_timeline.cc
// writes it; docs/timeline.md describes the page). Only the rows in view are
// in the DOM, so a run of 100,000 events scrolls like one of 100.
(function () {
  const loadStarted = performance.now();
  const D = JSON.parse(document.getElementById("timeline-data").textContent);
  const N = D.step.length;
  const KIND_FAIL = D.kinds.indexOf("fail");
  const KIND_CHOICE = D.kinds.indexOf("choice");
  const HEAD_H = 22, RH = 18, AT_W = 200, LANE_W = 160, OVERSCAN = 15, MAX_EDGES = 800;
  const laneX = (lane) => AT_W + lane * LANE_W;
  const app = document.getElementById("app");

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const key in attrs || {}) node.setAttribute(key, attrs[key]);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function formatTime(ns) {
    const s = Math.floor(ns / 1e9);
    return s + "." + String(ns - s * 1e9).padStart(9, "0") + "s";
  }
  // The first event at or after `step` (steps never decrease).
  function eventAtStep(step) {
    let lo = 0, hi = N;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (D.step[mid] < step) lo = mid + 1; else hi = mid;
    }
    return Math.min(lo, N - 1);
  }

  // ---- what the run says about itself
  let failIndex = -1;
  for (let i = N - 1; i >= 0; --i) if (D.kind[i] === KIND_FAIL) { failIndex = i; break; }
  const failed = D.outcome !== "ok";
  // The report's history lines ("step 8  task 2 ...": a buffer ledger's
  // moves) mark the events of that task at that step.
  const historyMarks = new Set();
  const historyRe = /step (\d+)\s+task (\d+)/;
  for (const line of D.report.split("\n")) {
    const m = historyRe.exec(line);
    if (!m) continue;
    const step = Number(m[1]), lane = Number(m[2]);
    for (let i = eventAtStep(step); i < N && D.step[i] === step; ++i) {
      if (D.lane[i] === lane && D.kind[i] !== KIND_CHOICE) historyMarks.add(i);
    }
  }

  // A deadlock's report lists each blocked task ("fiber #2 consumer waits
  // on ..."): mark the wait it is still in, its last park.
  const KIND_PARK = D.kinds.indexOf("park");
  for (const line of D.report.split("\n")) {
    const m = /^\s*fiber #(\d+) .* waits on /.exec(line);
    if (!m) continue;
    const lane = Number(m[1]);
    for (let i = N - 1; i >= 0; --i) {
      if (D.lane[i] === lane && D.kind[i] === KIND_PARK) { historyMarks.add(i); break; }
    }
  }

  // edges: [from, to, kind] triples, ordered by from
  const E = D.edges.length / 3;
  const edgesOut = new Map(), edgesIn = new Map();
  for (let k = 0; k < E; ++k) {
    const from = D.edges[3 * k], to = D.edges[3 * k + 1];
    if (!edgesOut.has(from)) edgesOut.set(from, []);
    if (!edgesIn.has(to)) edgesIn.set(to, []);
    edgesOut.get(from).push(k);
    edgesIn.get(to).push(k);
  }

  // ---- header: title, outcome, failure marker, replay line, report
  const header = el("header");
  const h1 = el("h1", {}, D.title + " ");
  h1.appendChild(el("span", { class: "badge" + (failed ? " failed" : "") }, D.outcome));
  header.appendChild(h1);
  if (failed) {
    const failStep = failIndex >= 0 ? D.step[failIndex] : D.step[N - 1];
    const failLane = failIndex >= 0 ? D.lane[failIndex] : 0;
    const invariant = D.report.split("\n")[0];
    const marker = el("div", { id: "failure-marker", "data-step": String(failStep),
                               title: "jump to the failing step" },
                      "FAILED at step " + failStep + " in " + D.lanes[failLane] + ": " + invariant);
    marker.addEventListener("click", () => jump(failIndex >= 0 ? failIndex : N - 1));
    header.appendChild(marker);
  }
  header.appendChild(el("div", { class: "replay" }, "replay: " + D.replay));
  // The objects the failure is about: those the failing task touched last,
  // and those a deadlock's tasks wait on. Each links to its history.
  if (failed) {
    const involved = [];
    const consider = (i) => {
      if (D.object[i] > 0 && !involved.includes(D.object[i])) involved.push(D.object[i]);
    };
    historyMarks.forEach(consider);
    const failLane = failIndex >= 0 ? D.lane[failIndex] : -1;
    for (let i = (failIndex >= 0 ? failIndex : N) - 1, seen = 0; i >= 0 && seen < 12; --i) {
      if (D.lane[i] !== failLane || D.kind[i] === KIND_CHOICE) continue;
      consider(i);
      ++seen;
    }
    if (involved.length > 0) {
      const line = el("div", { id: "involved" }, "history of an object involved: ");
      involved.slice(0, 10).forEach((object, n) => {
        if (n > 0) line.appendChild(document.createTextNode(", "));
        const a = el("a", { class: "step-link" }, D.objects[object - 1] + "#" + object);
        a.addEventListener("click", () => { objectOnly = object; refilter(); });
        line.appendChild(a);
      });
      header.appendChild(line);
    }
  }
  if (D.report) {
    const details = el("details");
    if (failed) details.open = true;
    details.appendChild(el("summary", {}, "failure report (steps link to the timeline)"));
    const pre = el("pre");
    for (const part of D.report.split(/(step \d+)/)) {
      const m = /^step (\d+)$/.exec(part);
      if (!m) { pre.appendChild(document.createTextNode(part)); continue; }
      const link = el("a", { class: "step-link" }, part);
      link.addEventListener("click", () => jump(eventAtStep(Number(m[1]))));
      pre.appendChild(link);
    }
    details.appendChild(pre);
    header.appendChild(details);
  }
  app.appendChild(header);

  // ---- controls: search, kinds, tasks, edges, go to step
  const controls = el("div", { class: "controls" });
  const search = el("input", { type: "search", id: "search",
                               placeholder: "search event text (e.g. ring, notify, #3)" });
  controls.appendChild(search);
  // The scheduler's choices are half the events: hidden until asked for.
  const kindOn = D.kinds.map((_, k) => k !== KIND_CHOICE);
  const kindBoxes = el("span", { id: "kind-filter" });
  D.kinds.forEach((name, k) => {
    const box = el("input", { type: "checkbox", "data-kind": name });
    box.checked = kindOn[k];
    box.addEventListener("change", () => { kindOn[k] = box.checked; refilter(); });
    const label = el("label");
    label.appendChild(box);
    label.appendChild(document.createTextNode(name));
    kindBoxes.appendChild(label);
  });
  controls.appendChild(kindBoxes);
  const edgesBox = el("input", { type: "checkbox", id: "show-edges" });
  edgesBox.checked = true;
  edgesBox.addEventListener("change", render);
  const edgesLabel = el("label", { class: "legend" });
  edgesLabel.appendChild(edgesBox);
  edgesLabel.appendChild(document.createTextNode("edges "));
  D.edgeKinds.forEach((name) => edgesLabel.appendChild(el("span", { class: "e-" + name }, name)));
  controls.appendChild(edgesLabel);
  const goto = el("input", { type: "number", id: "goto-step", placeholder: "go to step", min: "0" });
  goto.addEventListener("change", () => jump(eventAtStep(Number(goto.value))));
  controls.appendChild(goto);
  const laneOn = D.lanes.map(() => true);
  const laneFilter = el("div", { id: "lane-filter" });
  const laneBoxes = D.lanes.map((name, l) => {
    const box = el("input", { type: "checkbox", "data-lane": String(l) });
    box.checked = true;
    box.addEventListener("change", () => { laneOn[l] = box.checked; refilter(); });
    const label = el("label");
    label.appendChild(box);
    label.appendChild(document.createTextNode(name));
    laneFilter.appendChild(label);
    return box;
  });
  controls.appendChild(laneFilter);
  const status = el("span", { id: "status" });
  controls.appendChild(status);
  app.appendChild(controls);

  // ---- the timeline: sticky lane heads, lazily drawn rows, an edge layer
  const main = el("div", { id: "main" });
  const scroller = el("div", { id: "scroller" });
  const content = el("div", { id: "content" });
  const width = laneX(D.lanes.length);
  content.style.width = width + "px";
  const heads = el("div", { id: "lane-heads" });
  heads.style.width = width + "px";
  const corner = el("div", { class: "corner" }, "step / virtual time");
  corner.style.width = AT_W + "px";
  heads.appendChild(corner);
  D.lanes.forEach((name, l) => {
    const head = el("div", { class: "lane-head", "data-lane": String(l),
                             title: name + " (click: only this task; again: all)" }, name);
    head.style.width = LANE_W + "px";
    head.addEventListener("click", () => {
      const only = laneOn.every((on, i) => on === (i === l));
      laneOn.forEach((_, i) => { laneOn[i] = only || i === l; laneBoxes[i].checked = laneOn[i]; });
      refilter();
    });
    heads.appendChild(head);
    const rule = el("div", { class: "lane-rule" });
    rule.style.left = laneX(l) + "px";
    content.appendChild(rule);
  });
  content.appendChild(heads);
  const rowsEl = el("div", { id: "rows" });
  content.appendChild(rowsEl);
  const SVG = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("id", "edges");
  content.appendChild(svg);
  scroller.appendChild(content);
  main.appendChild(scroller);
  const details = el("div", { id: "details" });
  main.appendChild(details);
  app.appendChild(main);

  // ---- filtering
  let rows = new Int32Array(N);    // the shown events' indices, in order
  let rowCount = N;
  const rowOf = new Int32Array(N); // event -> row, -1 when filtered out
  let lowerText = null;            // built on the first search
  let selected = -1;
  let objectOnly = 0;              // an object's history: only its events
  function refilter() {
    const q = search.value.trim().toLowerCase();
    if (q && !lowerText) lowerText = D.text.map((t) => t.toLowerCase());
    rowCount = 0;
    for (let i = 0; i < N; ++i) {
      const shown = kindOn[D.kind[i]] && laneOn[D.lane[i]] &&
                    (!objectOnly || D.object[i] === objectOnly) &&
                    (!q || lowerText[i].includes(q));
      rowOf[i] = shown ? rowCount : -1;
      if (shown) rows[rowCount++] = i;
    }
    content.style.height = HEAD_H + rowCount * RH + "px";
    let text = "showing " + rowCount + " of " + N + " events, " + E + " edges";
    if (objectOnly) text += "; only " + D.objects[objectOnly - 1] + "#" + objectOnly;
    status.textContent = text;
    if (objectOnly) {
      const clear = el("a", { class: "step-link" }, " (all objects)");
      clear.addEventListener("click", () => { objectOnly = 0; refilter(); });
      status.appendChild(clear);
    }
    render();
  }
  let searchTimer = 0;
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(refilter, 150);
  });

  // ---- drawing the rows in view
  let drawnRows = 0, drawnEdges = 0;
  function render() {
    const top = Math.max(0, scroller.scrollTop - HEAD_H);
    const first = Math.max(0, Math.floor(top / RH) - OVERSCAN);
    const last = Math.min(rowCount - 1, Math.ceil((top + scroller.clientHeight) / RH) + OVERSCAN);
    const frag = document.createDocumentFragment();
    for (let r = first; r <= last; ++r) {
      const i = rows[r];
      const row = el("div", { class: "row" + (i === failIndex ? " fail" : "") +
                                     (i === selected ? " selected" : ""), "data-event": String(i) });
      row.style.top = HEAD_H + r * RH + "px";
      row.style.width = width + "px";
      row.appendChild(el("span", { class: "at" },
                         String(D.step[i]).padStart(7) + "  " + formatTime(D.time[i])));
      const ev = el("span", { class: "ev k-" + D.kinds[D.kind[i]] +
                                    (historyMarks.has(i) ? " history" : ""), title: D.text[i] },
                    D.text[i]);
      ev.style.left = laneX(D.lane[i]) + 2 + "px";
      ev.style.width = LANE_W - 4 + "px";
      row.appendChild(ev);
      row.addEventListener("click", () => select(i));
      frag.appendChild(row);
    }
    rowsEl.replaceChildren(frag);
    drawnRows = Math.max(0, last - first + 1);
    drawEdges(first, last);
  }
  function drawEdges(first, last) {
    svg.replaceChildren();
    drawnEdges = 0;
    if (!edgesBox.checked || last < first) return;
    svg.style.top = HEAD_H + first * RH + "px";
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String((last - first + 1) * RH));
    const cx = (i) => laneX(D.lane[i]) + LANE_W / 2;
    for (let k = 0; k < E && drawnEdges < MAX_EDGES; ++k) {
      const r1 = rowOf[D.edges[3 * k]], r2 = rowOf[D.edges[3 * k + 1]];
      if (r1 < 0 || r2 < 0 || r2 < first || r1 > last) continue;
      const x1 = cx(D.edges[3 * k]), y1 = (r1 - first) * RH + RH / 2;
      const x2 = cx(D.edges[3 * k + 1]), y2 = (r2 - first) * RH + RH / 2;
      const bend = Math.min(60, Math.max(12, (y2 - y1) / 2));
      const path = document.createElementNS(SVG, "path");
      path.setAttribute("class", "e-" + D.edgeKinds[D.edges[3 * k + 2]]);
      path.setAttribute("d", "M" + x1 + " " + y1 + " C" + x1 + " " + (y1 + bend) + " " + x2 + " " +
                                 (y2 - bend) + " " + x2 + " " + y2 + " M" + (x2 - 4) + " " +
                                 (y2 - 6) + " L" + x2 + " " + y2 + " L" + (x2 + 4) + " " + (y2 - 6));
      svg.appendChild(path);
      ++drawnEdges;
    }
  }
  let frame = 0;
  scroller.addEventListener("scroll", () => {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; render(); });
  });
  window.addEventListener("resize", render);

  // ---- selection and jumps
  function edgeLink(k, end) {
    const i = D.edges[3 * k + end];
    const li = el("li");
    li.appendChild(document.createTextNode(D.edgeKinds[D.edges[3 * k + 2]] +
                                           (end ? " to " : " from ")));
    const a = el("a", { class: "step-link" }, "step " + D.step[i] + " " + D.lanes[D.lane[i]]);
    a.addEventListener("click", () => jump(i));
    li.appendChild(a);
    li.appendChild(document.createTextNode(": " + D.text[i]));
    return li;
  }
  function select(i) {
    selected = i;
    details.replaceChildren();
    details.appendChild(el("h2", {}, "step " + D.step[i] + ", " + formatTime(D.time[i])));
    details.appendChild(el("div", {}, D.lanes[D.lane[i]] + " (" + D.kinds[D.kind[i]] + ")"));
    details.appendChild(el("p", {}, D.text[i]));
    const object = D.object[i];
    if (object > 0) {
      const a = el("a", { class: "step-link" },
                   "history of " + D.objects[object - 1] + "#" + object + " (only its events)");
      a.addEventListener("click", () => { objectOnly = object; refilter(); jump(i); });
      details.appendChild(a);
    }
    for (const [title, map, end] of [["ordered after", edgesIn, 0], ["orders", edgesOut, 1]]) {
      const ks = map.get(i);
      if (!ks) continue;
      details.appendChild(el("div", {}, title + ":"));
      const ul = el("ul");
      ks.forEach((k) => ul.appendChild(edgeLink(k, end)));
      details.appendChild(ul);
    }
    render();
  }
  function jump(i) {
    if (i < 0) return;
    if (rowOf[i] < 0) {  // filtered out: show everything again
      kindOn.fill(true);
      laneOn.fill(true);
      document.querySelectorAll(".controls input[type=checkbox]").forEach((b) => { b.checked = true; });
      search.value = "";
      objectOnly = 0;
      refilter();
    }
    scroller.scrollTop = Math.max(0, HEAD_H + rowOf[i] * RH - scroller.clientHeight / 2);
    select(i);
  }

  // ---- first draw: at the failure, if any; then report what was drawn.
  // A link may carry a search (page.html#q=notify) or a task (#lane=3).
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.has("q")) search.value = params.get("q");
  if (params.has("lane")) {
    const only = Number(params.get("lane"));
    laneOn.forEach((_, l) => { laneOn[l] = l === only; laneBoxes[l].checked = laneOn[l]; });
  }
  const started = performance.now();
  refilter();
  if (failIndex >= 0 && rowOf[failIndex] >= 0) {
    jump(failIndex);
  } else if (failed && !params.has("q") && !params.has("lane")) {
    jump(N - 1);
  }
  details.insertBefore(el("p", {}, "Click an event for its details and edges. Lane heads filter " +
                                   "by task; the search box filters by text."), details.firstChild);
  const summary = el("div", {
    id: "timeline-summary", hidden: "",
    "data-lanes": String(document.querySelectorAll(".lane-head").length),
    "data-events": String(N),
    "data-edges": String(E),
    "data-fail-step": String(failIndex >= 0 ? D.step[failIndex] : -1),
    "data-failure-marker": document.getElementById("failure-marker") ? "1" : "0",
    "data-fail-row": document.querySelector(".ev.k-fail") ? "1" : "0",
    "data-rows": String(drawnRows),
    "data-shown": String(rowCount),
    "data-first-draw-ms": String(Math.round(performance.now() - started)),
    "data-script-ms": String(Math.round(performance.now() - loadStarted)),
    "data-drawn-edges": String(drawnEdges),
    "data-history-marks": String(historyMarks.size),
  });
  document.body.appendChild(summary);
})();

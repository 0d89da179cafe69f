// The demo page: submit an article to /v1/jobs, follow the job, draw its result.
// Offsets in a result are code points; JavaScript strings index UTF-16 units, so the body
// is split with Array.from before any slicing (an emoji would otherwise shift every span).
"use strict";

(function () {
  const TYPES = ["PER", "LOC", "ORG", "MISC"];
  const TYPE_NAMES = {PER: "person", LOC: "place", ORG: "organisation", MISC: "other name"};
  const FINAL = new Set(["succeeded", "failed"]);
  const FIELDS = [
    ["title", "title"], ["source", "source"], ["published_at", "date"], ["author", "author"],
    ["tags", "tags"], ["breadcrumb", "breadcrumb"], ["related", "related headlines"],
    ["language", "language"], ["flags", "flags"],
  ];

  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  }

  // Arabic strings inside the left-to-right page: isolated, right to left.
  function ar(text, tag) {
    return el(tag || "bdi", {dir: "rtl", lang: "ar", text: text});
  }

  function headers(json) {
    const h = {Accept: "application/json"};
    if (json) h["Content-Type"] = "application/json";
    const key = $("api-key").value.trim();
    if (key) h.Authorization = "Bearer " + key;
    return h;
  }

  async function problemText(resp) {
    let detail = "";
    try {
      const body = await resp.json();
      detail = body.detail || body.title || "";
      if (Array.isArray(body.errors) && body.errors.length) {
        detail += ": " + body.errors.map((e) => (e.field ? e.field + " " : "") + (e.message || "")).join("; ");
      }
    } catch (_e) { /* not JSON */ }
    if (resp.status === 401) {
      return "the service needs an API key (or the key is not valid): paste it in the API key field. " + detail;
    }
    return "HTTP " + resp.status + (detail ? ": " + detail : "");
  }

  function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }

  // -- submitting and following the job -----------------------------------------------------

  let seen = [];

  function showStatus(job) {
    if (seen.length && seen[seen.length - 1] === job.status) return;
    seen.push(job.status);
    const li = el("li", {class: "status status-" + job.status, "data-status": job.status},
                  el("span", {class: "status-name", text: job.status}),
                  el("span", {class: "muted", text: " " + new Date().toLocaleTimeString()}));
    if (job.steps_done && job.steps_done.length && !FINAL.has(job.status)) {
      li.append(el("span", {class: "muted", text: " (done: " + job.steps_done.join(", ") + ")"}));
    }
    $("job-statuses").append(li);
    document.body.setAttribute("data-job-status", job.status);
  }

  async function follow(job) {
    let delay = 150;
    while (!FINAL.has(job.status)) {
      await sleep(delay);
      delay = Math.min(delay * 1.5, 1000);
      const resp = await fetch("/v1/jobs/" + encodeURIComponent(job.id), {headers: headers(false), cache: "no-store"});
      if (!resp.ok) throw new Error(await problemText(resp));
      job = await resp.json();
      showStatus(job);
    }
    return job;
  }

  async function articleBody() {
    const file = $("file").files[0];
    let content = $("article").value;
    let name = "";
    if (file) {
      content = await file.text();
      name = file.name.toLowerCase();
      $("article").value = content;
    }
    if (!content.trim()) throw new Error("paste an article or choose a file first");
    let format = document.querySelector("input[name=format]:checked").value;
    if (format === "auto") {
      format = /\.html?$/.test(name) || content.trimStart().startsWith("<") ? "html" : "text";
    }
    return format === "html" ? {html: content} : {text: content};
  }

  async function submit(event) {
    event.preventDefault();
    $("form-error").textContent = "";
    $("job-error").textContent = "";
    let body;
    try {
      body = await articleBody();
    } catch (e) {
      $("form-error").textContent = e.message;
      return;
    }
    $("submit").disabled = true;
    $("result").hidden = true;
    $("job-statuses").replaceChildren();
    seen = [];
    document.body.removeAttribute("data-job-status");
    try {
      const resp = await fetch("/v1/jobs", {method: "POST", headers: headers(true), body: JSON.stringify(body)});
      if (!resp.ok) throw new Error(await problemText(resp));
      let job = await resp.json();
      $("job-panel").hidden = false;
      $("job-id").textContent = job.id;
      showStatus(job);
      job = await follow(job);
      if (job.status === "failed") {
        const err = job.error || {};
        $("job-error").textContent = "the job failed: " + (err.detail || err.title || "no detail");
        return;
      }
      draw(job.result);
    } catch (e) {
      $("job-panel").hidden = false;
      $("job-error").textContent = e.message;
    } finally {
      $("submit").disabled = false;
    }
  }

  // -- drawing a result ---------------------------------------------------------------------

  function draw(result) {
    drawFields(result.document || {});
    drawBody(result);
    drawGroups(result.entity_groups || []);
    drawBoilerplate((result.boilerplate || {}).blocks || []);
    drawEngines(result);
    $("raw").textContent = JSON.stringify(result, null, 2);
    $("result").hidden = false;
    document.body.setAttribute("data-drawn", "yes");
  }

  function drawFields(doc) {
    const dl = $("fields");
    dl.replaceChildren();
    for (const [key, label] of FIELDS) {
      const value = doc[key];
      if (value === undefined || value === null || value === "" ||
          (Array.isArray(value) && !value.length)) continue;
      const dd = el("dd", {"data-field": key});
      if (Array.isArray(value)) {
        const list = el("ul", {class: key === "tags" ? "chips" : "plain"});
        for (const v of value) list.append(el("li", {}, ar(String(v))));
        dd.append(list);
      } else if (key === "published_at" || key === "language") {
        dd.append(el("bdi", {dir: "ltr", text: String(value)}));
      } else {
        dd.append(ar(String(value)));
      }
      dl.append(el("dt", {text: label}), dd);
    }
    if (doc.counts) {
      const c = doc.counts;
      dl.append(el("dt", {text: "counts"}),
                el("dd", {text: Object.entries(c).map(([k, v]) => v + " " + k).join(", ")}));
    }
  }

  function drawLegend(entities) {
    const present = new Set(entities.map((e) => e.type));
    const legend = $("legend");
    legend.replaceChildren();
    for (const t of TYPES) {
      if (!present.has(t)) continue;
      legend.append(el("span", {class: "ent ent-" + t},
                       el("span", {class: "ent-label", text: t}),
                       " " + TYPE_NAMES[t]));
    }
  }

  // Cut the body at every token and entity edge; an entity becomes a <mark> holding its
  // pieces, a token piece a <span> carrying the whole token's segments (a token can be cut
  // by an entity edge: a proclitic stays outside the name).
  function drawBody(result) {
    const text = Array.from((result.document || {}).text || "");
    const tokens = (result.tokens || []).slice().sort((a, b) => a.start - b.start);
    const entities = (result.entities || []).slice().sort((a, b) => a.start - b.start);
    drawLegend(entities);
    const cuts = new Set([0, text.length]);
    for (const t of tokens) { cuts.add(t.start); cuts.add(t.end); }
    for (const e of entities) { cuts.add(e.start); cuts.add(e.end); }
    const edges = Array.from(cuts).filter((x) => x >= 0 && x <= text.length).sort((a, b) => a - b);

    const body = $("body");
    body.replaceChildren();
    let ti = 0, ei = 0, mark = null;
    for (let i = 0; i + 1 < edges.length; i++) {
      const a = edges[i], b = edges[i + 1];
      while (ti < tokens.length && tokens[ti].end <= a) ti++;
      while (ei < entities.length && entities[ei].end <= a) ei++;
      const tok = ti < tokens.length && tokens[ti].start <= a ? tokens[ti] : null;
      const ent = ei < entities.length && entities[ei].start <= a ? entities[ei] : null;
      if (mark && (!ent || mark.entity !== ent)) {
        closeMark(mark);
        mark = null;
      }
      if (ent && !mark) {
        const node = el("mark", {class: "ent ent-" + ent.type, "data-type": ent.type,
                                 "data-entity": ent.entity, title: TYPE_NAMES[ent.type] || ent.type});
        body.append(node);
        mark = {entity: ent, node: node};
      }
      const surface = text.slice(a, b).join("");
      let piece;
      if (tok && tok.kind === "word" && Array.isArray(tok.segments)) {
        piece = el("span", {class: "tok", "data-seg": tok.segments.join("+"), text: surface});
        if (tok.segments.length > 1) piece.classList.add("tok-multi");
      } else {
        piece = document.createTextNode(surface);
      }
      (mark ? mark.node : body).append(piece);
    }
    if (mark) closeMark(mark);
  }

  function closeMark(mark) {
    mark.node.append(el("span", {class: "ent-label", dir: "ltr", text: mark.entity.type}));
  }

  function showSegments(event) {
    const tok = event.target.closest ? event.target.closest(".tok") : null;
    if (!tok) return;
    $("segment-info").replaceChildren(el("span", {class: "muted", text: "segments: "}),
                                      ar(tok.getAttribute("data-seg")));
  }

  function drawGroups(groups) {
    const tbody = $("groups").tBodies[0];
    tbody.replaceChildren();
    for (const g of groups) {
      const variants = el("ul", {class: "chips"});
      for (const v of g.variants || []) variants.append(el("li", {}, ar(v)));
      const row = el("tr", {"data-entity": g.id, "data-type": g.type, tabindex: "0"},
                     el("td", {}, el("span", {class: "ent ent-" + g.type}, el("span", {class: "ent-label", text: g.type}))),
                     el("td", {}, ar(g.canonical)),
                     el("td", {}, variants),
                     el("td", {class: "num", text: String(g.mentions)}));
      tbody.append(row);
    }
    if (!groups.length) tbody.append(el("tr", {}, el("td", {colspan: "4", class: "muted", text: "no entities"})));
  }

  function selectGroup(event) {
    const row = event.target.closest ? event.target.closest("tr[data-entity]") : null;
    if (!row) return;
    const id = row.getAttribute("data-entity");
    const wasOn = row.classList.contains("selected");
    for (const n of document.querySelectorAll(".selected")) n.classList.remove("selected");
    if (wasOn) return;
    row.classList.add("selected");
    const marks = document.querySelectorAll('#body mark[data-entity="' + CSS.escape(id) + '"]');
    for (const m of marks) m.classList.add("selected");
    if (marks.length) marks[0].scrollIntoView({block: "nearest"});
  }

  function drawBoilerplate(blocks) {
    const list = $("boilerplate");
    list.replaceChildren();
    for (const b of blocks) {
      list.append(el("li", {class: "block", "data-kind": b.kind},
                     el("span", {class: "kind", dir: "ltr", text: b.kind.replace(/_/g, " ")}),
                     ar(b.text, "p")));
    }
    if (!blocks.length) list.append(el("li", {class: "muted", text: "nothing removed"}));
  }

  function drawEngines(result) {
    const dl = $("engines");
    dl.replaceChildren();
    for (const [layer, e] of Object.entries(result.engines || {})) {
      const t = (result.timings_ms || {})[layer];
      dl.append(el("dt", {text: layer}),
                el("dd", {text: e.name + " " + (e.version || "") + (e.reason ? " (" + e.reason + ")" : "") +
                                (t !== undefined ? " · " + t + " ms" : "")}));
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("submit-form").addEventListener("submit", submit);
    $("body").addEventListener("mouseover", showSegments);
    $("body").addEventListener("focusin", showSegments);
    $("groups").addEventListener("click", selectGroup);
    $("groups").addEventListener("keydown", (e) => { if (e.key === "Enter") selectGroup(e); });
    $("file").addEventListener("change", () => { $("form-error").textContent = ""; });
    document.body.setAttribute("data-ready", "yes");
  });
})();

// The developer portal's page: renders the catalog from /portal/openapi.json,
// signs a developer in with a token of the portal's realm (kept in this page
// only), and drives the self-service calls under /portal/api/. Text from the
// server is only ever set as text, never parsed as HTML.
"use strict";

const state = { catalog: null, about: null, token: null, me: null, operations: [] };
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

function say(text) { $("message").textContent = text || ""; }

async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (state.token) headers.Authorization = "Bearer " + state.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
  if (!res.ok) throw new Error((data && data.detail) || res.status + " " + res.statusText);
  return data;
}

// "starter:daily";q=1000;w=86400 → "1000 a day"
function describeLimit(limit) {
  const q = /;q=(\d+)/.exec(limit.policy), w = /;w=(\d+)/.exec(limit.policy);
  if (!q || !w) return limit.name;
  const windows = { 1: "a second", 60: "a minute", 3600: "an hour", 86400: "a day" };
  const per = windows[w[1]] || "every " + w[1] + " s";
  return limit.name + ": " + q[1] + " " + per + (limit.quota ? " (quota)" : "");
}

// ---- the catalog ----

function versionsOf(catalog) {
  return (catalog.tags || []).map((t) => ({ tag: t.name, life: t["x-gatehouse-lifecycle"] || {} }));
}

function operationsOf(catalog) {
  const ops = [];
  for (const [path, item] of Object.entries(catalog.paths || {}))
    for (const [method, op] of Object.entries(item)) {
      if (typeof op !== "object" || !op.responses) continue;
      const security = (op.security || []).flatMap((s) => Object.keys(s));
      const scheme = security.length ? (catalog.components.securitySchemes || {})[security[0]] : null;
      ops.push({ path, method: method.toUpperCase(), op, tag: (op.tags || [])[0], scheme });
    }
  return ops;
}

function subscriptionOf(api, version) {
  const subs = (state.me && state.me.subscriptions) || [];
  return subs.find((s) => s.api === api && s.version === version) || subs.find((s) => s.api === api && s.version === "*");
}

function renderApis() {
  const box = $("apis");
  box.replaceChildren();
  const versions = versionsOf(state.catalog);
  if (!versions.length) box.append(el("p", {}, "This gateway publishes no APIs yet."));
  for (const { tag, life } of versions) {
    const ops = state.operations.filter((o) => o.tag === tag);
    const required = ops.some((o) => o.op["x-gatehouse-subscription-required"]);
    const title = el("h3", {}, life.api + " " + life.version,
      el("span", { class: "badge " + life.state, "data-state": life.state }, life.state),
      required ? el("span", { class: "badge required" }, "subscription required") : null);
    const dates = [];
    if (life.deprecated) dates.push("deprecated since " + life.deprecated);
    if (life.sunset) dates.push("sunset " + life.sunset);
    if (life.successor) dates.push("successor " + life.successor + (life.successor_url ? " at " + life.successor_url : ""));
    const card = el("div", { class: "api", "data-api": life.api, "data-version": life.version }, title,
      el("p", { class: "dates" }, "Base path " + (life.base_path || "/") + (dates.length ? " · " + dates.join(" · ") : "")));
    for (const o of ops) {
      const limits = (o.op["x-gatehouse-limits"] || []).map(describeLimit).join(", ");
      card.append(el("div", { class: "op" }, el("span", { class: "method" }, o.method), o.path,
        o.op.summary ? " — " + o.op.summary : "", limits ? el("span", { class: "limits" }, " · " + limits) : null));
    }
    const sub = state.me && subscriptionOf(life.api, life.version);
    if (sub) card.append(el("p", { class: "dates" }, "Subscribed (" + sub.state + ")"));
    else if (!required) card.append(el("p", { class: "dates" }, "Open to every caller its realm accepts: no subscription needed."));
    else if (state.me) {
      card.append(el("button", { type: "button", class: "subscribe", onclick: () => subscribe(life.api, life.version) },
        "Subscribe to " + life.api + " " + life.version));
    }
    box.append(card);
  }
}

function renderPlans() {
  const box = $("plans");
  box.replaceChildren();
  const plans = state.catalog["x-gatehouse-plans"] || [];
  if (!plans.length) box.append(el("p", {}, "No plans: every caller shares the routes' own limits."));
  for (const p of plans)
    box.append(el("div", { class: "api", "data-plan": p.name }, el("h3", {}, p.title || p.name),
      el("p", { class: "limits" }, (p.limits || []).map(describeLimit).join(" · ") || "no limits")));
  const select = $("key-plan");
  select.replaceChildren(...plans.map((p) => el("option", { value: p.name }, p.title || p.name)));
}

function renderTry() {
  const select = $("try-operation");
  select.replaceChildren(...state.operations.map((o, i) => el("option", { value: String(i) }, o.method + " " + o.path)));
  renderParams();
}

function renderParams() {
  const o = state.operations[Number($("try-operation").value)];
  const box = $("try-params");
  box.replaceChildren();
  if (!o) return;
  for (const p of o.op.parameters || []) {
    if (p.in !== "path") continue;
    box.append(el("label", { for: "param-" + p.name }, p.name), el("input", { id: "param-" + p.name, "data-param": p.name }));
  }
}

// ---- the developer ----

function renderMe() {
  const me = state.me;
  $("sign-in").hidden = !!me;
  $("signed-in").hidden = !me;
  if (!me) return;
  $("who").textContent = me.subject + " (realm " + me.realm + ")";
  $("consumer").textContent = me.consumer || "none yet";
  $("plan").textContent = me.plan || "none yet";
  if (me.plan) $("key-plan").value = me.plan;
  $("keys").tBodies[0].replaceChildren(...me.keys.map((k) => el("tr", { "data-key": k.id },
    el("td", {}, el("code", {}, k.id)), el("td", {}, k.expires || "never"),
    el("td", {}, el("button", { type: "button", class: "quiet", onclick: () => revoke(k.id) }, "Revoke")))));
  $("subscriptions").tBodies[0].replaceChildren(...me.subscriptions.map((s) => el("tr", { "data-subscription": s.api + " " + s.version },
    el("td", {}, s.api), el("td", {}, s.version), el("td", {}, s.state),
    el("td", {}, s.state === "active" ? el("button", { type: "button", class: "quiet", onclick: () => unsubscribe(s.api, s.version) }, "Unsubscribe") : ""))));
  const plans = (state.catalog && state.catalog["x-gatehouse-plans"]) || [];
  $("usage").tBodies[0].replaceChildren(...me.usage.map((u) => {
    const plan = plans.find((p) => p.name === u.plan);
    return el("tr", { "data-usage": u.api + " " + u.version }, el("td", {}, u.api || ""), el("td", {}, u.version || ""),
      el("td", {}, u.plan || ""), el("td", {}, String(u.requests)), el("td", {}, String(u.forwarded)),
      el("td", {}, String(u.denied)), el("td", {}, String(u.quota_units)),
      el("td", { class: "limits" }, plan ? (plan.limits || []).map(describeLimit).join(" · ") : ""));
  }));
}

async function refreshMe() {
  state.me = await call("GET", "/portal/api/me");
  renderMe();
  renderApis();
}

async function signIn(event) {
  event.preventDefault();
  say("");
  state.token = $("token").value.trim();
  try {
    await refreshMe();
    if (!$("try-credential").value) $("try-credential").value = state.token;
  } catch (e) {
    state.token = null;
    say("Sign-in refused: " + e.message);
  }
}

function signOut() {
  state.token = null;
  state.me = null;
  $("new-key-shown").hidden = true;
  $("new-key-value").textContent = "";
  renderMe();
  renderApis();
}

async function act(what) {
  say("");
  try { await what(); await refreshMe(); } catch (e) { say(e.message); }
}

function createKey(event) {
  event.preventDefault();
  return act(async () => {
    const made = await call("POST", "/portal/api/keys", { plan: $("key-plan").value });
    $("new-key-value").textContent = made.key;
    $("new-key-header").textContent = made.header;
    $("new-key-shown").hidden = false;
  });
}
const revoke = (id) => act(() => call("DELETE", "/portal/api/keys/" + encodeURIComponent(id)));
const subscribe = (api, version) => act(() => call("POST", "/portal/api/subscriptions", { api, version }));
const unsubscribe = (api, version) =>
  act(() => call("DELETE", "/portal/api/subscriptions/" + encodeURIComponent(api) + "/" + encodeURIComponent(version)));

// ---- try it ----

async function tryIt(event) {
  event.preventDefault();
  const o = state.operations[Number($("try-operation").value)];
  if (!o) return;
  let path = o.path;
  for (const input of $("try-params").querySelectorAll("input[data-param]"))
    path = path.replace("{" + input.dataset.param + "}", encodeURIComponent(input.value));
  const headers = {};
  const credential = $("try-credential").value.trim();
  if (credential) {
    if (o.scheme && o.scheme.type === "apiKey" && o.scheme.in === "header") headers[o.scheme.name] = credential;
    else headers.Authorization = "Bearer " + credential;
  }
  const body = $("try-body").value.trim();
  const hasBody = body && !["GET", "HEAD", "DELETE"].includes(o.method);
  if (hasBody) headers["Content-Type"] = "application/json";
  const out = $("try-result");
  out.textContent = "…";
  try {
    const res = await fetch(path, { method: o.method, headers, body: hasBody ? body : undefined });
    const lines = [res.status + " " + res.statusText];
    for (const [k, v] of res.headers) if (!["date", "connection", "keep-alive"].includes(k)) lines.push(k + ": " + v);
    out.textContent = lines.join("\n") + "\n\n" + (await res.text());
    out.dataset.status = String(res.status);
  } catch (e) {
    out.textContent = "The request failed: " + e.message;
    out.dataset.status = "error";
  }
}

// ---- start ----

async function start() {
  $("sign-in").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("refresh").addEventListener("click", () => act(async () => {}));
  $("new-key").addEventListener("submit", createKey);
  $("try-form").addEventListener("submit", tryIt);
  $("try-operation").addEventListener("change", renderParams);
  try {
    [state.catalog, state.about] = await Promise.all([call("GET", "/portal/openapi.json"), call("GET", "/portal/api/about")]);
  } catch (e) {
    $("apis").replaceChildren(el("p", {}, "The catalog cannot be read: " + e.message));
    return;
  }
  state.operations = operationsOf(state.catalog);
  $("realm-name").textContent = state.about.realm || "(none)";
  if (!state.about.realm) {
    $("sign-in-hint").textContent = "Self-service is off on this gateway (its operators start it with --portal-realm).";
    $("sign-in-button").disabled = true;
  }
  renderPlans();
  renderApis();
  renderTry();
  document.body.dataset.ready = "true";
}

start();

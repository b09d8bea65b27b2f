// Demo page for the SageMaker proxy: plain JavaScript, no build step. The form is built from the
// API's own description (GET /openapi.json): the record's features, their types and which may be
// left empty, an example to start from, and what a prediction holds (a label, probabilities, a
// score or a value), so the page fits whatever model the stage serves.
"use strict";

const API_URL_KEY = "sagemaker-proxy.apiUrl";
const API_KEY_KEY = "sagemaker-proxy.apiKey";
const DEFAULT_API_URL = "http://127.0.0.1:8000";

const $ = (id) => document.getElementById(id);
const apiUrlInput = $("api-url");
const apiKeyInput = $("api-key");
const statusLine = $("status");
const results = $("results");

// [{name, type: "number" | "integer" | "boolean" | "string", required, description, categories}],
// in the model's order; a categorical feature is a string of its categories (the enum).
let features = [];

// The URL and key the form was last built with: a "change" event that changes neither (the
// browser fires one when the field loses focus) must not rebuild it under the user's click.
let describedBy = "";

// ?api=<base URL> (make run's banner gives it when its ports moved) wins, and is remembered.
const apiFromQuery = new URLSearchParams(window.location.search).get("api");
if (apiFromQuery) localStorage.setItem(API_URL_KEY, apiFromQuery);
apiUrlInput.value = localStorage.getItem(API_URL_KEY) || DEFAULT_API_URL;
apiUrlInput.addEventListener("change", () => {
  localStorage.setItem(API_URL_KEY, apiUrlInput.value.trim());
  loadDescriptionIfChanged();
});
apiKeyInput.value = localStorage.getItem(API_KEY_KEY) || "";
apiKeyInput.addEventListener("change", () => {
  localStorage.setItem(API_KEY_KEY, apiKeyInput.value.trim());
  loadDescriptionIfChanged();
});

function loadDescriptionIfChanged() {
  if (`${apiBase()} ${apiKeyInput.value.trim()}` !== describedBy) loadDescription();
}

// Tabs: one record, or a batch pasted as CSV.
for (const [tabId, formId] of [["tab-record", "record-form"], ["tab-batch", "batch-form"]]) {
  $(tabId).addEventListener("click", () => {
    for (const [otherTab, otherForm] of [["tab-record", "record-form"], ["tab-batch", "batch-form"]]) {
      $(otherTab).setAttribute("aria-selected", String(otherTab === tabId));
      $(otherForm).hidden = otherForm !== formId;
    }
    clearMessages();
  });
}

function apiBase() {
  return apiUrlInput.value.trim().replace(/\/+$/, "");
}

function headers(json) {
  const sent = json ? { "Content-Type": "application/json" } : {};
  const apiKey = apiKeyInput.value.trim();
  if (apiKey) sent["x-api-key"] = apiKey;
  const token = signIn.token();
  if (token) sent.Authorization = `Bearer ${token.accessToken}`;
  return sent;
}

// Sign-in: the provider's settings, remembered; the buttons; who is signed in.
const issuerInput = $("issuer");
const clientIdInput = $("client-id");
const scopesInput = $("scopes");
const signInSettings = signIn.settings();
issuerInput.value = signInSettings.issuer || "";
clientIdInput.value = signInSettings.client_id || "";
scopesInput.value = signInSettings.scope || "openid";

function showSignedIn() {
  const token = signIn.token();
  $("sign-in-button").hidden = Boolean(token);
  $("sign-out-button").hidden = !token;
  $("signed-in-as").textContent = token
    ? `Signed in until ${new Date(token.expiresAt).toLocaleTimeString()}.`
    : "";
}

$("sign-in-button").addEventListener("click", async () => {
  const values = {
    issuer: issuerInput.value.trim(),
    client_id: clientIdInput.value.trim(),
    scope: scopesInput.value.trim() || "openid",
  };
  if (!values.issuer || !values.client_id) {
    showError("Name the sign-in provider's issuer URL and this page's client id first.");
    return;
  }
  try {
    await signIn.start(values);
  } catch (error) {
    showError(error.message || `Could not reach ${values.issuer}.`);
  }
});

$("sign-out-button").addEventListener("click", () => {
  signIn.signOut();
  showSignedIn();
  loadDescription();
});

function unreachable(base) {
  // fetch gives no detail on purpose: a refused connection and a CORS refusal look alike.
  return (
    `Could not reach the API at ${base}. Is it running, and does its stage allow ` +
    `this page's origin (${window.location.origin}) in CORS_ALLOW_ORIGINS?`
  );
}

// The features of the document's Record schema: a property each, in order; "anyOf" with null
// marks one that may be left empty.
function describeFeatures(document) {
  const record = document.components.schemas.Record;
  const required = new Set(record.required || []);
  return Object.entries(record.properties).map(([name, property]) => {
    const typed = property.anyOf ? property.anyOf.find((option) => option.type !== "null") : property;
    return {
      name,
      type: typed.type,
      required: required.has(name),
      description: property.description || "",
      categories: typed.enum || null,
    };
  });
}

function exampleRecords(document) {
  const content = document.paths["/predict"].post.requestBody.content["application/json"];
  const examples = content.examples || {};
  return examples.batch ? examples.batch.value.instances : examples.record ? [examples.record.value] : [];
}

// Each load numbered: an answer to an earlier URL that arrives late is dropped.
let loads = 0;

async function loadDescription() {
  const base = apiBase();
  const load = ++loads;
  describedBy = `${base} ${apiKeyInput.value.trim()}`;
  clearMessages();
  $("predict").disabled = true;
  $("predict-batch").disabled = true;
  statusLine.textContent = "Reading the API's description…";
  let document;
  try {
    const response = await fetch(`${base}/openapi.json`, { headers: headers(false) });
    if (load !== loads) return;
    if (response.status === 401 || response.status === 403) {
      showError(`${response.status}: the API at ${base} asks for sign-in. Sign in above.`);
      return;
    }
    if (!response.ok) {
      showError(`${response.status}: the API at ${base} did not give its description.`);
      return;
    }
    document = await response.json();
  } catch {
    if (load === loads) showError(unreachable(base));
    return;
  }
  if (load !== loads) return;
  features = describeFeatures(document);
  buildForm(exampleRecords(document));
  statusLine.textContent = "";
  $("predict").disabled = false;
  $("predict-batch").disabled = false;
}

function featureLabel(name) {
  return name.replaceAll("_", " ");
}

function buildForm(examples) {
  const first = examples[0] || {};
  const fields = features.map((feature, index) => {
    const field = document.createElement("div");
    field.className = "field";
    field.dataset.feature = feature.name;
    const id = `feature-${index}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = featureLabel(feature.name);
    const hint = document.createElement("small");
    hint.textContent = feature.required ? feature.description : `${feature.description} (may be empty)`;
    label.append(hint);
    let input;
    if (feature.type === "boolean" || feature.categories) {
      // A choice: true or false, or one of the feature's categories by name.
      const choices = feature.categories
        ? feature.categories.map((name) => [name, name])
        : [["true", "true"], ["false", "false"]];
      input = document.createElement("select");
      for (const [value, text] of [["", "(empty)"], ...choices]) {
        const option = document.createElement("option");
        option.value = value;
        option.textContent = text;
        input.append(option);
      }
      input.value = first[feature.name] === undefined ? "" : String(first[feature.name]);
    } else {
      input = document.createElement("input");
      input.inputMode = feature.type === "integer" ? "numeric" : "decimal";
      input.value = first[feature.name] === undefined ? "" : String(first[feature.name]);
    }
    input.id = id;
    input.name = feature.name;
    const error = document.createElement("p");
    error.className = "field-error";
    error.setAttribute("role", "alert");
    field.append(label, input, error);
    return field;
  });
  $("fields").replaceChildren(...fields);
  const names = features.map((feature) => feature.name);
  $("batch-label").textContent =
    `One record per line: ${names.join(", ")}. A header line naming them may come first, in any order; ` +
    "leave a cell empty for a missing value.";
  $("batch-csv").value = examples
    .map((record) => names.map((name) => (record[name] === undefined ? "" : String(record[name]))).join(","))
    .join("\n");
}

function fieldOf(name) {
  return document.querySelector(`#fields .field[data-feature="${CSS.escape(name)}"]`);
}

// A value the user typed or chose: a number or a boolean when it reads as one, else the text
// itself, so that the API (the one validator) says what is wrong with it.
function readValue(text, feature) {
  // A category is its name as it stands, even one that reads as a number ("3" is not the code 3).
  if (feature.categories) return text === "" ? undefined : text;
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  if (feature.type === "boolean" && ["true", "false"].includes(trimmed.toLowerCase())) {
    return trimmed.toLowerCase() === "true";
  }
  const number = Number(trimmed);
  return Number.isFinite(number) ? number : trimmed;
}

function clearMessages() {
  statusLine.textContent = "";
  statusLine.classList.remove("error");
  results.replaceChildren();
  for (const field of document.querySelectorAll("#fields .field")) {
    field.querySelector(".field-error").textContent = "";
    field.querySelector("input, select").removeAttribute("aria-invalid");
  }
  $("batch-errors").replaceChildren();
  $("batch-csv").removeAttribute("aria-invalid");
}

function showError(message) {
  statusLine.textContent = message;
  statusLine.classList.add("error");
}

function addBatchError(text) {
  const item = document.createElement("li");
  item.textContent = text;
  $("batch-errors").append(item);
  $("batch-csv").setAttribute("aria-invalid", "true");
}

async function predict(body, submitButton) {
  const base = apiBase();
  submitButton.disabled = true;
  statusLine.textContent = "Asking the model…";
  try {
    let response;
    try {
      response = await fetch(`${base}/predict`, {
        method: "POST",
        headers: headers(true),
        body: JSON.stringify(body),
      });
    } catch {
      showError(unreachable(base));
      return null;
    }
    const requestId = response.headers.get("X-Request-Id");
    let answer = null;
    try {
      answer = await response.json();
    } catch {
      // API Gateway's own errors may not be JSON; the status still says what happened.
    }
    if (response.ok) {
      statusLine.textContent = "";
      return answer;
    }
    const retryAfter = response.headers.get("Retry-After");
    showError(
      `${response.status}: ${(answer && answer.Message) || response.statusText}` +
        (retryAfter ? ` Retry in ${retryAfter} s.` : "") +
        (requestId ? ` (request id ${requestId})` : ""),
    );
    return { problems: (answer && answer.Errors) || [] };
  } finally {
    submitButton.disabled = false;
  }
}

// A prediction as its model's objective makes it: a label, with a bar per class's probability
// or the raw score; a value; or several numbers by name (quantiles, targets) in a table.
function renderPrediction(prediction, title) {
  const card = document.createElement("article");
  card.className = "prediction";
  const heading = document.createElement("h2");
  const outputs = namedOutputs(prediction);
  const said =
    prediction.label !== undefined
      ? prediction.label
      : outputs
        ? outputs.heading
        : formatNumber(prediction.value);
  heading.textContent = title ? `${title}: ${said}` : said;
  heading.dataset.label = said;
  card.append(heading);
  if (outputs) card.append(outputsTable(outputs));
  if (prediction.score !== undefined) {
    const score = document.createElement("p");
    score.className = "detail";
    score.textContent = `score (margin) ${formatNumber(prediction.score)}`;
    card.append(score);
  }
  for (const [label, probability] of Object.entries(prediction.probabilities || {})) {
    const row = document.createElement("div");
    row.className = "bar";
    row.dataset.label = label;
    const name = document.createElement("span");
    name.textContent = label;
    const track = document.createElement("div");
    track.className = "bar-track";
    const fill = document.createElement("div");
    fill.className = "bar-fill";
    fill.style.width = `${(probability * 100).toFixed(1)}%`;
    track.append(fill);
    const value = document.createElement("span");
    value.className = "bar-value";
    value.textContent = `${(probability * 100).toFixed(1)}%`;
    row.append(name, track, value);
    card.append(row);
  }
  results.append(card);
}

// A model of several outputs answers its numbers by name: quantiles by level, shown in level
// order whatever order the model has them in; targets by name, as the answer lists them.
function namedOutputs(prediction) {
  if (prediction.quantiles) {
    const rows = Object.entries(prediction.quantiles).sort(([a], [b]) => Number(a) - Number(b));
    return { heading: "Quantiles", column: "Level", rows };
  }
  if (prediction.values) {
    return { heading: "Targets", column: "Target", rows: Object.entries(prediction.values) };
  }
  return null;
}

function outputsTable(outputs) {
  const table = document.createElement("table");
  table.className = "outputs";
  const head = table.createTHead().insertRow();
  for (const text of [outputs.column, "Prediction"]) {
    const cell = document.createElement("th");
    cell.scope = "col";
    cell.textContent = text;
    head.append(cell);
  }
  const body = table.createTBody();
  for (const [name, value] of outputs.rows) {
    const row = body.insertRow();
    row.dataset.name = name;
    const label = document.createElement("th");
    label.scope = "row";
    label.textContent = name;
    row.append(label);
    row.insertCell().textContent = formatNumber(value);
  }
  return table;
}

function formatNumber(value) {
  return Number(value.toPrecision(6)).toString();
}

$("record-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const record = {};
  for (const feature of features) {
    const value = readValue(fieldOf(feature.name).querySelector("input, select").value, feature);
    if (value !== undefined) record[feature.name] = value;
  }
  const answer = await predict(record, $("predict"));
  if (answer && answer.predictions) {
    renderPrediction(answer.predictions[0]);
  } else if (answer) {
    for (const problem of answer.problems) {
      const field = fieldOf(problem.field);
      if (field) {
        field.querySelector(".field-error").textContent = problem.reason;
        field.querySelector("input, select").setAttribute("aria-invalid", "true");
      }
    }
  }
});

// "instances[2].petal length (cm)" -> line 3 (of the lines sent), petal length (cm).
function batchProblem(problem, lineNumbers) {
  const match = /^instances\[(\d+)\](?:\.(.+))?$/.exec(problem.field);
  if (!match) return `${problem.field}: ${problem.reason}`;
  const line = lineNumbers[Number(match[1])];
  return match[2]
    ? `Line ${line}, ${featureLabel(match[2])}: ${problem.reason}`
    : `Line ${line}: ${problem.reason}`;
}

$("batch-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearMessages();
  const instances = [];
  const lineNumbers = [];
  const names = features.map((feature) => feature.name);
  let columns = features;
  let firstLine = true;
  $("batch-csv").value.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    const cells = line.split(",").map((cell) => cell.trim());
    if (firstLine) {
      firstLine = false;
      // A header: every cell a feature's name, in any order.
      if (cells.every((cell) => names.includes(cell))) {
        columns = cells.map((cell) => features[names.indexOf(cell)]);
        return;
      }
    }
    if (cells.length !== columns.length) {
      addBatchError(`Line ${index + 1}: expected ${columns.length} values, found ${cells.length}.`);
      return;
    }
    const record = {};
    columns.forEach((feature, column) => {
      const value = readValue(cells[column], feature);
      if (value !== undefined) record[feature.name] = value;
    });
    instances.push(record);
    lineNumbers.push(index + 1);
  });
  if ($("batch-errors").children.length > 0) return;
  if (instances.length === 0) {
    addBatchError("Paste at least one line.");
    return;
  }
  const answer = await predict({ instances }, $("predict-batch"));
  if (answer && answer.predictions) {
    answer.predictions.forEach((prediction, index) =>
      renderPrediction(prediction, `Line ${lineNumbers[index]}`),
    );
  } else if (answer) {
    for (const problem of answer.problems) addBatchError(batchProblem(problem, lineNumbers));
  }
});

// A return from the sign-in page first (it holds the code to trade), then the form.
signIn
  .finish()
  .catch((error) => showError(error.message))
  .finally(() => {
    showSignedIn();
    if (!statusLine.classList.contains("error")) loadDescription();
  });

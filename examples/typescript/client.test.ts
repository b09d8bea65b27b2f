// The client against a running `chalice local` (PROXY_URL), from Node's test runner.
import { test } from "node:test";
import { strict as assert } from "node:assert";
import { ProxyClient, ProxyError } from "./client";

const baseUrl = process.env.PROXY_URL ?? "http://127.0.0.1:8000";
const SETOSA = { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 };

test("a record gets its label and every class's probability", async () => {
  const answer = await new ProxyClient({ baseUrl }).predict(SETOSA);
  assert.equal(answer.predictions.length, 1);
  assert.equal(answer.predictions[0].label, "setosa");
  assert.deepEqual(Object.keys(answer.predictions[0].probabilities).sort(), [
    "setosa",
    "versicolor",
    "virginica",
  ]);
  assert.ok(answer.request_id);
});

test("an invalid body is a ProxyError with its field errors", async () => {
  const bad = { instances: [SETOSA, { ...SETOSA, sepal_width: -1 }] };
  await assert.rejects(new ProxyClient({ baseUrl }).predict(bad), (error: unknown) => {
    if (!(error instanceof ProxyError)) return false;
    assert.equal(error.status, 400);
    assert.equal(error.code, "BadRequestError");
    assert.deepEqual(error.errors, [
      { field: "instances[1].sepal_width", reason: "Input should be greater than 0" },
    ]);
    assert.equal(error.errorCount, 1);
    assert.ok(error.requestId);
    return true;
  });
});

test("a 503 with Retry-After is retried, then given up", async () => {
  // DEEP_HEALTH_503: the stand-in reports an endpoint that does not serve (Retry-After: 30)
  const waits: number[] = [];
  const client = new ProxyClient({
    baseUrl,
    maxRetries: 2,
    maxWaitMs: 10,
    sleep: async (ms) => void waits.push(ms),
  });
  await assert.rejects(client.health(true), (error: unknown) => {
    if (!(error instanceof ProxyError)) return false;
    assert.equal(error.status, 503);
    assert.equal(error.code, "ServiceUnavailableError");
    assert.equal(error.retryAfter, 30);
    return true;
  });
  assert.deepEqual(waits, [10, 10]); // two retries, each capped at maxWaitMs
});

test("the API key goes in x-api-key", async () => {
  const seen: Headers[] = [];
  const client = new ProxyClient({
    baseUrl,
    apiKey: "k3y",
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(new Headers(init?.headers));
      return fetch(input, init);
    }) as typeof fetch,
  });
  await client.health();
  assert.equal(seen[0].get("x-api-key"), "k3y");
});

test("a token goes in Authorization as a bearer token, asked for before each call", async () => {
  const seen: Headers[] = [];
  let issued = 0;
  const client = new ProxyClient({
    baseUrl,
    token: async () => `token-${++issued}`,
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      seen.push(new Headers(init?.headers));
      return fetch(input, init);
    }) as typeof fetch,
  });
  await client.health();
  await client.health();
  assert.deepEqual(
    seen.map((headers) => headers.get("authorization")),
    ["Bearer token-1", "Bearer token-2"],
  );
});

// Against a stage that signs in (SIGNED_IN_PROXY_URL, with a token of its issuer in PROXY_TOKEN).
const signedIn = process.env.SIGNED_IN_PROXY_URL;
test("a signed-in stage answers the token's holder, and 401 without it", { skip: !signedIn }, async () => {
  const answer = await new ProxyClient({ baseUrl: signedIn!, token: process.env.PROXY_TOKEN }).predict(SETOSA);
  assert.equal(answer.predictions[0].label, "setosa");
  await assert.rejects(new ProxyClient({ baseUrl: signedIn! }).predict(SETOSA), (error: unknown) => {
    assert.ok(error instanceof ProxyError);
    assert.equal(error.status, 401);
    assert.equal(error.code, "UnauthorizedError");
    return true;
  });
});

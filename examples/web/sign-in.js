// Sign-in for the demo page: OpenID Connect's authorization code flow with PKCE (RFC 7636), the
// flow browser apps use with Cognito's hosted UI, Auth0, Okta or Entra ID, and with the local
// issuer of `make run SIGN_IN=1`. No client secret: a page cannot keep one. The access token is
// kept in sessionStorage (gone when the tab closes) and sent as Authorization: Bearer.
"use strict";

const signIn = (() => {
  const SETTINGS_KEY = "sagemaker-proxy.signIn";
  const PENDING_KEY = "sagemaker-proxy.signInPending";
  const TOKEN_KEY = "sagemaker-proxy.token";

  function base64url(bytes) {
    return btoa(String.fromCharCode(...new Uint8Array(bytes)))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
  }

  function randomString() {
    return base64url(crypto.getRandomValues(new Uint8Array(32)));
  }

  // This page's address without its query: where the provider sends the browser back.
  function redirectUri() {
    return window.location.origin + window.location.pathname;
  }

  // Issuer, client id and scopes: from the page's address (make run SIGN_IN=1 prints one), else
  // what this browser remembered.
  function settings() {
    const saved = JSON.parse(localStorage.getItem(SETTINGS_KEY) || "{}");
    const query = new URLSearchParams(window.location.search);
    const fromQuery = {};
    for (const name of ["issuer", "client_id", "scope"]) {
      if (query.get(name)) fromQuery[name] = query.get(name);
    }
    return { scope: "openid", ...saved, ...fromQuery };
  }

  function remember(values) {
    localStorage.setItem(SETTINGS_KEY, JSON.stringify(values));
  }

  function token() {
    const saved = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || "null");
    if (!saved || saved.expiresAt <= Date.now()) return null;
    return saved;
  }

  function signOut() {
    sessionStorage.removeItem(TOKEN_KEY);
  }

  async function discover(issuer) {
    const response = await fetch(`${issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`);
    if (!response.ok) throw new Error(`${issuer} did not give its OpenID configuration (${response.status}).`);
    return response.json();
  }

  // Off to the provider's sign-in page; it sends the browser back here with a code.
  async function start(values) {
    remember(values);
    const configuration = await discover(values.issuer);
    const verifier = randomString();
    const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
    const state = randomString();
    sessionStorage.setItem(
      PENDING_KEY,
      JSON.stringify({ verifier, state, clientId: values.client_id, tokenEndpoint: configuration.token_endpoint }),
    );
    const query = new URLSearchParams({
      response_type: "code",
      client_id: values.client_id,
      redirect_uri: redirectUri(),
      scope: values.scope,
      state,
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    window.location.assign(`${configuration.authorization_endpoint}?${query}`);
  }

  // Back from the provider: trade the code for tokens. Returns null when this load is not a
  // return from sign-in; throws with a message for the page when sign-in failed.
  async function finish() {
    const query = new URLSearchParams(window.location.search);
    if (!query.has("code") && !query.has("error")) return null;
    const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) || "null");
    sessionStorage.removeItem(PENDING_KEY);
    // The code must not stay in the address bar or the history.
    window.history.replaceState(null, "", redirectUri());
    if (query.has("error")) throw new Error(`Sign-in failed: ${query.get("error")}.`);
    if (!pending || query.get("state") !== pending.state) throw new Error("Sign-in failed: the answer was not for this page.");
    const response = await fetch(pending.tokenEndpoint, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        grant_type: "authorization_code",
        code: query.get("code"),
        redirect_uri: redirectUri(),
        client_id: pending.clientId,
        code_verifier: pending.verifier,
      }),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok || !answer.access_token) {
      throw new Error(`Sign-in failed: ${answer.error || response.status}.`);
    }
    const saved = { accessToken: answer.access_token, expiresAt: Date.now() + (answer.expires_in || 3600) * 1000 };
    sessionStorage.setItem(TOKEN_KEY, JSON.stringify(saved));
    return saved;
  }

  return { settings, start, finish, token, signOut };
})();

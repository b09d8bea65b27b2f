"""Who may call: sign-in tokens checked in the Lambda (auth: the modes and the 401/403; tokens:
the claims; signing_keys: the issuer's keys, fetched and aged; rs256: the RSA signature)."""

"""A local OpenID Connect issuer for `make run SIGN_IN=1` and the tests: signs test tokens with
a key kept in build/, so the signed-in path runs end to end on a laptop with no account."""

"""What a stage's clients are given, made from its model's signature: the Postman collection and the
TypeScript types."""

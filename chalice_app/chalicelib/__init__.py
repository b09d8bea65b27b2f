"""Everything the Lambda needs beyond its routes."""

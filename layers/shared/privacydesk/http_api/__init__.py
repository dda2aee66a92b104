"""The HTTP edge: the two API resolvers, error mapping, OpenAPI and the public pages."""

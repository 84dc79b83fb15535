"""FranceConnect (v2) login for families: the OpenID Connect client, the per-organisation settings,
the link between a FranceConnect identity and a family login, and a local double of the provider."""

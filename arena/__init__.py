"""The arena: a seeded, simulated CRM world whose hidden latent variables decide how
customers respond, so that "better copy" is a number."""

"""The grounded layer: CRM store, ingestion, copy features, statistics, rules, retrieval."""

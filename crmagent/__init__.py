"""CRMAgent: writes high-conversion CRM message templates and explains why, step by step."""

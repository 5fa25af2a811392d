"""Prompt templates, one module per agent. Text from merchants and other merchants'
templates only ever appears inside tagged sections, as data."""

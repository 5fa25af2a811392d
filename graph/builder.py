"""The CRMAgent graph: analyze -> select mode -> (patterns | retrieve -> patterns | rules)
-> adapt -> check (repair / retry) -> guidance -> evaluate [-> variants, when asked for]
[-> review, when asked]."""

from __future__ import annotations

from langgraph.graph import START, StateGraph

from graph import nodes, routers
from graph.context import Context
from graph.state import InputState, OutputState, State

builder = StateGraph(
    State, context_schema=Context, input_schema=InputState, output_schema=OutputState
)
builder.add_node("analyze_segment", nodes.analyze_segment)
builder.add_node("retrieve", nodes.retrieve)
builder.add_node("extract_patterns", nodes.extract_patterns)
builder.add_node("adapt_template", nodes.adapt_template)
builder.add_node("rules_rewrite", nodes.rules_rewrite)
builder.add_node("check_rules", nodes.check_rules)
builder.add_node("write_guidance", nodes.write_guidance)
builder.add_node("evaluate", nodes.evaluate)
builder.add_node("write_variants", nodes.write_variants)
builder.add_node("review", nodes.review)

builder.add_edge(START, "analyze_segment")
builder.add_conditional_edges("analyze_segment", routers.select_mode)
builder.add_conditional_edges("retrieve", routers.after_retrieve)
builder.add_edge("extract_patterns", "adapt_template")
builder.add_edge("adapt_template", "check_rules")
builder.add_edge("rules_rewrite", "check_rules")
builder.add_conditional_edges("check_rules", routers.after_check)
builder.add_edge("write_guidance", "evaluate")
builder.add_conditional_edges("evaluate", routers.after_evaluate)
builder.add_conditional_edges("write_variants", routers.after_variants)
builder.add_conditional_edges("review", routers.after_review)

graph = builder.compile()
graph.name = "CRMAgent"

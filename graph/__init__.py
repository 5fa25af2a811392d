"""The CRMAgent LangGraph graph: ``builder`` (uncompiled) and ``graph`` (compiled, no
checkpointer: the LangGraph server and ``crmagent batch`` bring their own)."""

from graph.builder import builder, graph

__all__ = ["builder", "graph"]

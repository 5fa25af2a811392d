"""One module per agent of the graph: segment analyst, content (patterns), retrieval,
template (adapt and rules rewrite), rule checker, guidance writer, evaluate."""

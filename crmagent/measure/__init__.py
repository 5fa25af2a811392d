"""The measuring kit: what measures CRMAgent rather than serves it. The ways in (the API,
the command line, the HTTP service, batches) never import it; the command line's `bench`,
`readers` and `loadtest` commands and the tests do.

- ``bench``: the performance benchmark (`crmagent bench`) and a configured model's bench.
- ``readers``: blind A/B sheets, their scores, and the same model asked directly.
- ``loadtest``: load on a running `crmagent serve`, loopback only.
- ``fake_openai``: a fake OpenAI-compatible server on loopback, for the bench and the tests.

May import the ways in (``crmagent.api``), the graph, the agents and the grounded layer.
"""
